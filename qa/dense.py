"""The dense side: FAISS inner product over normalised sentence vectors (cosine similarity).

Below ``COMPRESS_THRESHOLD`` vectors the index is exact (IndexFlatIP, in RAM). From there on it is
compressed: an IVF index over 4-bit PQ codes laid out for SIMD "fast scan" (``PQ_M`` sub-vectors,
``PQ_M / 2`` bytes a vector instead of 1,536), searched for ``RESCORE`` candidates that are re-scored
exactly from the memory-mapped float32 vectors, so results carry true cosines while resident memory
holds the codes. Indexes built earlier (8-bit PQ with an HNSW coarse quantizer) still load and search.
Both are plain FAISS files (``faiss.serialize_index``), never pickled.
"""

from __future__ import annotations

import math
import mmap
from pathlib import Path

import numpy as np

# Exact search below this many vectors (the dev indexes: 16 k and 110 k sentences); compressed above.
COMPRESS_THRESHOLD = 200_000
# Graphs over full vectors were built above 200 k before the compressed index; such files still load.
HNSW_EF_SEARCH = 128
# Compressed index: 4-bit PQ codes scanned with SIMD ("fast scan"), 96 sub-vectors of 4 dimensions,
# 48 bytes a vector (10 M: 480 MB of codes). Against 8-bit PQ48 codes of the same size and the same
# coarse lists, on 10 M calibrated vectors with the 628 real dev questions (bench/scale.py,
# docs/benchmarks.md section 4): the ANN search takes 4.3 ms instead of 17.3 (128 lists probed) and
# recall@10 after re-scoring 512 is 0.968 instead of 0.962.
PQ_M = 96
PQ_BITS = 4
# Lists probed per query: a 16th of them, and at least 64. Recall@10 against exact search at 10 M
# (4,096 lists), re-scoring 256 / 512 candidates, and the p50 of the whole dense search:
#   64 probed 0.944 / 0.951 (9 ms), 128: 0.961 / 0.968 (11 ms), 256: 0.977 / 0.985 (14 ms).
# A 16th meets the 0.98 goal at 10 M for 3 ms more than a 32nd, which meets only the 0.95 floor.
PROBE_SHARE = 16
MIN_PROBES = 64
# Candidates re-scored exactly from the float32 vectors: PQ ranks coarsely, and the denser the
# collection the deeper the true top 10 lies in its ranking (10 M, 256 lists probed: 0.977 / 0.985
# re-scoring 256 / 512), so 512: 768 KB of vectors.npy a query, prefetched at once.
RESCORE = 512
# k-means for the coarse lists on this many sampled vectors a list (FAISS warns below 39).
TRAIN_PER_LIST = 40
ADD_BLOCK = 100_000


def nlist_for(n: int) -> int:
    """Coarse lists for ``n`` vectors: the power of two nearest sqrt(n) (1 M: 1024; 10 M: 4096)."""
    return int(min(65_536, max(16, 2 ** round(math.log2(max(1.0, math.sqrt(n)))))))


def factory(nlist: int) -> str:
    """The FAISS factory string of the compressed index: a flat coarse quantizer (with 4,096 lists,
    0.2 ms a query; assigning 10 M vectors is one matrix product a block) over fast-scan PQ codes."""
    return f"IVF{nlist},PQ{PQ_M}x{PQ_BITS}fs"


