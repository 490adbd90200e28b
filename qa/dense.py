"""The dense side: FAISS inner product over normalised vectors (cosine similarity)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Above this many vectors exact search gets slow on a laptop CPU; an HNSW graph takes over.
HNSW_THRESHOLD = 200_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


def build(vectors: np.ndarray):  # -> faiss.Index
    import faiss

    n, dim = vectors.shape if vectors.ndim == 2 else (0, 384)
    if n >= HNSW_THRESHOLD:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    else:
        index = faiss.IndexFlatIP(dim)
    if n:
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def to_bytes(index) -> bytes:
    import faiss

    return faiss.serialize_index(index).tobytes()


def load(path: Path):  # -> faiss.Index
    import faiss

    index = faiss.read_index(str(path))
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def search(index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(scores, ids) of the ``k`` nearest vectors to one query vector; ids of -1 are padding."""
    k = max(1, min(k, index.ntotal))
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
    return scores[0], ids[0]
