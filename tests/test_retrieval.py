import numpy as np

from qa.lexical import Lexical, tokenize
from qa.retrieval import HISTORY_DECAY, HISTORY_WEIGHT, Filters, fuse, make_query


def test_tokenize_stems_and_drops_stopwords_and_question_words():
    assert tokenize("Who founded the White Helmets in 2014? HCoV-OC43 is 5 kb") == ["found", "white", "helmet", "2014", "hcov", "oc43", "5", "kb"]


def test_a_follow_up_takes_the_earlier_question_at_a_lower_weight():
    follow = make_query("When was it founded?", ["Who founded the White Helmets?"], turns=1)
    assert follow.terms == ["found", "white", "helmet"]
    assert follow.weights == [1.0, HISTORY_WEIGHT, HISTORY_WEIGHT]
    assert follow.texts == ["When was it founded?", "Who founded the White Helmets?"]
    assert make_query("Which governorate?", [], turns=1).texts == ["Which governorate?"]


def test_older_history_counts_less_and_only_the_last_turns():
    q = make_query("And then?", ["first topic alpha", "second topic beta", "third topic gamma"], turns=2)
    assert q.texts == ["And then?", "third topic gamma", "second topic beta"]
    assert q.text_weights == [1.0, HISTORY_WEIGHT, HISTORY_WEIGHT * HISTORY_DECAY]


def test_filters_are_validated_and_normalised():
    import pytest

    from qa.errors import BadInputError

    f = Filters.make([" Sputnik ", "RT"], "2018-01-01", None)
    assert (f.sources, f.since, f.until, f.active) == (("sputnik", "rt"), "2018-01-01", None, True)
    assert Filters.make().active is False and Filters.make("CNN").sources == ("cnn",)
    with pytest.raises(BadInputError, match="since must be a date as YYYY-MM-DD"):
        Filters.make(since="2018/01/01")
    with pytest.raises(BadInputError, match="sources must be a list"):
        Filters.make(sources=[1, 2])


def test_fusion_scales_bm25_by_its_best_and_adds_cosine():
    assert np.allclose(fuse(np.array([4.0, 2.0, 0.0]), np.array([0.1, 0.5, 0.9])), [0.55, 0.5, 0.45])
    assert np.allclose(fuse(np.zeros(2), np.array([0.2, 0.4])), [0.1, 0.2])


def test_weighted_bm25_terms():
    lex = Lexical.build(["white helmets founded", "evacuation of the white helmets", "unrelated text here"])
    plain = lex.scores(["white", "helmet"])
    assert plain[2] == 0 and plain[0] > 0 and plain[1] > 0
    weighted = lex.scores(["found", "evacu"], [1.0, 0.5])
    assert weighted[0] > weighted[1] > weighted[2] == 0
    assert np.isclose(weighted[1], 0.5 * lex.scores(["evacu"])[1])


def test_idf_counts_the_chunks_holding_each_term():
    texts = ["white helmets founded", "evacuation of the white helmets", "unrelated text here", "white paper"]
    lex = Lexical.build(texts)
    idf = lex.idf(["white", "helmet", "evacu", "absent"])
    n = len(texts)
    for term, df in [("white", 3), ("helmet", 2), ("evacu", 1), ("absent", 0)]:
        assert np.isclose(idf[term], np.log(1 + (n - df + 0.5) / (df + 0.5)))
        if df:
            assert np.count_nonzero(lex.scores([term])) == df


# -- at scale: memory-mapped BM25 read through the query terms' postings, and candidate ranking ----

import re as _re

import pytest

from conftest import ARTICLES, FakeEmbedder
from qa.lexical import DENSE_SHARE


def _seed_words() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(ARTICLES.glob("*.txt")))
    return sorted({w for w in _re.findall(r"[A-Za-z]{3,}", text)})


def _seed_sentences() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(ARTICLES.glob("*.txt")))
    return [s.strip() for s in _re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.strip()) > 20]


