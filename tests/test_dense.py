"""The dense index: exact below the threshold, compressed (IVF over fast-scan PQ codes) above it,
with exact re-scoring from the float32 vectors. Vectors are "real-ish": the seed index's real
sentence vectors as centres, plus Gaussian noise of a per-point scale."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from qa import dense, store

N = 20_000
THRESHOLD = 10_000  # lowered through the argument, so a test-sized collection is compressed


def real_ish(centres: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    scale = (0.06 * np.exp(0.3 * rng.standard_normal(n)))[:, None]
    v = centres[rng.integers(0, len(centres), n)] + scale * rng.standard_normal((n, centres.shape[1]))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def collection(seed_index) -> tuple[np.ndarray, np.ndarray]:
    centres = store.read(seed_index).vectors
    return real_ish(centres, N, np.random.default_rng(0)), real_ish(centres, 40, np.random.default_rng(1))


@pytest.fixture(scope="module")
def compressed(collection):
    return dense.build(collection[0], threshold=THRESHOLD)


def exact_top(vectors: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(vectors @ q), kind="stable")[:k]


def recall(found: list[np.ndarray], truth: list[np.ndarray]) -> float:
    return float(np.mean([len(set(f.tolist()) & set(t.tolist())) / len(t) for f, t in zip(found, truth)]))


def test_below_the_threshold_the_index_is_exact_as_before(collection):
    vectors, queries = collection
    small = vectors[:5_000]
    index = dense.build(small)
    assert type(index) is faiss.IndexFlatIP and not dense.is_compressed(index) and dense.is_exact(index)
    for q in queries[:5]:
        scores, ids = dense.search(index, q, 10)
        assert ids.tolist() == exact_top(small, q, 10).tolist()
        assert np.allclose(scores, small[ids] @ q, atol=1e-5)


def test_above_the_threshold_the_index_is_compressed_with_high_recall(collection, compressed):
    vectors, queries = collection
    assert dense.is_compressed(compressed) and compressed.ntotal == N
    ivf = faiss.extract_index_ivf(compressed)
    assert (ivf.nlist, ivf.code_size, ivf.nprobe) == (dense.nlist_for(N), dense.PQ_M * dense.PQ_BITS // 8,
                                                       dense.nprobe_for(dense.nlist_for(N)))
    truth = [exact_top(vectors, q, 10) for q in queries]
    rescored = recall([dense.search(compressed, q, 10, vectors=vectors)[1] for q in queries], truth)
    codes_only = recall(list(compressed.search(queries, 10)[1]), truth)
    # PQ alone ranks coarsely (0.63 here); exact re-scoring of the candidates restores the top 10.
    assert rescored >= 0.95
    assert rescored > codes_only + 0.2


def test_rescored_scores_are_true_cosines_best_first(collection, compressed):
    vectors, queries = collection
    for q in queries[:10]:
        scores, ids = dense.search(compressed, q, 10, vectors=vectors)
        assert len(ids) == 10 and len(set(ids.tolist())) == 10
        assert np.allclose(scores, vectors[ids] @ q, rtol=0, atol=1e-6)  # BLAS may round the last bit
        assert np.all(np.diff(scores) <= 0)


def test_rescoring_reads_a_memory_mapped_file(tmp_path, collection, compressed):
    vectors, queries = collection
    np.save(tmp_path / "vectors.npy", vectors)
    mapped = np.load(tmp_path / "vectors.npy", mmap_mode="r")
    for q in queries[:5]:
        a, b = dense.search(compressed, q, 10, vectors=mapped), dense.search(compressed, q, 10, vectors=vectors)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_a_saved_compressed_index_loads_tuned_and_answers_the_same(tmp_path, collection, compressed):
    vectors, queries = collection
    path = tmp_path / "dense.faiss"
    path.write_bytes(dense.to_bytes(compressed))
    loaded = dense.load(path)
    ivf = faiss.extract_index_ivf(loaded)
    assert dense.is_compressed(loaded) and ivf.nprobe == dense.nprobe_for(ivf.nlist) == 64
    assert isinstance(faiss.downcast_index(ivf.quantizer), faiss.IndexFlat)
    for q in queries[:10]:
        a, b = dense.search(loaded, q, 10, vectors=vectors), dense.search(compressed, q, 10, vectors=vectors)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_an_index_of_the_earlier_layout_still_loads_tuned_and_searches(tmp_path, collection):
    """Indexes built before fast scan: 8-bit PQ48 codes under an HNSW coarse quantizer."""
    vectors, queries = collection
    earlier = faiss.index_factory(vectors.shape[1], f"IVF{dense.nlist_for(N)}_HNSW32,PQ48np", faiss.METRIC_INNER_PRODUCT)
    earlier.train(vectors)
    earlier.add(vectors)
    path = tmp_path / "dense.faiss"
    path.write_bytes(dense.to_bytes(earlier))
    loaded = dense.load(path)
    ivf = faiss.extract_index_ivf(loaded)
    assert dense.is_compressed(loaded) and ivf.nprobe == dense.nprobe_for(ivf.nlist)
    assert faiss.downcast_index(ivf.quantizer).hnsw.efSearch >= ivf.nprobe  # else fewer lists come back
    truth = [exact_top(vectors, q, 10) for q in queries]
    assert recall([dense.search(loaded, q, 10, vectors=vectors)[1] for q in queries], truth) >= 0.95


def test_an_allowed_mask_restricts_the_compressed_search(collection, compressed):
    vectors, queries = collection
    allowed = np.random.default_rng(2).random(N) < 0.25
    subset = np.flatnonzero(allowed)
    found, truth = [], []
    for q in queries:
        _, ids = dense.search(compressed, q, 10, vectors=vectors, allowed=allowed)
        assert allowed[ids].all() and len(ids) == 10
        found.append(ids)
        truth.append(subset[exact_top(vectors[subset], q, 10)])
    assert recall(found, truth) >= 0.95
    _, none = dense.search(compressed, queries[0], 10, vectors=vectors, allowed=np.zeros(N, dtype=bool))
    assert none.size == 0


def test_a_compressed_index_is_not_searched_without_its_vectors(collection, compressed):
    with pytest.raises(ValueError, match="re-scoring"):
        dense.search(compressed, collection[1][0], 10)


def test_coarse_lists_grow_with_the_square_root():
    assert [dense.nlist_for(n) for n in (20_000, 1_000_000, 10_000_000)] == [128, 1024, 4096]
    assert [dense.nprobe_for(dense.nlist_for(n)) for n in (20_000, 1_000_000, 10_000_000)] == [64, 64, 256]
