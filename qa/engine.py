"""A loaded index that answers: ``retrieve`` (passages) and ``ask`` (an answer with citations).

An Engine follows its index folder: when a build or update switches the live generation, the
next question loads the new one (the old stays in use until the new one has loaded whole), so a
long-running app never answers from half of one index and half of another. A generation that
fails to load is remembered and not retried until CURRENT names another one.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from qa import answering, retrieval, store
from qa.documents import Document
from qa.embedding import Embedder, load_embedder
from qa.errors import BadInputError, QAError
from qa.results import Answer, IndexInfo, Passage
from qa.settings import Settings
from qa.snapshot import Snapshot

_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_question(question: object, *, limit: int) -> str:
    """The question as text without control characters; a BadInputError saying what is wrong otherwise."""
    if not isinstance(question, str):
        raise BadInputError("the question must be text")
    # Lone surrogates (from undecodable command-line bytes) cannot be encoded: they become U+FFFD.
    question = _SURROGATE.sub("\ufffd", question).translate(_CONTROL).strip()
    if not question:
        raise BadInputError("the question is empty: type a question about the articles")
    if len(question) > limit:
        raise BadInputError(f"the question is too long ({len(question):,} characters; the limit is {limit:,})")
    return question


class Engine:
    """Questions against an index folder. Safe to share between threads."""

    def __init__(self, index: Path, snapshot: Snapshot, *, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.embedder = embedder
        self._snapshot = snapshot
        self._failed: str | None = None  # the last generation that would not load
        self._reload_lock = threading.Lock()

    @classmethod
    def load(cls, index: str | Path, *, settings: Settings | None = None, embedder: Embedder | None = None) -> "Engine":
        settings = settings or Settings()
        index = Path(index)
        store.read_manifest(index)  # a missing or damaged index fails here, before the model loads
        embedder = embedder or load_embedder(settings)
        return cls(index, Snapshot.load(index, settings, embedder), embedder=embedder, settings=settings)

    # -- public API -------------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        """The live generation, reloaded first if a build switched it since the last question."""
        try:
            live = store.current(self.index).name
        except QAError:
            return self._snapshot  # the folder is being replaced or was damaged: keep answering
        if live != self._snapshot.name and live != self._failed:
            with self._reload_lock:
                if live != self._snapshot.name and live != self._failed:
                    try:
                        self._snapshot = Snapshot.load(self.index, self.settings, self.embedder)
                    except QAError:
                        self._failed = live  # not loadable: the old generation keeps answering
        return self._snapshot

    @property
    def info(self) -> IndexInfo:
        """What the generation answering now holds."""
        return self.snapshot.info

    def document(self, path: str, generation: str | None = None) -> Document | None:
        """The article at ``path`` as the live generation stores it; None where it is not there, or
        where ``generation`` names another generation than the live one (its text may differ)."""
        snap = self.snapshot
        if generation and generation != snap.name:
            return None
        return snap.documents.get(path)

    def retrieve(self, question: str, history: list[str] | None = None, k: int = 10, *,
                 sources: list[str] | None = None, since: str | None = None, until: str | None = None) -> list[Passage]:
        """The ``k`` best passages for ``question``, best first."""
        snap = self.snapshot
        return self._search(snap, question, history, sources, since, until).passages(snap, k)

    def ask(self, question: str, history: list[str] | None = None, *, sources: list[str] | None = None,
            since: str | None = None, until: str | None = None) -> Answer:
        """An extractive answer with exact citations, or ``found=False`` when the articles do not answer."""
        snap = self.snapshot
        found = self._search(snap, question, history, sources, since, until)
        return answering.answer(snap, self.clean_question(question), found)

    def clean_question(self, question: object) -> str:
        return clean_question(question, limit=self.settings.max_question_chars)

    # -- internals --------------------------------------------------------------------------

    def _search(self, snap: Snapshot, question: object, history: object, sources: object, since: object,
                until: object) -> retrieval.Retrieval:
        question = self.clean_question(question)
        if history is None:
            history = []
        if not isinstance(history, (list, tuple)):
            raise BadInputError("history must be a list of the earlier questions, oldest first")
        earlier = [self.clean_question(h) for h in history if isinstance(h, str) and h.strip()]
        filters = retrieval.Filters.make(sources, since, until)
        return retrieval.search(snap, self.embedder, question, earlier, turns=self.settings.history_turns,
                                candidates=self.settings.candidates, filters=filters)
