"""Question answering over a folder of news articles, with exact, verifiable citations.

The public API (see CONTRACT.md): build_index, update_index, load_index, ask, and the result types.
"""

from __future__ import annotations

from pathlib import Path

from qa.errors import BadInputError, IndexBusyError, IndexCorruptError, IndexMismatchError, IndexMissingError, QAError
from qa.indexing import build_index, update_index
from qa.results import Answer, BuildSummary, Citation, Passage
from qa.settings import Settings

__all__ = [
    "Answer", "BadInputError", "BuildSummary", "Citation", "Engine", "IndexBusyError", "IndexCorruptError",
    "IndexMismatchError", "IndexMissingError", "Passage", "QAError", "Settings", "ask", "build_index",
    "load_index", "update_index",
]


def load_index(index: str | Path = "index", *, settings: Settings | None = None) -> "Engine":
    """Open an index for questions. Raises a QAError if it is missing, damaged or built with other settings."""
    from qa.engine import Engine

    return Engine.load(index, settings=settings)


_default: "Engine | None" = None


def ask(question: str, history: list[str] | None = None) -> Answer:
    """Answer from the default index (``./index``), building it from ``./articles`` if it is missing."""
    global _default
    if _default is None:
        settings = Settings()
        if not (settings.index_dir / "CURRENT").is_file():
            build_index(settings.articles_dir, settings.index_dir, settings=settings)
        _default = load_index(settings.index_dir, settings=settings)
    return _default.ask(question, history=history or [])


def __getattr__(name: str):
    if name == "Engine":
        from qa.engine import Engine

        return Engine
    raise AttributeError(name)
