from qa import metadata

from conftest import ARTICLES, SEED_A, SEED_B, read_text


def test_gmt_line_with_zone_offset_run_into_the_day():
    assert metadata.parse_date("13:24 GMT +320 July 2018") == "2018-07-20"
    assert metadata.parse_date("23:55 GMT13 April 2021") == "2021-04-13"
    assert metadata.parse_date("10:00 GMT -531 December 2019") == "2019-12-31"


def test_other_date_forms():
    assert metadata.parse_date("Date: 2017-05-25") == "2017-05-25"
    assert metadata.parse_date("July 20, 2018") == "2018-07-20"
    assert metadata.parse_date("Published 3 Sept. 2020") == "2020-09-03"
    assert metadata.parse_date("no date here") is None
    assert metadata.parse_date("31 February 2020") is None


def test_date_line_is_a_line_not_a_sentence_with_a_date():
    assert metadata.is_date_line("13:24 GMT +320 July 2018")
    assert not metadata.is_date_line("This photo provided on Sunday, Jan. 7, 2018 by the Syrian Civil Defense")


def test_seed_article_with_headline_and_credit():
    meta = metadata.infer(read_text(ARTICLES / SEED_B))
    assert meta == {
        "title": "US Rushes to Withdraw White Helmets as Syrian Army Advances in South - Reports",
        "source": "Sputnik",
        "date": "2018-07-20",
        "url": None,
    }


def test_seed_article_without_headline_stays_unknown():
    # "Middle East" and "Get short URL" are page furniture, not a headline; no credit names an outlet.
    assert metadata.infer(read_text(ARTICLES / SEED_A)) == {"title": None, "source": None, "date": "2021-04-13", "url": None}


def test_markdown_front_matter_and_heading():
    text = "---\ntitle: Front Title\nsource: The Paper\ndate: 2020-01-02\n---\n# Heading\n\nBody.\n"
    assert metadata.infer(text, markdown=True) == {"title": "Front Title", "source": "The Paper", "date": "2020-01-02", "url": None}
    assert metadata.infer("# Only A Heading\n\nBody text.\n", markdown=True)["title"] == "Only A Heading"
    assert metadata.front_matter_span(text) == (0, text.index("# Heading"))


def test_paper_header():
    text = "Sequence of a French Bovine coronavirus Strain\n\nhttps://www.ncbi.nlm.nih.gov/pmc/articles/PMC5477389/\n\nDate: 2017-05-25\n\nText: B ovine."
    assert metadata.infer(text) == {
        "title": "Sequence of a French Bovine coronavirus Strain",
        "source": None,
        "date": "2017-05-25",
        "url": "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC5477389/",
    }


# --- issue 10, item 6: the credit regex backtracked quadratically --------------------------------

import re
import time

from hypothesis import given, settings, strategies as st

# The patterns before the fix, kept as oracles for the linear replacements.
_OLD_CREDIT = re.compile(r"^(?:©|\(c\)|copyright)\s*(?P<who>[^/|,]+?)\s*(?:photo\b.*)?(?:[/|,].*)?$", re.I)
_OLD_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)


def test_credit_line_with_a_long_run_of_spaces_is_linear():
    # "© a" + 40,000 spaces + "b" took 106 s to build.
    for line in ["© a" + " " * 40_000 + "b", "© " + "a " * 20_000 + "/", "(c)" + " " * 40_000,
                 "copyright " + "photo" * 8_000 + "x", "© " + "\t" * 40_000 + "photo"]:
        t0 = time.perf_counter()
        meta = metadata.infer(line + "\n\nBody text of the article.\n")
        assert time.perf_counter() - t0 < 1.0
    assert metadata.infer("© a" + " " * 40_000 + "b\n\nBody.")["source"] == "a" + " " * 40_000 + "b"
    assert meta["source"] == "photo"  # as before: the name is at least one word long


def test_markdown_heading_with_long_runs_is_linear():
    for text in ["# a" + " " * 40_000 + "b\n", "# " + "#" * 40_000 + "x\n", "# a" + " #" * 20_000 + "\n"]:
        t0 = time.perf_counter()
        metadata.infer(text, markdown=True)
        assert time.perf_counter() - t0 < 1.0


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="©(c)opyrightPHOTO /|,\t\u00a0_x", max_size=30))
def test_credit_outlet_is_what_the_old_pattern_found(line):
    m = _OLD_CREDIT.match(line)
    assert metadata.credit_outlet(line) == (m["who"].strip() if m else None)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="# \t\n\rab", max_size=30))
def test_markdown_heading_is_what_the_old_pattern_found(text):
    m = _OLD_HEADING.search(text)
    assert metadata.markdown_heading(text) == (m.group(1) if m else None)
