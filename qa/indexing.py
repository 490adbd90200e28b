"""Build and update an index: scan → chunk → embed (only what is new) → write atomically."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from qa import dense, documents, store
from qa.chunking import Chunk, chunk_document
from qa.embedding import Embedder, ModelRecord, load_embedder, weights_hash
from qa.errors import QAError
from qa.lexical import Lexical
from qa.results import BuildSummary
from qa.settings import Settings


def _progress(total: int, desc: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="sentence", disable=not enabled, file=sys.stderr, dynamic_ncols=True)


def _embed(embedder: Embedder, texts: list[str], *, progress: bool, batch: int = 256) -> dict[str, np.ndarray]:
    """Embed each distinct text once, longest first (batches of like length pad least), in slices
    so a progress bar can follow a long build."""
    unique = sorted(set(texts), key=len, reverse=True)
    out: dict[str, np.ndarray] = {}
    with _progress(len(unique), "embedding", progress and len(unique) > 0) as bar:
        for i in range(0, len(unique), batch):
            part = unique[i:i + batch]
            out.update(zip(part, embedder.encode(part)))
            bar.update(len(part))
    return out


class _Local:
    """This process as the builder: the same two steps as ``qa.distributed.Cluster``."""

    def __init__(self, embedder: Embedder, settings: Settings, progress: bool) -> None:
        self.embedder, self.settings, self.progress = embedder, settings, progress

    def chunk(self, docs: list[documents.Document]) -> dict[str, list[Chunk]]:
        return _chunk_all(docs, self.settings)

    def embed(self, texts: list[str]) -> tuple[dict[str, np.ndarray], ModelRecord]:
        return (_embed(self.embedder, texts, progress=self.progress) if texts else {}), ModelRecord.of(self.embedder)


def unit_texts(docs: dict[str, documents.Document], chunks: list[Chunk]) -> list[str]:
    """What is embedded: each chunk's sentences, in chunk order (row i of vectors.npy is unit i)."""
    return [docs[c.path].text[s:e] for c in chunks for s, e in c.sentences]


def lexical_texts(docs: dict[str, documents.Document], chunks: list[Chunk]) -> list[str]:
    """What BM25 indexes for each chunk: its article's title, then its text. A news title names the
    story's subject, which the chunk's sentences often leave implicit (COVID-QA dev hit@5 0.843 →
    0.859 with titles; bench/fusion_study.py)."""
    return [f"{docs[c.path].title or ''}\n{c.text}" for c in chunks]


def _chunk_all(docs: list[documents.Document], settings: Settings) -> dict[str, list[Chunk]]:
    return {
        d.path: chunk_document(
            d, size=settings.chunk_tokens, overlap=settings.chunk_overlap, max_model_tokens=settings.model_max_tokens
        )
        for d in docs
    }


def _manifest(settings: Settings, model: ModelRecord, articles: Path, docs: list[documents.Document],
              chunks: dict[str, list[Chunk]], skipped: dict[str, str], seconds: float,
              cluster: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "settings": settings.index_shape(),
        "weights_sha256": model.weights,
        "dimension": model.dim,
        "embedding_dtype": model.dtype,
        "embedding_backend": model.backend,
        **({"cluster": cluster} if cluster else {}),
        "articles": str(articles),
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "counts": {"files": len(docs), "chunks": sum(len(v) for v in chunks.values()), "skipped": len(skipped)},
        "files": {
            d.path: _file_record(d, len(chunks[d.path])) for d in docs
        },
        "skipped": skipped,
    }


def _file_record(d: documents.Document, n_chunks: int) -> dict[str, Any]:
    return {"sha256": d.sha256, "chunks": n_chunks, "encoding": d.encoding, **d.meta()}


def _unchanged(old_files: dict[str, Any], docs: list[documents.Document]) -> bool:
    """Whether the articles are exactly what the index holds: text and metadata (a sidecar may
    change an outlet without changing the text)."""
    if len(old_files) != len(docs):
        return False
    for d in docs:
        old = old_files.get(d.path)
        if old is None or old.get("sha256") != d.sha256 or any(old.get(k) != v for k, v in d.meta().items()):
            return False
    return True


def _reusable(index: Path, expected: dict[str, Any]) -> dict[str, Any] | None:
    """The live manifest when its vectors can be reused with the current settings and weights."""
    if not store.is_index(index):
        return None
    try:
        manifest = store.read_manifest(index)
    except QAError:
        return None  # a damaged index is simply rebuilt in full
    return manifest if all(manifest.get(k) == v for k, v in expected.items()) else None


