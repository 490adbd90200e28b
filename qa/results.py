"""The result types of the public API (see CONTRACT.md)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved span of an article: ``text == article_text[start:end]``."""

    path: str
    start: int
    end: int
    text: str
    score: float
    title: str | None = None
    source: str | None = None
    date: str | None = None


@dataclass(frozen=True, slots=True)
class Citation:
    """A verbatim quote: ``quote == article_text[start:end]``."""

    path: str
    start: int
    end: int
    quote: str
    title: str | None = None
    source: str | None = None
    date: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """A chat reply; markers ``[1]``, ``[2]`` … in ``text`` refer to ``citations`` in order."""

    question: str
    text: str
    found: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BuildSummary:
    """What a build or update did."""

    files: int
    chunks: int
    embedded: int
    skipped: dict[str, str]
    seconds: float
    index_dir: str
    removed: int = 0
    unchanged: int = 0
