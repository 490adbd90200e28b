"""A loaded index that answers: ``retrieve`` (passages) and ``ask`` (an answer with citations).

An Engine follows its index folder: when a build or update switches the live generation, the
next question loads the new one (the old stays in use until the new one has loaded whole), so a
long-running app never answers from half of one index and half of another. A generation that
fails to load is remembered and not retried until CURRENT names another one.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

from qa import answering, questions, retrieval, store
from qa.documents import Document
from qa.embedding import Embedder, load_embedder
from qa.errors import BadInputError, QAError
from qa.lexical import tokenize
from qa.reading import Reader, load_reader
from qa.results import Answer, IndexInfo, Passage
from qa.settings import Settings
from qa.snapshot import Snapshot

NO_MATCH = "No article matches these filters (outlet, dates), so nothing was searched."


# How many earlier questions a follow-up's reading may chain through: "What did Damascus say about them?"
# after "Who funds them?" after "What do the White Helmets say their work is?" reads the last two.
CHAIN = 2

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

    def __init__(self, index: Path, snapshot: Snapshot, *, embedder: Embedder, settings: Settings,
                 reader: Reader | None = None) -> None:
        self.index = index
        self.settings = settings
        self.embedder = embedder
        self.reader = reader  # None: quotes are chosen without the cross-encoder
        self._snapshot = snapshot
        self._failed: str | None = None  # the last generation that would not load
        self._reload_lock = threading.Lock()
        # Whether an earlier question is answered, per generation: follow-ups ask it again and again.
        self._answered_cache: OrderedDict[tuple[str, str, retrieval.Filters], bool] = OrderedDict()
        self._cache_lock = threading.Lock()

    @classmethod
    def load(cls, index: str | Path, *, settings: Settings | None = None, embedder: Embedder | None = None) -> "Engine":
        """The engine over ``index``, with the reader where ``settings.reader`` asks for it (off by default)."""
        settings = settings or Settings()
        index = Path(index)
        store.read_manifest(index)  # a missing or damaged index fails here, before the model loads
        embedder = embedder or load_embedder(settings)
        return cls(index, Snapshot.load(index, settings, embedder), embedder=embedder, settings=settings,
                   reader=load_reader(settings))

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
        question, earlier, filters = self._inputs(question, history, sources, since, until)
        context = self._context(snap, question, earlier, filters)
        found = self._retrieve(snap, question, context, filters)
        return answering.rerank(snap, found, questions.answer_type(question)).passages(snap, k)

    def ask(self, question: str, history: list[str] | None = None, *, sources: list[str] | None = None,
            since: str | None = None, until: str | None = None) -> Answer:
        """An extractive answer with exact citations, or ``found=False`` when the articles do not answer.

        Earlier questions are used only when this one leans on one (a pronoun, "And …", too few words
        of its own), and then only the latest one the articles answer (and, where that one leaned on
        another, that one too: CHAIN). A multi-part question ("How many … and where to?") is answered
        part by part; whether it leans on earlier questions is its first part's to say (a later part's
        "it" may be what the first names).
        """
        snap = self.snapshot
        question, earlier, filters = self._inputs(question, history, sources, since, until)
        pieces = questions.parts(question)
        context = self._context(snap, pieces[0], earlier, filters)
        interpreted = questions.interpret(question, context)
        found = []
        for i, p in enumerate(pieces):
            # A later part that leans on what came before ("… and when was *it* held?") leans on the part before it.
            leans = i > 0 and questions.needs_context(p, len(set(tokenize(p))))
            found.append(self._retrieve(snap, p, [pieces[i - 1], *context][:CHAIN] if leans else context, filters))
        if filters.active and found[0].order.size == 0:  # retrieval ranks only the articles the filters let through
            return Answer(question, NO_MATCH, False, interpreted=interpreted, generation=snap.name)
        if len(pieces) == 1:
            return replace(answering.answer(snap, question, found[0], reader=self.reader), interpreted=interpreted)
        answers = [(p, answering.answer(snap, p, f, reader=self.reader)) for p, f in zip(pieces, found)]
        return answering.combine(question, interpreted, answers, snap.name)

    def clean_question(self, question: object) -> str:
        return clean_question(question, limit=self.settings.max_question_chars)

    # -- internals --------------------------------------------------------------------------

    def _inputs(self, question: object, history: object, sources: object, since: object,
                until: object) -> tuple[str, list[str], retrieval.Filters]:
        question = self.clean_question(question)
        if history is None:
            history = []
        if not isinstance(history, (list, tuple)):
            raise BadInputError("history must be a list of the earlier questions, oldest first")
        earlier = [self.clean_question(h) for h in history if isinstance(h, str) and h.strip()]
        return question, earlier[-self.settings.history_turns:] if self.settings.history_turns else [], \
            retrieval.Filters.make(sources, since, until)

    def _retrieve(self, snap: Snapshot, question: str, context: list[str] | None,
                  filters: retrieval.Filters) -> retrieval.Retrieval:
        """Retrieval for ``question`` with the earlier questions it leans on (``context``, most recent first)."""
        context = context or []
        return retrieval.search(snap, self.embedder, question, context[::-1], turns=len(context),
                                candidates=self.settings.candidates, filters=filters)

    def _context(self, snap: Snapshot, question: str, earlier: list[str], filters: retrieval.Filters) -> list[str]:
        """The earlier questions this one leans on, most recent first: the latest that the articles
        answer, and where that one leans on an earlier one too ("What did Damascus say about them?"
        after "Who funds them?"), the one it leaned on, up to CHAIN in all. Empty when the question
        stands alone. A refused or unrelated earlier question is never used."""
        chain: list[str] = []
        current = question
        while earlier and len(chain) < CHAIN and questions.needs_context(current, len(set(tokenize(current)))):
            for i in range(len(earlier) - 1, -1, -1):
                if self._answered(snap, earlier[i], filters):
                    chain.append(earlier[i])
                    current, earlier = earlier[i], earlier[:i]
                    break
            else:
                break
        return chain

    def _answered(self, snap: Snapshot, question: str, filters: retrieval.Filters) -> bool:
        key = (snap.name, question, filters)
        with self._cache_lock:
            if key in self._answered_cache:
                self._answered_cache.move_to_end(key)
                return self._answered_cache[key]
        # Whether it is answered does not depend on the reader (it only chooses the quote).
        found = answering.answer(snap, question, self._retrieve(snap, question, [], filters)).found
        with self._cache_lock:
            self._answered_cache[key] = found
            while len(self._answered_cache) > 512:
                self._answered_cache.popitem(last=False)
        return found
