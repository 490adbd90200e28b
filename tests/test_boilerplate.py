from qa import boilerplate

from conftest import ARTICLES, SEED_A, SEED_B, read_text


def _texts(text: str) -> list[str]:
    return [text[s:e] for s, e in boilerplate.spans(text)]


def test_seed_b_furniture_exact():
    assert _texts(read_text(ARTICLES / SEED_B)) == [
        "13:24 GMT +320 July 2018",
        "US Rushes to Withdraw White Helmets as Syrian Army Advances in South - Reports",
        "© Sputnik / Morad Saeed",
        "404",
        "© AP Photo / Syrian Civil Defense White Helmets",
        "Syria’s Idlib Residents Warn of Potential Provocation by White Helmets",
        "Tags:",
        "reports, evacuation, withdrawal, White Helmets, Europe, Syria, United States",
    ]


def test_seed_a_furniture_exact():
    text = read_text(ARTICLES / SEED_A)
    lines = [text[s:e] for s, e in boilerplate.spans(text)]
    joined = "\n".join(lines)
    for expected in ["Listen Live", "Get short URL", "Middle East", "Community standardsDiscussion",
                     "NGO, evacuation, withdrawal, NATO, White Helmets, Vladimir Putin, Donald Trump, Syria, US",
                     "White Helmets Left Aleppo Boy in Pain to Make Propaganda Pics – English Priest"]:
        assert expected in joined
    assert sum("READ MORE:" in line for line in lines) == 3
    # Body sentences are never boilerplate.
    assert "Daraa province" not in joined
    assert "James Le Mesurier" not in joined


def test_spans_are_whole_lines_and_text_is_untouched():
    text = "Listen Live\nA real sentence here.\n  READ MORE: Something Else Entirely\nAnother sentence.\n"
    spans = boilerplate.spans(text)
    assert [text[s:e] for s, e in spans] == ["Listen Live", "READ MORE: Something Else Entirely"]
    assert boilerplate.content_regions(text, spans) == [(11, 36), (70, 89)]
    assert [text[s:e].strip() for s, e in boilerplate.content_regions(text, spans)] == ["A real sentence here.", "Another sentence."]


def test_tag_list_and_headline_detection():
    assert boilerplate.is_tag_list("reports, evacuation, withdrawal, White Helmets, Europe, Syria")
    assert not boilerplate.is_tag_list("He came, he saw, he conquered, and then, he left.")
    assert boilerplate.is_headline_like("Syria Accuses US, UK, France of Backing Terror Through Support for White Helmets")
    assert not boilerplate.is_headline_like("The officials said the operation was likely to happen soon.")
