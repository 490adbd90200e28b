"""Page furniture inside article text ("Listen Live", "READ MORE: …", tag lists, related headlines).

Boilerplate is found as half-open character spans of whole lines; the text itself is never
changed, so everything else keeps its original offsets. Spans are neither indexed nor cited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.sentences import strip_span

_FURNITURE = {
    "listen live", "get short url", "community standards", "community standardsdiscussion",
    "discussion", "share", "share this", "share this article", "subscribe", "comments", "comment",
    "print", "follow us", "advertisement", "related", "related articles", "more", "tweet",
    "abstract: nan",
}
_PREFIXES = re.compile(
    r"^(read more|read also|also read|see also|related|tags|topics|sha|doi|license|"
    r"authors?|date|published|updated|source|url|photo|image|credit)\s*:",
    re.IGNORECASE,
)
_URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)
_CREDIT = re.compile(r"^(©|\(c\)|copyright\b)", re.IGNORECASE)
_NUMBER = re.compile(r"^[\d\s.,:/+-]{1,12}$")
_SENTENCE_END = tuple('.!?:;,"”’)]')
_SMALL_WORDS = {
    "a", "an", "the", "and", "or", "but", "nor", "of", "in", "on", "at", "to", "for", "by", "with",
    "from", "as", "vs", "via", "into", "over", "after", "amid", "up", "is", "are", "be", "its",
}
HEADER_LINES = 12  # the first lines, where a page puts its date, section, credits and headline
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Line:
    """A line's stripped content as a half-open span of the text."""

    start: int
    end: int
    text: str


def lines(text: str) -> list[Line]:
    """The non-blank lines of ``text`` (any of \\n, \\r\\n, \\r), stripped of surrounding whitespace."""
    out = []
    for m in re.finditer(r"[^\r\n]+", text):
        s, e = strip_span(text, m.start(), m.end())
        if s < e:
            out.append(Line(s, e, text[s:e]))
    return out


def is_headline_like(line: str, *, min_words: int = 1, max_words: int = 25) -> bool:
    """Title Case, no sentence punctuation at the end: a headline, a link to one, or a section label."""
    if line.endswith(_SENTENCE_END) or _CREDIT.match(line):
        return False
    words = _WORD.findall(line)
    if not (min_words <= len(words) <= max_words):
        return False
    significant = [w for w in words if w.lower() not in _SMALL_WORDS]
    if not significant:
        return False
    capitalised = sum(w[0].isupper() for w in significant)
    return capitalised / len(significant) >= 0.75


def is_tag_list(line: str) -> bool:
    """"NGO, evacuation, withdrawal, NATO, …": short comma-separated items, no sentence."""
    if line.endswith((".", "!", "?")):
        return False
    items = [i.strip() for i in line.split(",")]
    return len(items) >= 4 and all(0 < len(i.split()) <= 4 for i in items)


def is_furniture(line: str, *, in_header: bool = True) -> bool:
    """A line of page furniture. Bare numbers count only in the header: in a body they are
    often stray page or reference numbers inside a sentence that runs across them."""
    low = line.lower()
    return (
        low in _FURNITURE
        or bool(_PREFIXES.match(line))
        or bool(_URL.match(line))
        or bool(_CREDIT.match(line))
        or (in_header and bool(_NUMBER.match(line)))
    )


def spans(text: str, *, markdown: bool = False) -> tuple[tuple[int, int], ...]:
    """Boilerplate spans of ``text``, sorted, merged, whole lines only."""
    from qa import metadata

    found: list[tuple[int, int]] = []
    if markdown:
        fm = metadata.front_matter_span(text)
        if fm:
            found.append(fm)
    all_lines = lines(text)
    after_tags = False
    for i, line in enumerate(all_lines):
        t = line.text
        header = i < HEADER_LINES
        # One- and two-word labels ("Middle East") only in the header: in a body they are
        # more often list items or section names inside the text.
        bad = (
            is_furniture(t, in_header=header)
            or is_tag_list(t)
            or is_headline_like(t, min_words=1 if header else 3)
            or metadata.is_date_line(t)
            or (after_tags and "," in t and not t.endswith("."))
        )
        after_tags = t.lower().rstrip(":") in {"tags", "topics", "keywords"}
        if bad:
            found.append((line.start, line.end))
    return merge(found)


def merge(found: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(found):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return tuple(out)


def content_regions(text: str, spans_: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    """The complement of the boilerplate spans: the regions that are indexed and may be cited."""
    regions, pos = [], 0
    for s, e in spans_:
        if s > pos:
            regions.append((pos, s))
        pos = max(pos, e)
    if pos < len(text):
        regions.append((pos, len(text)))
    return [(s, e) for s, e in regions if text[s:e].strip()]
