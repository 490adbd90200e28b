"""Page furniture inside article text ("Listen Live", "READ MORE: …", tag lists, related headlines).

Boilerplate is found as half-open character spans of whole lines; the text itself is never
changed, so everything else keeps its original offsets. Spans are neither indexed nor cited.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Iterator

from qa.dates import front_matter_span, has_words, is_date_line
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


_LINE = re.compile(r"[^\r\n]+")


def iter_lines(text: str) -> Iterator[Line]:
    """The non-blank lines of ``text`` (any of \\n, \\r\\n, \\r), stripped of surrounding whitespace."""
    for m in _LINE.finditer(text):
        s, e = strip_span(text, m.start(), m.end())
        if s < e:
            yield Line(s, e, text[s:e])


def lines(text: str) -> list[Line]:
    """``iter_lines`` as a list."""
    return list(iter_lines(text))


def is_headline_like(line: str, *, min_words: int = 1, max_words: int = 25) -> bool:
    """Title Case, no sentence punctuation at the end: a headline, a link to one, or a section label."""
    if line.endswith(_SENTENCE_END) or _CREDIT.match(line):
        return False
    # Never more than max_words + 1 words are listed: a line may be megabytes long.
    words = [m.group() for m in itertools.islice(_WORD.finditer(line), max_words + 1)]
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
    # Item by item, stopping at the first that fails: a line may be megabytes long.
    n, pos = 0, 0
    while pos <= len(line):
        comma = line.find(",", pos)
        end = len(line) if comma < 0 else comma
        item = line[pos:end]
        if not has_words(item, 1) or has_words(item, 5):
            return False
        n, pos = n + 1, end + 1
    return n >= 4


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
    found: list[tuple[int, int]] = []
    if markdown:
        fm = front_matter_span(text)
        if fm:
            found.append(fm)
    after_tags = False
    for i, line in enumerate(iter_lines(text)):
        t = line.text
        header = i < HEADER_LINES
        # One- and two-word labels ("Middle East") only in the header: in a body they are
        # more often list items or section names inside the text.
        bad = (
            is_furniture(t, in_header=header)
            or is_tag_list(t)
            or is_headline_like(t, min_words=1 if header else 3)
            or is_date_line(t)
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
