from qa import sentences


def _split(text: str) -> list[str]:
    return [text[s:e] for s, e in sentences.split(text)]


def test_abbreviations_initials_and_quotes():
    text = 'Dr. Smith met J. Smith in the U.S. on Jan. 7. He said "hi." Then left! (Really.) 3.5 kg e.g. that. Yes'
    assert _split(text) == ['Dr. Smith met J. Smith in the U.S. on Jan. 7.', 'He said "hi."', "Then left!", "(Really.)",
                            "3.5 kg e.g. that.", "Yes"]


def test_paragraphs_always_split_and_spans_are_trimmed():
    text = "  First line without stop\n\n    Second one. Third\u00a0one.  \n"
    assert _split(text) == ["First line without stop", "Second one.", "Third\u00a0one."]


def test_sub_range_offsets_are_absolute():
    text = "Skip this. Keep this one. And this."
    spans = sentences.split(text, 11, len(text))
    assert spans == [(11, 25), (26, 35)]
    assert [text[s:e] for s, e in spans] == ["Keep this one.", "And this."]


def test_lower_case_after_stop_does_not_split():
    assert _split("The value was 5 vs. 6 in total. next to nothing.") == ["The value was 5 vs. 6 in total. next to nothing."]


# --- issue 10, item 6: the end-of-sentence regex backtracked quadratically -------------------------

import re
import time

from hypothesis import given, settings, strategies as st

_OLD_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")  # the pattern before the fix: the oracle


def _fast(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def test_long_runs_of_punctuation_quotes_and_spaces_are_linear():
    # 40,000 "." then "x" took 55 s; each of these shapes now takes milliseconds.
    n = 40_000
    shapes = ["." * n + "x", "!?…" * (n // 3) + "x", "." * n + "”" * n + "x", "a." + "'" * n + "x",
              "Word." + " " * n + "x", ". " * n, "…" * n, "1." * n + "x", '."' * n + "x", "\u00a0" * n + "."]
    for text in shapes:
        assert _fast(sentences.split, text) < 1.0, text[:20]
        assert _fast(sentences.strip_span, text, 0, len(text)) < 1.0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=".!?…\"'”’)] \n\tAbc1e", max_size=40))
def test_candidate_ends_are_those_of_the_old_pattern(text):
    old = [(m.start(), m.end()) for m in _OLD_END.finditer(text)]
    assert [(m.start(), m.end()) for m in sentences._END.finditer(text)] == old


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\n\r\u00a0\u2003\x1cab.", max_size=20), st.data())
def test_strip_span_trims_exactly_what_isspace_calls_whitespace(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    s, e = sentences.strip_span(text, start, end)
    piece = text[start:end]
    assert text[s:e] == piece.strip()
    assert s == start + len(piece) - len(piece.lstrip())