def test_postings_top_k_of_a_memory_mapped_bm25_equals_the_full_scores_top_k(tmp_path):
    texts = _seed_sentences()
    assert len(texts) > 40
    built = Lexical.build(texts)
    built.save(tmp_path / "bm25")
    mapped = Lexical.load(tmp_path / "bm25", mmap=True)
    assert isinstance(mapped.bm25.scores["data"], np.memmap)
    indptr = built.bm25.scores["indptr"]
    df = {t: int(indptr[i + 1] - indptr[i]) for t, i in built.bm25.vocab_dict.items() if i + 1 < len(indptr)}
    rare = sorted(t for t, n in df.items() if 1 <= n <= 2)[:3]
    # Both ways of summing postings: sorting them (rare terms) and counting into every chunk (common).
    assert sum(df[t] for t in rare) * DENSE_SHARE < len(texts) <= (df["white"] + df["helmet"]) * DENSE_SHARE
    queries = [(["white", "helmet"], None), (["white", "helmet", "syria", "armi"], [1.0, 1.0, 0.6, 0.3]),
               (rare + ["absentterm"], [1.0, 0.5, 0.25, 1.0]), (["absentterm"], None)]
    for terms, weights in queries:
        full = built.scores(terms, weights)
        chunks, scores = mapped.matches(terms, weights)
        assert chunks.tolist() == np.flatnonzero(full > 0).tolist()
        assert np.allclose(scores, full[chunks], rtol=1e-6)
        assert np.allclose(mapped.lookup(terms, weights, np.arange(full.size)), full, rtol=1e-6)
        for k in (1, 5, 500):
            # MaxScore with the default split, and with any term longer than 1 or 2 postings "common".
            for rare in (None, 1, 2):
                top, top_scores = mapped.top(terms, weights, k, rare=rare)
                expected = [int(i) for i in np.lexsort((np.arange(full.size), -full)) if full[i] > 0][:k]
                assert top.tolist() == expected
                assert np.allclose(top_scores, full[top], rtol=1e-6)
        allowed = np.arange(full.size) % 2 == 0
        for rare in (None, 2):
            top, _ = mapped.top(terms, weights, 5, allowed=allowed, rare=rare)
            assert top.tolist() == [int(i) for i in np.lexsort((np.arange(full.size), -full)) if full[i] > 0 and allowed[i]][:5]
    assert sum(mapped.top(t, w, 5)[0].size for t, w in queries[:3]) > 0  # the queries do match


OUTLETS = ("Alpha News", "Beta Times", "Gamma Post", "Delta Wire")


@pytest.fixture(scope="module")
def scaled_index(tmp_path_factory) -> "Path":
    """600 articles of seed words (fake embedder), then a generation whose dense index is the
    compressed one (the threshold lowered through dense.build's argument)."""
    from qa import dense, store
    from qa.indexing import build_index

    root = tmp_path_factory.mktemp("scaled")
    folder, index = root / "articles", root / "index"
    folder.mkdir()
    words = _seed_words()
    rng = np.random.default_rng(0)
    for i in range(600):
        sentences = [" ".join(rng.choice(words, size=int(rng.integers(8, 16)))).capitalize() + "." for _ in range(6)]
        front = f"---\ntitle: Article {i}\nsource: {OUTLETS[i % 4]}\ndate: 2020-{1 + i % 12:02d}-15\n---\n"
        (folder / f"a{i:04d}.txt").write_text(front + "\n".join(sentences) + "\n", encoding="utf-8")
    build_index(folder, index, embedder=FakeEmbedder())
    gen = store.read(index)
    assert len(gen.vectors) > 3_000
    compressed = dense.build(gen.vectors, threshold=1_000)
    with store.writer_lock(index):
        store.write(index, manifest=gen.manifest, documents=list(gen.documents.values()), chunks=gen.chunks,
                    vectors=gen.vectors, dense_bytes=dense.to_bytes(compressed), lexical=Lexical.load(gen.folder / "bm25"))
    return index


