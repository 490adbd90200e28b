"""The reader: a cross-encoder that reads a question and a sentence together and says how likely the
sentence answers it (a probability). The vectors compare a question and a sentence each read alone; the
reader sees which words of one answer which of the other, so it tells "plans to evacuate hundreds of
members" from "the deaths of 939 civilians" for *How many people are going to be evacuated?*.

The weights are in the package (``qa/models/minilm-reader-qa``, MODEL.md beside them): MiniLM-L6
fine-tuned from the shipped bi-encoder on question/answer-sentence pairs from outside every dev and
held-out range (bench/reranker/train_ce.py, DATA.md). It runs on ONNX Runtime, exported once into the
model cache as the embedder is (qa/onnx_embedding.py), so a question never imports torch. Where it
cannot be loaded, answers are chosen without it (a one-line warning says so).

Off unless asked for (``Settings(reader=True)``, ``QA_READER=1``): answering reads only where its
features leave the choice open (``AnswerParams.read_margin``, a third of COVID-QA's questions), but
reading 5 sentences takes about 0.1 s on a 2-core CPU, several times a question's whole time without
it, and the median question slows from about 16 to 23 ms (docs/answers.md, sessions 14 and 15).
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa import onnx_embedding
from qa.errors import QAError
from qa.settings import Settings

READER_MODEL = "minilm-reader-qa"
_SHIPPED = Path(__file__).resolve().parent / "models"
# Bumped whenever the export changes what the file computes or how it is built.
RECIPE = "minilm-reader-fp32-v1"  # torch.onnx (legacy, opset 17, eager attention) + ORT BERT fusion
MAX_SEQ_LENGTH = onnx_embedding.MAX_SEQ_LENGTH  # question and sentence together, [CLS] and both [SEP] included
CACHE_PAIRS = 4096  # (question, sentence) scores kept: retrieval, answering and follow-ups read the same ones


def model_path() -> Path:
    return _SHIPPED / READER_MODEL


@lru_cache(maxsize=None)
def weights_hash() -> str:
    return onnx_embedding.file_sha256(model_path() / "model.safetensors")


def export(model_dir: Path, out: Path, *, opset: int = 17) -> None:
    """Export the cross-encoder (one logit out) with torch.onnx, then fuse it with ONNX Runtime's BERT
    optimiser. Needs torch, transformers and onnx: first use only."""
    import torch
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    model = AutoModelForSequenceClassification.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager", dtype=torch.float32).eval()
    raw = out.with_suffix(".raw.onnx")
    onnx_embedding.export_module(model, lambda o: o.logits[:, 0], raw, "logit", {0: "batch"}, opset=opset)
    onnx_embedding.fuse(raw, out, model.config)


class Reader:
    """The cross-encoder on ONNX Runtime (CPU, float32). One call at a time (a lock)."""

    TOKEN_BUDGET = 1024  # rows x longest row per run

    def __init__(self, onnx_path: Path, tokenizer_json: Path, *, weights: str, threads: int | None = None) -> None:
        self.session = onnx_embedding.session(onnx_path, threads or 0)
        self._inputs = {i.name for i in self.session.get_inputs()}
        # The embedder's: truncated at MAX_SEQ_LENGTH tokens (a pair together, the longer text first), no padding.
        self.tokenizer = onnx_embedding.tokenizer(tokenizer_json)
        self.weights = weights
        self._cache: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def _run(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Probabilities for ``pairs``, in order; run in batches of similar length (less padding)."""
        enc = self.tokenizer.encode_batch(pairs)
        out = np.empty(len(enc), dtype=np.float64)
        lengths = np.fromiter((len(e.ids) for e in enc), dtype=np.int64, count=len(enc))
        for b in onnx_embedding.batches(lengths, token_budget=self.TOKEN_BUDGET, max_batch=64):
            inputs = onnx_embedding.feed([enc[i].ids for i in b], [enc[i].type_ids for i in b])
            (logit,) = self.session.run(None, {k: v for k, v in inputs.items() if k in self._inputs})
            out[b] = 1.0 / (1.0 + np.exp(-np.asarray(logit, dtype=np.float64)))
        return out

    def score(self, question: str, sentences: list[str]) -> np.ndarray:
        """For each sentence, the probability that it answers ``question``, in input order."""
        out = np.empty(len(sentences), dtype=np.float64)
        with self._lock:
            todo = [i for i, s in enumerate(sentences) if (question, s) not in self._cache]
            if todo:
                for i, p in zip(todo, self._run([(question, sentences[i]) for i in todo])):
                    self._cache[(question, sentences[i])] = float(p)
            for i, s in enumerate(sentences):
                out[i] = self._cache[(question, s)]
                self._cache.move_to_end((question, s))
            while len(self._cache) > CACHE_PAIRS:
                self._cache.popitem(last=False)
        return out


_loading = threading.Lock()


@lru_cache(maxsize=None)
def _shared(cache: Path, threads: int) -> Reader | None:
    try:
        path = onnx_embedding.ensure(cache, model_path(), weights_hash(), exporter=export, recipe=RECIPE)
        return Reader(path, model_path() / "tokenizer.json", weights=weights_hash(), threads=threads or None)
    except Exception as e:  # noqa: BLE001 - no onnxruntime, no torch to export with, an unwritable cache…
        why = f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[0]}"  # one line, whatever the error
        print(f"qa: warning: the reader could not be loaded ({why}); answers are chosen without it", file=sys.stderr)
        return None


def load_reader(settings: Settings | None = None) -> Reader | None:
    """The reader, one per process per cache (the first load exports the ONNX file once, ~10 s), or
    None where ``settings.reader`` is off or it cannot be loaded."""
    settings = settings or Settings()
    if not settings.reader:
        return None
    if not model_path().is_dir():
        raise QAError(f"the reader's weights are missing from {model_path()}: reinstall the package")
    with _loading:
        return _shared(settings.model_cache, settings.embed_threads)
