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
