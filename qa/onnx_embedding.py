"""all-MiniLM-L6-v2 on ONNX Runtime: a one-time export from the local weights (torch), then encoding
with onnxruntime + tokenizers only, so a question never imports torch.

The exported file is cached under ``<cache>/models/<RECIPE>-<weights12>.onnx`` beside a
``.json`` record of its size and sha256; it is written atomically and checked on every load, and a
damaged or unrecorded file is exported again. Nothing is ever fetched.

Measured on an AVX2-only CPU (docs/backends-study.md): the vectors agree with sentence-transformers
float32 at cosine 1.0000, at 1.5-1.75x its throughput and ~1.8x lower single-query latency.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from qa.errors import QAError

# Bumped whenever the export changes what the file computes or how it is built.
RECIPE = "minilm-fused-fp32-v1"  # torch.onnx (legacy, opset 17, eager attention) + ORT BERT fusion
MAX_SEQ_LENGTH = 256  # sentence_bert_config.json; the package's tokenizer.json says 128 and is overridden
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")

Exporter = Callable[[Path, Path], None]  # (model folder, output file)


@dataclass(frozen=True, slots=True)
class Record:
    """What is written next to a cached file and checked on load."""

    recipe: str
    weights_sha256: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, object]:
        return {"recipe": self.recipe, "weights_sha256": self.weights_sha256, "size": self.size, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> "Record":
        return cls(str(d["recipe"]), str(d["weights_sha256"]), int(d["size"]), str(d["sha256"]))  # type: ignore[arg-type]


def cached_path(cache_dir: Path, weights: str, recipe: str = RECIPE) -> Path:
    """Where the file for these weights and this recipe lives."""
    return Path(cache_dir) / "models" / f"{recipe}-{weights[:12]}.onnx"


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read a megabyte at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verified(path: Path, weights: str, recipe: str = RECIPE) -> bool:
    """Whether ``path`` is a complete file of this recipe for these weights, as recorded."""
    try:
        record = Record.from_dict(json.loads(path.with_suffix(".json").read_text(encoding="utf-8")))
        if record != Record(recipe, weights, record.size, record.sha256) or path.stat().st_size != record.size:
            return False
        return file_sha256(path) == record.sha256
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _fsync_replace(tmp: Path, target: Path) -> None:
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, target)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One exporter at a time per cache folder (another process may be exporting the same file)."""
    with open(folder / ".lock", "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def ensure(cache_dir: Path, model_dir: Path, weights: str, *, exporter: Exporter | None = None,
           recipe: str = RECIPE) -> Path:
    """The verified ONNX file for ``weights``, exported (atomically) first if missing or damaged."""
    target = cached_path(cache_dir, weights, recipe)
    if verified(target, weights, recipe):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.parent):
        if verified(target, weights, recipe):  # another process exported it meanwhile
            return target
        tmp_dir = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
        try:
            out = tmp_dir / "model.onnx"
            (exporter or export)(Path(model_dir), out)
            record = Record(recipe, weights, out.stat().st_size, file_sha256(out))
            meta = tmp_dir / "model.json"
            meta.write_text(json.dumps(record.to_dict(), indent=1), encoding="utf-8")
            # The record goes last: a file without a matching record is never trusted.
            target.with_suffix(".json").unlink(missing_ok=True)
            _fsync_replace(out, target)
            _fsync_replace(meta, target.with_suffix(".json"))
            dir_fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)
    if not verified(target, weights, recipe):
        raise QAError(f"the exported ONNX model {target} does not match its record: delete {target.parent} and retry")
    return target


def export_module(model, pick: Callable, out: Path, output: str, output_axes: dict[int, str], *,  # type: ignore[type-arg]
                  opset: int = 17) -> None:
    """Export ``pick(model(input_ids, attention_mask, token_type_ids))`` with torch.onnx (legacy
    exporter), batch and sequence length dynamic. Needs torch: build time only."""
    import warnings

    import torch

    class Picked(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return pick(self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids))

    ids = torch.ones((2, 16), dtype=torch.long)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarnings from the legacy exporter
        torch.onnx.export(
            Picked(), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(out),
            input_names=list(INPUT_NAMES), output_names=[output],
            dynamic_axes={**{n: {0: "batch", 1: "seq"} for n in INPUT_NAMES}, output: output_axes},
            opset_version=opset, dynamo=False,
        )


def fuse(raw: Path, out: Path, config) -> None:  # type: ignore[no-untyped-def]
    """``raw`` fused by ONNX Runtime's BERT optimiser into ``out``; ``raw`` removed. Needs onnx."""
    from onnxruntime.transformers.optimizer import optimize_model

    optimize_model(str(raw), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size,
                   opt_level=0).save_model_to_file(str(out))
    raw.unlink()


