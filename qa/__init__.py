"""Question answering over a folder of news articles, with exact, verifiable citations.

The public API (see CONTRACT.md): build_index, update_index, load_index, ask, index_info, and the
result types.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import BadInputError, IndexBusyError, IndexCorruptError, IndexMismatchError, IndexMissingError, QAError
from qa.indexing import build_index, ensure_index, update_index
from qa.results import Answer, BuildSummary, Citation, IndexInfo, Passage
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.engine import Engine

__all__ = [
    "Answer", "BadInputError", "BuildSummary", "Citation", "Engine", "IndexBusyError", "IndexCorruptError",
    "IndexInfo", "IndexMismatchError", "IndexMissingError", "Passage", "QAError", "Settings", "ask", "build_index",
    "ensure_index", "index_info", "load_index", "update_index",
]


def load_index(index: str | Path = "index", *, settings: Settings | None = None) -> "Engine":
    """Open an index for questions. Raises a QAError if it is missing, damaged or built with other settings."""
    from qa.engine import Engine

    return Engine.load(index, settings=settings)


def index_info(index: str | Path = "index") -> IndexInfo:
    """What an index holds and how it was built, without loading the model."""
    from qa import store

    return store.info(Path(index))


_default: "Engine | None" = None
_default_lock = threading.Lock()


def ask(question: str, history: list[str] | None = None, **filters) -> Answer:
    """Answer from the default index (``./index``), building it from ``./articles`` if it is missing.

    Keyword filters as on ``Engine.ask``: ``sources``, ``since``, ``until``.
    """
    global _default
    with _default_lock:
        if _default is None:
            settings = Settings()
            from qa.engine import clean_question

            clean_question(question, limit=settings.max_question_chars)  # a bad question fails before any work
            ensure_index(settings.articles_dir, settings.index_dir, settings=settings)
            _default = load_index(settings.index_dir, settings=settings)
    return _default.ask(question, history=history or [], **filters)


def __getattr__(name: str):
    if name == "Engine":
        from qa.engine import Engine

        return Engine
    raise AttributeError(name)
