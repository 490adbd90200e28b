"""What a reply shows, for every front end: the sources (citations, else the closest passages as
related reading), their labels and snippets; the answer as terminal text and as JSON. No retrieval
or answer logic here."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from qa.answering import human_date
from qa.results import Answer, Citation, Passage

RELATED_SHOWN = 3  # closest passages shown with a refusal
SNIPPET_CHARS = 300


@dataclass(frozen=True, slots=True)
class Shown:
    """One source as a reply shows it: a citation (``related`` False) or a related passage."""

    n: int
    item: Citation | Passage
    related: bool

    @property
    def marker(self) -> str:
        return f"[{self.n}]" if not self.related else f"({self.n})"

    @property
    def text(self) -> str:
        return self.item.quote if isinstance(self.item, Citation) else self.item.text

    @property
    def label(self) -> str:
        return describe_source(self.item)


def shown(answer: Answer) -> list[Shown]:
    """The sources a reply shows: its citations, or (for a refusal) the closest passages."""
    if answer.found:
        return [Shown(n, c, False) for n, c in enumerate(answer.citations, 1)]
    return [Shown(n, p, True) for n, p in enumerate(answer.passages[:RELATED_SHOWN], 1)]


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """``text`` on one line, cut at ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rstrip() + "…"


def describe_source(item: Citation | Passage) -> str:
    """'Sputnik, 20 July 2018, “Title” — path' with whatever is known."""
    parts = [x for x in (item.source, human_date(item.date), f"“{item.title}”" if item.title else None) if x]
    return ", ".join(parts + [item.path]) if parts else item.path


def answer_terminal(answer: Answer, *, width: int = 100) -> str:
    lines = []
    if answer.interpreted != answer.question:
        lines += [f"Read as: {answer.interpreted}", ""]
    lines += ["\n\n".join("\n".join(textwrap.fill(line, width=width) for line in par.split("\n"))
                          for par in answer.text.split("\n\n")), ""]
    sources = shown(answer)
    if sources:
        lines.append("Sources:" if answer.found else "Closest passages (related reading, not answers):")
    for s in sources:
        lines.append(f"  {s.marker} {s.label}, characters {s.item.start}–{s.item.end}")
        body = f"“{snippet(s.text, 10_000)}”" if not s.related else snippet(s.text)
        lines.append(textwrap.indent(textwrap.fill(body, width=width - 6), "      "))
    return "\n".join(lines).rstrip()


def answer_json(answer: Answer) -> dict[str, Any]:
    return answer.to_dict()
