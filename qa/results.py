"""The result types of the public API (see CONTRACT.md), with typed serialisation."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


def _to_row(obj) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _from_row(cls, row: dict[str, Any]):
    """An instance of ``cls`` from a dict, ignoring unknown keys (a newer writer's extra fields)."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in row.items() if k in names})


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

    def to_dict(self) -> dict[str, Any]:
        return _to_row(self)

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> "Passage":
        return _from_row(cls, row)


@dataclass(frozen=True, slots=True)
class Citation:
    """A verbatim quote: ``quote == article_text[start:end]``; ``answer_start:answer_end`` (inside it)
    is the phrase that answers, or both are None."""

    path: str
    start: int
    end: int
    quote: str
    title: str | None = None
    source: str | None = None
    date: str | None = None
    answer_start: int | None = None
    answer_end: int | None = None

    @property
    def answer(self) -> str | None:
        """The answer phrase, or None."""
        if self.answer_start is None or self.answer_end is None:
            return None
        return self.quote[self.answer_start - self.start:self.answer_end - self.start]

    def to_dict(self) -> dict[str, Any]:
        return _to_row(self)

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> "Citation":
        return _from_row(cls, row)


@dataclass(frozen=True, slots=True)
class Answer:
    """A chat reply; markers ``[1]``, ``[2]`` … in ``text`` refer to ``citations`` in order.

    ``interpreted`` is the question as it was read (standalone); equal to ``question`` when no
    earlier question was used. ``generation`` names the index generation that answered, so a
    front end can show the cited text from the same one.
    """

    question: str
    text: str
    found: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    interpreted: str = ""
    generation: str = ""

    def __post_init__(self) -> None:
        if not self.interpreted:
            object.__setattr__(self, "interpreted", self.question)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "interpreted": self.interpreted,
            "text": self.text,
            "found": self.found,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "generation": self.generation,
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> "Answer":
        return cls(
            question=row["question"], text=row["text"], found=bool(row["found"]),
            citations=[Citation.from_dict(c) for c in row.get("citations", [])],
            passages=[Passage.from_dict(p) for p in row.get("passages", [])],
            interpreted=row.get("interpreted", ""), generation=row.get("generation", ""),
        )


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


@dataclass(frozen=True, slots=True)
class IndexedFile:
    """One indexed article as the manifest records it."""

    path: str
    chunks: int
    title: str | None = None
    source: str | None = None
    date: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """What an index holds and how it was built: what front ends show, without reading the manifest."""

    index_dir: str
    generation: str
    articles: str
    built_at: str
    seconds: float
    model: str
    weights_sha256: str
    dimension: int
    embedding: str  # the backend and precision the vectors were computed with
    tokenizer: str
    chunk_tokens: int
    chunk_overlap: int
    model_max_tokens: int
    schema_version: int
    chunk_count: int
    files: tuple[IndexedFile, ...]
    skipped: dict[str, str]

    @property
    def file_count(self) -> int:
        return len(self.files)

    @property
    def sources(self) -> list[str]:
        """The outlets named by the indexed articles, sorted, each once."""
        return sorted({f.source for f in self.files if f.source}, key=str.lower)

    def to_dict(self) -> dict[str, Any]:
        out = _to_row(self)
        out["files"] = [_to_row(x) for x in self.files]
        return out
