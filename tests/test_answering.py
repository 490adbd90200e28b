from qa.answering import Candidate, attribution, human_date, is_evidence


def test_attribution_names_what_is_known_and_never_guesses():
    assert attribution("Sputnik", "2018-07-20", "A Title", "a.txt") == "According to Sputnik (20 July 2018)"
    assert attribution(None, "2021-04-13", None, "000.txt") == "According to an article of 13 April 2021 (000.txt)"
    assert attribution(None, None, "A Title", "a.txt") == "According to “A Title”"
    assert attribution(None, None, None, "a.txt") == "According to an article (a.txt)"


def test_human_date():
    assert human_date("2018-07-02") == "2 July 2018"
    assert human_date(None) is None
    assert human_date("sometime") == "sometime"


def test_evidence_needs_meaning_or_terms_and_enough_overall():
    def cand(dense, cover, score):
        return Candidate(0, 0, 1, dense, cover, 1.0, score)

    assert is_evidence(cand(0.7, 0.1, 0.5))
    assert is_evidence(cand(0.2, 0.9, 0.5))
    assert not is_evidence(cand(0.3, 0.3, 0.5))
    assert not is_evidence(cand(0.7, 0.9, 0.1))
