"""Answers as text for the terminal and as JSON: no retrieval or answer logic here."""

from __future__ import annotations

import textwrap
from dataclasses import asdict
from typing import Any

from qa.results import Answer, Citation, Passage


def describe_source(item: Citation | Passage) -> str:
    """'Sputnik, 20 July 2018, “Title” — path' with whatever is known."""
    from qa.answering import human_date

    parts = [x for x in (item.source, human_date(item.date), f"“{item.title}”" if item.title else None) if x]
    return ", ".join(parts + [item.path]) if parts else item.path


def answer_terminal(answer: Answer, *, width: int = 100) -> str:
    lines = ["\n\n".join(textwrap.fill(par, width=width) for par in answer.text.split("\n\n")), ""]
    if answer.citations:
        lines.append("Sources:")
        for i, c in enumerate(answer.citations, 1):
            lines.append(f"  [{i}] {describe_source(c)}, characters {c.start}–{c.end}")
            lines.append(textwrap.indent(textwrap.fill(f"“{' '.join(c.quote.split())}”", width=width - 6), "      "))
    elif answer.passages:
        lines.append("Closest passages (not answers):")
        for p in answer.passages[:3]:
            lines.append(f"  - {describe_source(p)}, characters {p.start}–{p.end}")
            snippet = " ".join(p.text.split())
            lines.append(textwrap.indent(textwrap.fill(snippet[:300] + ("…" if len(snippet) > 300 else ""), width=width - 6), "      "))
    return "\n".join(lines).rstrip()


def answer_json(answer: Answer) -> dict[str, Any]:
    return asdict(answer)