def test_at_scale_only_candidates_are_ranked_the_head_with_its_exact_fused_score(scaled_index):
    from qa import retrieval
    from qa.settings import Settings
    from qa.snapshot import Snapshot

    embedder = FakeEmbedder()
    snap = Snapshot.load(scaled_index, Settings(), embedder)
    assert snap.at_scale and isinstance(snap.vectors, np.memmap)
    assert isinstance(snap.lexical.bm25.scores["data"], np.memmap)
    from qa import columns, dense

    exact_snap = Snapshot(snap.folder, columns.read(snap.folder), np.array(snap.vectors), snap.lexical,
                          dense.build(np.array(snap.vectors)))
    assert not exact_snap.at_scale
    words = _seed_words()
    rng = np.random.default_rng(1)
    overlap = []
    for _ in range(15):
        question = " ".join(rng.choice(words, size=4))
        found = retrieval.search(snap, embedder, question, [], turns=1, candidates=50)
        exact = retrieval.search(exact_snap, embedder, question, [], turns=1, candidates=50)
        assert 0 < found.order.size < len(snap.chunks)
        # The head carries the exact fused score, so it keeps the exact relative order; below it a
        # chunk's dense part is the best of its sentences the approximate search found: never above
        # the exact score, and equal to it unless that search missed the chunk's best sentence.
        head = found.order[:retrieval.HEAD]
        assert np.allclose([found.scores[i] for i in head], exact.scores[head], atol=1e-5)
        position = np.argsort(exact.order)
        assert np.all(np.diff(position[head]) > 0) or np.allclose(np.diff([exact.scores[i] for i in head]), 0, atol=1e-5)
        ours = np.array([found.scores[i] for i in found.order])
        assert np.all(ours <= exact.scores[found.order] + 1e-5)
        for ci in found.order[:5]:  # what answering reads: every sentence of the top chunks, exactly
            for row in range(snap.first_sentence[ci], snap.first_sentence[ci + 1]):
                assert np.isclose(found.sentence_sims[row], exact.sentence_sims[row], atol=1e-6)
        assert found.sentence_sims.size == exact.sentence_sims.size and len(found.scores) == len(exact.scores)
        outside = next(i for i in range(len(snap.chunks)) if i not in set(found.order.tolist()))
        assert found.scores[outside] == -np.inf and found.scores[-len(snap.chunks)] == found.scores[0]
        overlap.append(len(set(found.order[:10].tolist()) & set(exact.order[:10].tolist())) / 10)
        # Answering reads the sparse scores as it reads arrays: the same candidates, the same features.
        from qa import answering

        top = [c.chunk for c in answering.candidates(snap, found)][:5]
        assert top and top == [c.chunk for c in answering.candidates(exact_snap, exact)][:5]
        assert answering.answer(snap, question, found).question == question
    assert np.mean(overlap) >= 0.95


def test_at_scale_filters_still_hold(scaled_index):
    from qa import retrieval
    from qa.settings import Settings
    from qa.snapshot import Snapshot

    embedder = FakeEmbedder()
    snap = Snapshot.load(scaled_index, Settings(), embedder)
    for filters in (Filters.make(["beta times"]), Filters.make(None, "2020-06-01", "2020-08-31"),
                    Filters.make(["Alpha News", "Delta Wire"], "2020-03-01")):
        expected = []
        for i in range(len(snap.chunks)):  # the filter's meaning, one article at a time
            d = snap.documents[snap.chunks[i].path]
            expected.append((not filters.sources or (d.source or "").casefold() in filters.sources)
                            and (not filters.since or (d.date is not None and d.date >= filters.since))
                            and (not filters.until or (d.date is not None and d.date <= filters.until)))
        assert retrieval.allowed_mask(snap, filters).tolist() == expected and any(expected) and not all(expected)
        found = retrieval.search(snap, embedder, "white helmets syria army", [], turns=1, candidates=50, filters=filters)
        allowed = retrieval.allowed_chunks(snap, filters)
        assert found.order.size > 10 and allowed[found.order].all()