def export_raw(model_dir: Path, out: Path, *, opset: int = 17):  # -> transformers.PretrainedConfig
    """Export the BERT encoder (token embeddings out) with torch.onnx, unfused; the model's config.
    Needs torch and transformers: build time only."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    # Eager attention: with SDPA the ORT optimiser fuses nothing.
    # Weights stored in float16 (the shipped model) export as float32.
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager",
                                      dtype=torch.float32).eval()
    export_module(model, lambda o: o.last_hidden_state, out, "token_embeddings", {0: "batch", 1: "seq"}, opset=opset)
    return model.config


def export(model_dir: Path, out: Path) -> None:
    """Export the encoder (``export_raw``), then fuse it with ONNX Runtime's BERT optimiser. Needs
    torch, transformers and onnx: build time only."""
    raw = out.with_suffix(".raw.onnx")
    fuse(raw, out, export_raw(model_dir, raw))


def tokenizer(tokenizer_json: Path):  # -> tokenizers.Tokenizer
    """The model's WordPiece tokenizer as sentence-transformers runs it: truncation at 256, no padding."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_json))
    tok.enable_truncation(max_length=MAX_SEQ_LENGTH)
    tok.no_padding()  # padded per batch, after sorting by length
    return tok


def session(onnx_path: Path, threads: int):  # -> onnxruntime.InferenceSession
    """A CPU session for ``onnx_path``, every graph optimisation on; ``threads`` for one run (0: ORT's choice)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])


def feed(ids: list[list[int]], type_ids: list[list[int]] | None = None) -> dict[str, np.ndarray]:
    """The model's inputs for rows of token ids, padded to the longest row (the mask marks real tokens);
    ``type_ids`` as given, else all 0 (one text a row)."""
    n, longest = len(ids), max(len(x) for x in ids)
    out = {name: np.zeros((n, longest), dtype=np.int64) for name in INPUT_NAMES}
    for r, row in enumerate(ids):
        out["input_ids"][r, :len(row)] = row
        out["attention_mask"][r, :len(row)] = 1
        if type_ids is not None:
            out["token_type_ids"][r, :len(row)] = type_ids[r]
    return out


def batches(lengths: np.ndarray, *, token_budget: int, max_batch: int) -> list[np.ndarray]:
    """Indices sorted by length (longest first), cut so that rows x longest row <= ``token_budget``."""
    order = np.argsort(-lengths, kind="stable")
    out: list[np.ndarray] = []
    start = 0
    while start < len(order):
        longest = int(lengths[order[start]])
        size = max(1, min(max_batch, token_budget // max(longest, 1)))
        out.append(order[start:start + size])
        start += size
    return out


class OnnxEmbedder:
    """The same model on ONNX Runtime (CPU, float32). Imports no torch. One encode at a time (a lock)."""

    name = "sentence-transformers/all-MiniLM-L6-v2"
    dim = 384
    backend = "onnxruntime-fp32"
    dtype = "float32"

    # Rows x longest row per call. 2,048 measured best on 1,500 of the longest COVID-QA sentences (2
    # threads): peak RSS 363 MB and 23.2 s, against 470 MB / 24.8 s at 4,096 and 707 MB / 28.1 s at
    # 8,192 (ORT's arena keeps the largest attention buffers); a COVID-QA build peaked at 892 MB with 8,192.
    TOKEN_BUDGET = 2048

    def __init__(self, onnx_path: Path, tokenizer_json: Path, *, weights: str, threads: int | None = None,
                 token_budget: int = TOKEN_BUDGET, max_batch: int = 128, name: str | None = None) -> None:
        if name:
            self.name = name

        self.session = session(onnx_path, threads or min(os.cpu_count() or 1, 8))
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = tokenizer(tokenizer_json)
        self.weights = weights
        self.token_budget = token_budget
        self.max_batch = max_batch
        self._lock = threading.Lock()

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        inputs = feed(ids)
        (tok,) = self.session.run(None, {k: v for k, v in inputs.items() if k in self._inputs})
        m = inputs["attention_mask"][:, :, None].astype(np.float32)  # mean pooling over real tokens (1_Pooling/config.json)
        pooled = (tok * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Normalised float32 vectors, one row per text, in input order (length-sorted token-budget batches)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._lock:  # one tokenizer and session per process: one encode at a time
            ids = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
            lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
            for b in batches(lengths, token_budget=self.token_budget, max_batch=self.max_batch):
                out[b] = self._run([ids[i] for i in b])
        return out


def load(model_dir: Path, weights: str, cache_dir: Path, *, exporter: Exporter | None = None,
         threads: int | None = None, name: str | None = None) -> OnnxEmbedder:
    """The ONNX embedder for the model in ``model_dir``, exporting it into ``cache_dir`` on first use;
    ``threads``: CPU threads for one encode (default: the machine's cores, up to 8)."""
    path = ensure(cache_dir, model_dir, weights, exporter=exporter)
    return OnnxEmbedder(path, Path(model_dir) / "tokenizer.json", weights=weights, threads=threads, name=name)
