"""Build and update an index: scan → chunk → embed (only what is new) → write atomically."""

from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from qa import dense, documents, store
from qa.chunking import Chunk, chunk_document
from qa.embedding import Embedder, default_embedder, weights_hash
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


def unit_texts(docs: dict[str, documents.Document], chunks: list[Chunk]) -> list[str]:
    """What is embedded: each chunk's sentences, in chunk order (row i of vectors.npy is unit i)."""
    return [docs[c.path].text[s:e] for c in chunks for s, e in c.sentences]


def _chunk_all(docs: list[documents.Document], settings: Settings) -> dict[str, list[Chunk]]:
    return {
        d.path: chunk_document(
            d, size=settings.chunk_tokens, overlap=settings.chunk_overlap, max_model_tokens=settings.model_max_tokens
        )
        for d in docs
    }


def _manifest(settings: Settings, embedder: Embedder, articles: Path, docs: list[documents.Document],
              chunks: dict[str, list[Chunk]], skipped: dict[str, str], seconds: float) -> dict[str, Any]:
    return {
        "settings": settings.index_shape(),
        "weights_sha256": embedder.weights,
        "dimension": embedder.dim,
        "embedding_dtype": getattr(embedder, "dtype", "float32"),
        "articles": str(articles),
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "counts": {"files": len(docs), "chunks": sum(len(v) for v in chunks.values()), "skipped": len(skipped)},
        "files": {
            d.path: {"sha256": d.sha256, "chunks": len(chunks[d.path]), "encoding": d.encoding, **d.meta()}
            for d in docs
        },
        "skipped": skipped,
    }


def _run(
    articles: str | Path,
    index: str | Path,
    *,
    incremental: bool,
    settings: Settings | None,
    embedder: Embedder | None,
    progress: bool,
) -> BuildSummary:
    t0 = time.perf_counter()
    settings = settings or Settings()
    articles, index = Path(articles), Path(index)
    with store.writer_lock(index):
        scan = documents.scan(articles, max_bytes=settings.max_file_bytes)
        # The weights hash alone decides whether old vectors are reusable; the model itself is
        # loaded only once there is something to embed or write.
        expected = {"settings": settings.index_shape(), "weights_sha256": embedder.weights if embedder else weights_hash()}

        old_files: dict[str, Any] = {}
        old_skipped: dict[str, str] = {}
        if incremental and store.is_index(index):
            try:
                manifest = store.read_manifest(index)
                if all(manifest.get(k) == v for k, v in expected.items()):
                    old_files = manifest["files"]
                    old_skipped = manifest.get("skipped", {})
            except store.QAError:
                pass  # a damaged or mismatched index is simply rebuilt in full
        docs = scan.documents
        unchanged = sum(1 for d in docs if old_files.get(d.path, {}).get("sha256") == d.sha256)
        removed = len(set(old_files) - {d.path for d in docs})
        if incremental and old_files and unchanged == len(docs) == len(old_files) and scan.skipped == old_skipped:
            # Nothing changed: keep the live generation as it is, without chunking anything.
            n_chunks = sum(f["chunks"] for f in old_files.values())
            return BuildSummary(len(docs), n_chunks, 0, scan.skipped, time.perf_counter() - t0, str(index),
                                removed=0, unchanged=unchanged)
        embedder = embedder or default_embedder()
        # Vectors we may reuse, keyed by sentence text: embedding depends on the text alone.
        cache: dict[str, np.ndarray] = {}
        if old_files:
            try:
                old = store.read(index)
                cache = dict(zip(unit_texts(old.documents, old.chunks), old.vectors))
            except store.QAError:
                pass  # unreadable after all: embed everything
        chunks = _chunk_all(docs, settings)
        ordered = [c for d in docs for c in chunks[d.path]]
        units = unit_texts({d.path: d for d in docs}, ordered)
        todo = [t for t in units if t not in cache]
        if todo:
            cache.update(_embed(embedder, todo, progress=progress))
        vectors = np.stack([cache[t] for t in units]) if units else np.zeros((0, embedder.dim), np.float32)
        lexical = Lexical.build([c.text for c in ordered])
        dense_bytes = dense.to_bytes(dense.build(vectors))
        seconds = time.perf_counter() - t0
        manifest = _manifest(settings, embedder, articles, docs, chunks, scan.skipped, seconds)
        manifest.update(expected)
        store.write(index, manifest=manifest, documents=docs, chunks=ordered, vectors=vectors,
                    dense_bytes=dense_bytes, lexical=lexical)
        return BuildSummary(len(docs), len(ordered), len(set(todo)), scan.skipped, time.perf_counter() - t0, str(index),
                            removed=removed, unchanged=unchanged)


def build_index(articles: str | Path = "articles", index: str | Path = "index", *, settings: Settings | None = None,
                embedder: Embedder | None = None, progress: bool = False) -> BuildSummary:
    """Full rebuild of ``index`` from the articles under ``articles``, replacing the old one atomically."""
    return _run(articles, index, incremental=False, settings=settings, embedder=embedder, progress=progress)


def update_index(articles: str | Path = "articles", index: str | Path = "index", *, settings: Settings | None = None,
                 embedder: Embedder | None = None, progress: bool = False) -> BuildSummary:
    """Incremental update: only new or changed text is embedded; deleted files disappear."""
    return _run(articles, index, incremental=True, settings=settings, embedder=embedder, progress=progress)
