"""Article metadata (title, source, date, url) inferred from the text's header lines.

Only the first lines are looked at, and only lines that look like page furniture (a date line,
a "© Outlet / Photographer" credit, a headline of its own) count. Unknown stays ``None``.
"""

from __future__ import annotations

import itertools
import re

from qa.boilerplate import HEADER_LINES, is_furniture, is_headline_like, is_tag_list, iter_lines
from qa.dates import front_matter, front_matter_span, is_date_line, parse_date

__all__ = ["credit_outlet", "front_matter_span", "infer", "is_date_line", "markdown_heading", "parse_date"]

_KEY_VALUE = re.compile(r"^(?P<key>title|source|outlet|publisher|date|published|url)\s*:\s*(?P<value>.+)$", re.I)
_CREDIT_MARK = re.compile(r"©|\(c\)|copyright", re.I)
_CREDIT_STOP = re.compile(r"[/|,]")
_PHOTO = re.compile(r"photo\b", re.I)
_URL = re.compile(r"^(https?://\S+)$")
_HEADING = re.compile(r"^#\s+(.+)$", re.M)
_BLANK_LINE_AFTER = re.compile(r"[ \t]*(\r?\n|\r)[ \t]*(\r?\n|\r)")


def credit_outlet(line: str) -> str | None:
    """The outlet of a credit line ("© Sputnik / Morad Saeed" → "Sputnik"); None if not a credit.

    An empty string is a credit naming no one. Linear time: the name ends at the first "/", "|",
    "," or "photo", whichever comes first (the regex this replaces backtracked quadratically on
    long runs of spaces).
    """
    m = _CREDIT_MARK.match(line)
    if not m:
        return None
    rest = line[m.end():]
    first = len(rest) - len(rest.lstrip())  # the name starts after the spaces
    if first == len(rest) or rest[first] in "/|,":
        # Nothing but spaces before the end or a separator: a credit with no name, unless there
        # were no spaces at all ("©/x" is not a credit).
        return "" if first else None
    stop = _CREDIT_STOP.search(rest, first)
    end = stop.start() if stop else len(rest)
    photo = _PHOTO.search(rest, first + 1, end)
    if photo:
        end = photo.start()
    return rest[first:end].strip()


def markdown_heading(text: str) -> str | None:
    """The first "# Heading" of a Markdown text, without closing hashes (linear time)."""
    m = _HEADING.search(text)
    if not m:
        return None
    line = m.group(1)
    # What "(.+?)\s*#*\s*$" kept: the line less a trailing run of spaces, hashes, spaces (never empty).
    kept = line.rstrip().rstrip("#").rstrip()
    return kept or line[0]


def infer(text: str, *, markdown: bool = False) -> dict[str, str | None]:
    """Title, source, date and url from the header of ``text``; None where unknown."""
    found: dict[str, str | None] = {"title": None, "source": None, "date": None, "url": None}
    if markdown:
        fm = front_matter(text)
        found["title"] = fm.get("title")
        found["source"] = fm.get("source") or fm.get("outlet") or fm.get("publisher")
        found["date"] = parse_date(fm.get("date", ""))
        found["url"] = fm.get("url")
        span = front_matter_span(text)
        if not found["title"]:
            found["title"] = markdown_heading(text[span[1]:] if span else text)
    for line in itertools.islice(iter_lines(text), HEADER_LINES):
        t = line.text
        if kv := _KEY_VALUE.match(t):
            key, value = kv["key"].lower(), kv["value"].strip()
            if key == "title":
                found["title"] = found["title"] or value
            elif key in ("source", "outlet", "publisher"):
                found["source"] = found["source"] or value
            elif key in ("date", "published"):
                found["date"] = found["date"] or parse_date(value)
            elif key == "url":
                found["url"] = found["url"] or value
            continue
        if is_date_line(t):
            found["date"] = found["date"] or parse_date(t)
        elif (who := credit_outlet(t)) is not None and not found["source"]:
            found["source"] = who or None
        elif (url := _URL.match(t)) and not found["url"]:
            found["url"] = url.group(1)
        elif (
            not found["title"]
            and not is_furniture(t)
            and not is_tag_list(t)
            and is_headline_like(t, min_words=4)
        ):
            found["title"] = t
    if not found["title"]:
        found["title"] = _first_line_title(text)
    return found


def _first_line_title(text: str) -> str | None:
    """A first line standing alone above a blank line, in sentence case, as papers put their title."""
    first = next(iter_lines(text), None)
    if first is None:
        return None
    t = first.text
    alone = _BLANK_LINE_AFTER.match(text, first.end) is not None
    if alone and 3 <= len(t.split()) <= 40 and not t.endswith((".", "!")) and not is_furniture(t) \
            and not is_date_line(t):
        return t
    return None
