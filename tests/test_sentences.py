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
