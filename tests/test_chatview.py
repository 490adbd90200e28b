"""What a chat shows, without a browser: markers, the answer phrase, labels, escaping, copy text, memo, history."""

from __future__ import annotations

import re

from qa.chatview import (Turn, conversation, copy_text, history, memo, reply_html, source_name, sources_html, viewer)
from qa.documents import Document
from qa.results import Answer, Citation, Passage

TEXT = ("Header line\n\nThe group was founded by James Le Mesurier in\u00a02014, officials said [1].\n"
        "Another sentence <script>alert(1)</script> ![x](http://e.x/i.png) **bold**.\n")
Q_START = TEXT.index("The group")
Q_END = TEXT.index("said [1].") + len("said [1].")
QUOTE = TEXT[Q_START:Q_END]
PHRASE = "in\u00a02014"
P_START = TEXT.index(PHRASE)


def _citation(**kw) -> Citation:
    base = dict(path="a/000_x.txt", start=Q_START, end=Q_END, quote=QUOTE, title="The Title", source="Sputnik",
                date="2018-07-20", answer_start=P_START, answer_end=P_START + len(PHRASE))
    return Citation(**{**base, **kw})


def _answer(c: Citation | None = None, **kw) -> Answer:
    c = c or _citation()
    text = f"According to Sputnik (20 July 2018), “{QUOTE.replace(chr(10), ' ')}” [1]"
    return Answer(kw.pop("question", "When was it founded?"), text, True, [c], [], **kw)


def _doc(text: str = TEXT) -> Document:
    return Document(path="a/000_x.txt", text=text, sha256="x", title="The Title", source="Sputnik", date="2018-07-20",
                    url="https://example.org/a", boilerplate=((0, 11),))


def test_reply_has_one_clickable_marker_per_citation_and_the_phrase_in_bold():
    html = reply_html(3, _answer())
    # The "[1]" inside the quote is the article's own text; only the marker after the quote is a button.
    assert html.count('class="qa-ref"') == 1
    assert '<button type="button" class="qa-ref" data-open="3:1"' in html
    assert re.search(r'<strong class="qa-phrase">in\s2014</strong>', html)
    assert html.count("said [1].") == 1


def test_phrase_is_found_by_position_not_by_search():
    """The phrase "2014" appears twice in the quote; the second one is the answer."""
    text = "In 2014 it grew. It was founded in 2014."
    c = Citation("x.txt", 0, len(text), text, answer_start=text.rindex("2014"), answer_end=len(text) - 1)
    html = reply_html(0, Answer("q", f"According to an article (x.txt), “{text}” [1]", True, [c], []))
    assert "In 2014 it grew. It was founded in <strong class=\"qa-phrase\">2014</strong>." in html


def test_reply_without_a_phrase_and_with_an_unexpected_text_still_gets_its_marker():
    html = reply_html(0, _answer(_citation(answer_start=None, answer_end=None)))
    assert "qa-phrase" not in html and 'data-open="0:1"' in html
    odd = Answer("q", "Something else entirely [1]", True, [_citation()], [])
    assert 'data-open="0:1"' in reply_html(0, odd)


def test_article_text_is_escaped_everywhere():
    evil = _citation(quote=TEXT[TEXT.index("Another"):], start=TEXT.index("Another"), end=len(TEXT),
                     answer_start=None, answer_end=None, title="<img src=x onerror=alert(1)>")
    answer = Answer("q", f"According to Sputnik, “{evil.quote}” [1]", True, [evil], [])
    page = conversation([Turn("q <b>", answer)])
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert "q &lt;b&gt;" in page
    view = viewer(Turn("q", answer), 1, _doc())
    assert "<script>" not in view and "<img" not in view and "&lt;script&gt;" in view


def test_sources_are_named_as_people_name_them():
    assert source_name(_citation()) == "Sputnik · The Title · 20 July 2018"
    assert source_name(_citation(source=None, title=None, date=None)) == "outlet unknown · date unknown"
    cards = sources_html(0, _answer())
    assert "Sputnik · The Title · 20 July 2018" in cards and "a/000_x.txt · characters" in cards
    assert cards.count(QUOTE[:20]) == 0  # the quote is in the reply, not repeated under it