def _run(
    articles: str | Path,
    index: str | Path,
    *,
    incremental: bool,
    settings: Settings | None,
    embedder: Embedder | None,
    progress: bool,
    ray: str | None = None,
    workers: int | None = None,
) -> BuildSummary:
    t0 = time.perf_counter()
    settings = settings or Settings()
    articles, index = Path(articles), Path(index)
    scan = documents.scan(articles, max_bytes=settings.max_file_bytes)
    # The weights hash alone decides whether old vectors are reusable; the model itself is
    # loaded only once there is something to embed or write.
    expected = {"settings": settings.index_shape(), "weights_sha256": embedder.weights if embedder else weights_hash(settings.model_name)}
    docs = scan.documents

    def nothing_changed() -> BuildSummary | None:
        manifest = _reusable(index, expected) if incremental else None
        if manifest is None or not _unchanged(manifest["files"], docs) or scan.skipped != manifest.get("skipped", {}):
            return None
        n_chunks = sum(int(f.get("chunks", 0)) for f in manifest["files"].values())
        return BuildSummary(len(docs), n_chunks, 0, scan.skipped, time.perf_counter() - t0, str(index),
                            removed=0, unchanged=len(docs))

    # Nothing changed: keep the live generation as it is, without taking the lock (so an index on a
    # read-only disk can still be checked) or chunking anything.
    if (summary := nothing_changed()) is not None:
        return summary
    with store.writer_lock(index):
        manifest = _reusable(index, expected) if incremental else None
        old_files: dict[str, Any] = manifest["files"] if manifest else {}
        if (summary := nothing_changed()) is not None:  # another writer brought it up to date meanwhile
            return summary
        unchanged = sum(1 for d in docs if old_files.get(d.path, {}).get("sha256") == d.sha256)
        removed = len(set(old_files) - {d.path for d in docs})
        # Vectors we may reuse, keyed by sentence text: embedding depends on the text alone.
        cache: dict[str, np.ndarray] = {}
        if old_files:
            try:
                old = store.read(index)
                cache = dict(zip(unit_texts(old.documents, old.chunks), old.vectors))
            except QAError:
                pass  # unreadable after all: embed everything
        by_path = {d.path: d for d in docs}
        if ray is None:
            builder = contextlib.nullcontext(_Local(embedder or load_embedder(settings), settings, progress))
        else:
            from qa import distributed

            builder = distributed.connect(ray, workers, settings=settings, weights=expected["weights_sha256"],
                                          progress=progress)
        with builder as worker:
            chunks = worker.chunk(docs)
            ordered = [c for d in docs for c in chunks[d.path]]
            units = unit_texts(by_path, ordered)
            todo = [t for t in units if t not in cache]
            new, model = worker.embed(todo)
        cache.update(new)
        cluster = {"address": ray, "workers": worker.workers} if ray is not None else None
        if model.backend is None:  # nothing new was embedded on the cluster: the vectors are the old ones
            model = ModelRecord(model.weights, model.dim, manifest.get("embedding_dtype") if manifest else None,
                                manifest.get("embedding_backend") if manifest else None)
        vectors = np.stack([cache[t] for t in units]) if units else np.zeros((0, model.dim), np.float32)
        lexical = Lexical.build(lexical_texts(by_path, ordered))
        dense_bytes = dense.to_bytes(dense.build(vectors))
        seconds = time.perf_counter() - t0
        manifest = _manifest(settings, model, articles, docs, chunks, scan.skipped, seconds, cluster)
        manifest.update(expected)
        store.write(index, manifest=manifest, documents=docs, chunks=ordered, vectors=vectors,
                    dense_bytes=dense_bytes, lexical=lexical)
        return BuildSummary(len(docs), len(ordered), len(set(todo)), scan.skipped, time.perf_counter() - t0, str(index),
                            removed=removed, unchanged=unchanged)


def build_index(articles: str | Path = "articles", index: str | Path = "index", *, settings: Settings | None = None,
                embedder: Embedder | None = None, progress: bool = False, ray: str | None = None,
                workers: int | None = None) -> BuildSummary:
    """Full rebuild of ``index`` from the articles under ``articles``, replacing the old one atomically.

    ``ray``: chunk and embed on a Ray cluster instead of in this process, ``"local"`` (one started
    here for the build), ``"auto"`` (the one ``ray start`` runs on this machine) or an address;
    ``workers``: how many embedding workers (default: one per CPU of the cluster). See qa.distributed.
    """
    return _run(articles, index, incremental=False, settings=settings, embedder=embedder, progress=progress,
                ray=ray, workers=workers)


def update_index(articles: str | Path = "articles", index: str | Path = "index", *, settings: Settings | None = None,
                 embedder: Embedder | None = None, progress: bool = False, ray: str | None = None,
                 workers: int | None = None) -> BuildSummary:
    """Incremental update: only new or changed text is embedded; deleted files disappear (``ray``,
    ``workers``: as for ``build_index``)."""
    return _run(articles, index, incremental=True, settings=settings, embedder=embedder, progress=progress,
                ray=ray, workers=workers)


def ensure_index(articles: str | Path = "articles", index: str | Path = "index", *, settings: Settings | None = None,
                 embedder: Embedder | None = None, progress: bool = False) -> BuildSummary | None:
    """Build ``index`` from ``articles`` if there is no index there yet; the summary if it built one."""
    if store.is_index(Path(index)):
        return None
    return build_index(articles, index, settings=settings, embedder=embedder, progress=progress)