def test_maxscore_stops_early_when_the_rare_terms_decide_the_top_k(tmp_path, monkeypatch):
    texts = _seed_sentences()
    lex = Lexical.build(texts)
    indptr = lex.bm25.scores["indptr"]
    df = {t: int(indptr[i + 1] - indptr[i]) for t, i in lex.bm25.vocab_dict.items() if i + 1 < len(indptr)}
    rare = sorted(t for t, n in df.items() if n == 1)[0]
    sums = []
    original = Lexical._sum
    monkeypatch.setattr(Lexical, "_sum", lambda self, postings: sums.append(len(postings)) or original(self, postings))
    terms, weights = [rare, "white"], [1.0, 0.1]
    top, scores = lex.top(terms, weights, 1, rare=1)
    full = lex.scores(terms, weights)
    assert top.tolist() == [int(np.argmax(full))] and np.isclose(scores[0], full.max())
    assert sums == [1]  # only the rare term's postings were summed; "white" was looked up
    sums.clear()
    lex.top(terms, [0.1, 1.0], 3, rare=1)  # the common term now decides: every posting is summed
    assert sums == [1, 2]


def test_a_question_about_the_present_prefers_the_newest_of_the_best_passages(scaled_index):
    from qa import columns, dense, retrieval
    from qa.settings import Settings
    from qa.snapshot import Snapshot

    embedder = FakeEmbedder()
    scaled = Snapshot.load(scaled_index, Settings(), embedder)
    exact = Snapshot(scaled.folder, columns.read(scaled.folder), np.array(scaled.vectors), scaled.lexical,
                     dense.build(np.array(scaled.vectors)))
    assert retrieval.RECENT.search("Who won this week?") and retrieval.RECENT.search("What is it currently?")
    assert not retrieval.RECENT.search("white helmets syria army") and not retrieval.RECENT.search("the weekly currency")
    for snap in (scaled, exact):
        plain = retrieval.search(snap, embedder, "white helmets syria army", [], turns=1, candidates=50)
        assert retrieval.prefer_recent(snap, "white helmets syria army", plain) is plain
        now = retrieval.prefer_recent(snap, "white helmets syria army this week", plain)
        # The same candidates; only the head's order and scores change.
        assert sorted(plain.order.tolist()) == sorted(now.order.tolist())
        assert np.array_equal(now.order[retrieval.RECENT_HEAD:], plain.order[retrieval.RECENT_HEAD:])
        head = plain.order[:retrieval.RECENT_HEAD]
        days = np.array([retrieval._day(str(d)) for d in snap.chunk_date_array[head]])
        assert len(set(days.tolist())) > 1
        for ci, day in zip(head, days):
            gain = float(now.scores[ci]) - float(plain.scores[ci])
            assert np.isclose(gain, retrieval.RECENT_WEIGHT * np.exp(-(days.max() - day) / retrieval.RECENT_DAYS), atol=1e-5)
        assert np.all(np.diff([float(now.scores[i]) for i in now.order[:retrieval.RECENT_HEAD]]) <= 1e-6)
        # The newest articles of the head move up.
        fresh = set(head[days == days.max()].tolist())
        rank = lambda order: np.mean([i for i, c in enumerate(order.tolist()) if c in fresh])  # noqa: E731
        assert rank(now.order) < rank(plain.order)
    # At scale, every sentence of every chunk the preference may move up is scored exactly, so what
    # answering reads (the top chunks' sentences) stays exact.
    question = "white helmets syria army this week"
    found = retrieval.search(scaled, embedder, question, [], turns=1, candidates=50)
    qv = embedder.encode([question])[0]
    for ci in found.order[:retrieval.RECENT_HEAD]:
        for row in range(scaled.first_sentence[ci], scaled.first_sentence[ci + 1]):
            assert np.isclose(found.sentence_sims[row], float(np.asarray(scaled.vectors[row]) @ qv), atol=1e-5)


def test_raising_the_head_takes_any_bonus_without_overflow():
    import warnings

    import numpy as np

    from qa.retrieval import Query, Retrieval, raise_head

    scores = np.array([3.0, 2.0, 1.0, 0.5], dtype=np.float32)
    found = Retrieval(Query([], [], [], []), scores, np.zeros(0, dtype=np.float32), np.array([0, 1, 2, 3]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in a cast would be a RuntimeWarning
        raised = raise_head(found, 3, np.array([0.0, 1e300, float("nan")]))
    assert raised.order.tolist() == [1, 0, 2, 3]  # the huge bonus leads; NaN counts as none; the tail stays
    assert np.isfinite(raised.scores).all() and raised.scores[2] == 1.0