def nprobe_for(nlist: int) -> int:
    return min(nlist, max(MIN_PROBES, nlist // PROBE_SHARE))


def build(vectors: np.ndarray, *, threshold: int = COMPRESS_THRESHOLD, seed: int = 0):  # -> faiss.Index
    """Exact below ``threshold`` vectors, compressed from there on. ``vectors`` may be a memmap."""
    import faiss

    n, dim = vectors.shape if vectors.ndim == 2 else (0, 384)
    if n < max(threshold, 1):
        index = faiss.IndexFlatIP(dim)
        if n:
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return index
    nlist = nlist_for(n)
    index = faiss.index_factory(dim, factory(nlist), faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    # The sample also trains the PQ codebooks (16 centroids a sub-space).
    sample = np.sort(rng.choice(n, size=min(n, max(TRAIN_PER_LIST * nlist, 64 * 256)), replace=False))
    index.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
    for i in range(0, n, ADD_BLOCK):
        index.add(np.ascontiguousarray(vectors[i:i + ADD_BLOCK], dtype=np.float32))
    _tune(index)
    return index


def is_compressed(index) -> bool:
    """An approximate index whose candidates are re-scored from the float32 vectors."""
    import faiss

    return faiss.try_extract_index_ivf(index) is not None


def is_exact(index) -> bool:
    import faiss

    return isinstance(index, faiss.IndexFlat)


def _tune(index) -> None:
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = nprobe_for(ivf.nlist)
        quantizer = faiss.downcast_index(ivf.quantizer)
        if hasattr(quantizer, "hnsw"):
            quantizer.hnsw.efSearch = max(64, 2 * ivf.nprobe)  # must exceed nprobe to return that many lists
    elif hasattr(index, "hnsw"):
        index.hnsw.efSearch = HNSW_EF_SEARCH


def to_bytes(index) -> bytes:
    import faiss

    return faiss.serialize_index(index).tobytes()


def load(path: Path):  # -> faiss.Index
    import faiss

    index = faiss.read_index(str(path))
    _tune(index)
    return index


def search(index, query: np.ndarray, k: int, *, vectors: np.ndarray | None = None,
           allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(scores, ids) of the ``k`` nearest vectors to one query vector; ids of -1 are padding.

    A compressed index needs ``vectors`` (row i = vector i, a memmap is fine): its ``RESCORE`` best
    candidates are re-scored exactly, so the scores are true cosines. ``allowed`` (a boolean mask
    over the vectors) restricts a compressed index's search to those vectors.
    """
    import faiss

    q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    if not is_compressed(index):
        k = max(1, min(k, index.ntotal))
        scores, ids = index.search(q, k)
        return scores[0], ids[0]
    if vectors is None:
        raise ValueError("a compressed index is searched with its vectors, for exact re-scoring")
    depth = max(1, min(max(k, RESCORE), index.ntotal))
    params = None
    if allowed is not None:
        bitmap = np.packbits(np.asarray(allowed, dtype=bool), bitorder="little")
        params = faiss.SearchParametersIVF(sel=faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap)),
                                           nprobe=faiss.try_extract_index_ivf(index).nprobe)
    _, ids = index.search(q, depth, params=params)
    return rescore(vectors, query, ids[0][ids[0] >= 0], k)


def rescore(vectors: np.ndarray, query: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The exact cosines of the candidate ``ids`` with ``query``: the best ``k``, best first."""
    ids = np.unique(ids)  # sorted: one forward pass through a memmap
    if ids.size == 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    prefetch(vectors, ids)
    exact = np.asarray(vectors[ids], dtype=np.float32) @ np.asarray(query, dtype=np.float32).ravel()
    top = np.argsort(-exact, kind="stable")[:k]
    return exact[top], ids[top].astype(np.int64)


def prefetch(vectors: np.ndarray, rows: np.ndarray) -> None:
    """Ask the kernel to read these rows of a memory-mapped vectors.npy now, all at once: touching
    them one by one waits for one random read after another (at 10 M vectors, some 2,000 a query)."""
    mapping = getattr(vectors, "_mmap", None)
    if mapping is None or not hasattr(mmap, "MADV_WILLNEED") or len(rows) == 0:
        return
    row_bytes = vectors.shape[1] * vectors.itemsize
    first = vectors.offset % mmap.ALLOCATIONGRANULARITY + np.asarray(rows, dtype=np.int64) * row_bytes
    pages = np.unique(np.concatenate([first // mmap.PAGESIZE, (first + row_bytes - 1) // mmap.PAGESIZE]))
    breaks = np.flatnonzero(np.diff(pages) > 1)
    starts, ends = pages[np.r_[0, breaks + 1]], pages[np.r_[breaks, pages.size - 1]]
    for a, b in zip(starts.tolist(), ends.tolist()):
        mapping.madvise(mmap.MADV_WILLNEED, a * mmap.PAGESIZE, (b - a + 1) * mmap.PAGESIZE)


def release(vectors: np.ndarray) -> None:
    """Unmap the pages of a memory-mapped vectors.npy that queries touched, so the process's resident
    memory does not grow toward the file's size: the kernel keeps them in its page cache while memory
    allows, and a later read maps them again (a read-only shared mapping always re-reads the file)."""
    mapping = getattr(vectors, "_mmap", None)
    if mapping is not None and hasattr(mmap, "MADV_DONTNEED"):
        mapping.madvise(mmap.MADV_DONTNEED)