def test_related_passages_are_labelled_apart_from_citations():
    ps = [Passage("a.txt", 0, 10, "x" * 10, 0.5, source="AP"), Passage("a.txt", 40, 60, "y" * 20, 0.4, source="AP")]
    refusal = Answer("q", "The articles do not answer this question.", False, [], ps)
    cards = sources_html(2, refusal)
    assert "Related reading, not an answer (2)" in cards and "qa-related" in cards
    labels = re.findall(r'<span class="qa-detail">(.*?)</span>', cards)
    assert len(set(labels)) == 2 and "passage, characters 0–10" in labels[0]
    doc = Document(path="a.txt", text="x" * 10 + "z" * 30 + "y" * 20, sha256="x", title=None, source="AP", date=None, url=None,
                   boilerplate=())
    view = viewer(Turn("q", refusal), 2, doc)
    assert "Related passage, not an answer" in view and "qa-passage" in view
    assert "qa-quote" not in view and "qa-answer" not in view


def test_viewer_marks_quote_and_answer_and_dims_boilerplate():
    view = viewer(Turn("q", _answer()), 1, _doc())
    assert '<span class="qa-boilerplate">Header line</span>' in view
    assert f'<mark class="qa-hit qa-quote">The group was founded by James Le Mesurier <strong class="qa-answer">' \
           f'{PHRASE}</strong>, officials said [1].</mark>' in view
    assert 'href="https://example.org/a"' in view


def test_viewer_says_when_the_article_changed():
    changed = _doc(TEXT.replace("founded", "FOUNDED"))
    assert "has changed since the answer" in viewer(Turn("q", _answer()), 1, changed)
    assert "has changed since the answer" in viewer(Turn("q", _answer()), 1, None)


def test_viewer_never_links_a_javascript_url():
    doc = Document(path="a/000_x.txt", text=TEXT, sha256="x", title=None, source=None, date=None, url="javascript:alert(1)",
                   boilerplate=())
    assert "javascript" not in viewer(Turn("q", _answer()), 1, doc)


def test_copy_text_is_clean_and_complete():
    turn = Turn("When was it founded?", _answer(), urls=(("a/000_x.txt", "https://example.org/a"),))
    text = copy_text(turn)
    assert QUOTE in text  # verbatim
    assert "Sputnik · The Title · 20 July 2018" in text
    assert f"https://example.org/a (file a/000_x.txt), characters {Q_START}–{Q_END}" in text
    assert "\\" not in text and "&" not in text and "<" not in text


def test_memo_lists_every_question_reply_and_quote_with_its_locator():
    follow = _answer(question="When was it founded?", interpreted="When was the group founded?")
    turns = [Turn("Who founded it?", _answer(question="Who founded it?")), Turn("When was it founded?", follow),
             Turn("x" * 3000, error="the question is too long (3,000 characters; the limit is 2,000)")]
    md = memo(turns)
    assert md.startswith("# Sourcing memo")
    assert "## 1. Who founded it?" in md and "## 2. When was it founded?" in md
    assert "*Read as:* When was the group founded?" in md
    assert md.count(f"file a/000_x.txt, characters {Q_START}–{Q_END}") == 2
    assert "> The group was founded by James Le Mesurier" in md
    assert "Not asked: the question is too long" in md


def test_history_restarts_at_a_question_asked_on_its_own():
    a = _answer()
    turns = [Turn("one", a), Turn("bad", error="empty"), Turn("two", a), Turn("three", a, alone=True), Turn("four", a)]
    assert history(turns) == ["three", "four"]
    assert history(turns[:3]) == ["one", "two"]
    assert history([]) == []


def test_read_as_and_ask_on_its_own():
    follow = _answer(question="When was it founded?", interpreted="When was the group founded?")
    page = conversation([Turn("Who founded it?", _answer()), Turn("When was it founded?", follow)])
    assert "Read as: When was the group founded? <button" in page and 'data-alone="1"' in page
    plain = conversation([Turn("Who founded it?", _answer(question="Who founded it?"))])
    assert "Read as" not in plain
    alone = conversation([Turn("When was it founded?", follow, alone=True)])
    assert "Asked on its own" in alone and "data-alone" not in alone


def test_empty_chat_offers_examples():
    page = conversation([])
    assert page.count('class="qa-example"') == 4 and 'data-memo=""' in page


def test_a_refusal_offers_nothing_to_copy():
    answered = conversation([Turn("Who founded it?", _answer(question="Who founded it?"))])
    refused = conversation([Turn("Who won?", Answer("Who won?", "The articles do not answer this question.", False))])
    assert 'class="qa-copy"' in answered and 'class="qa-copy"' not in refused
