"""A loaded index that answers: ``retrieve`` (passages) and ``ask`` (an answer with citations).

An Engine follows its index folder: when a build or update switches the live generation, the
next question loads the new one (the old stays in use until the new one has loaded whole), so a
long-running app never answers from half of one index and half of another.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from qa import answering, dense, store
from qa.documents import Document
from qa.embedding import Embedder, default_embedder
from qa.errors import BadInputError, IndexCorruptError, IndexMismatchError, QAError
from qa.lexical import Lexical
from qa.results import Answer, Passage
from qa.retrieval import Query, fuse, lexical_scores, make_query
from qa.settings import Settings

_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r")


class Snapshot:
    """Everything one index generation answers from; never changes once built."""

    def __init__(self, generation: store.Generation, lexical: Lexical, dense_index) -> None:
        self.generation = generation
        self.name = generation.folder.name
        self.lexical = lexical
        self.dense_index = dense_index
        self.chunks = generation.chunks
        self.documents = generation.documents
        self.vectors = generation.vectors
        # Row i of the sentence vectors belongs to chunk sentence_chunk[i], span sentence_spans[i].
        self.sentence_chunk = np.array([ci for ci, c in enumerate(self.chunks) for _ in c.sentences], dtype=np.int64)
        self.sentence_spans = [sp for c in self.chunks for sp in c.sentences]
        self.first_sentence = np.cumsum([0] + [len(c.sentences) for c in self.chunks])

    @classmethod
    def load(cls, index: Path, settings: Settings, embedder: Embedder) -> "Snapshot":
        manifest = store.read_manifest(index)
        store.check_shape(manifest, settings.index_shape(), index)
        if manifest.get("weights_sha256") != embedder.weights:
            raise IndexMismatchError(
                f"index {index} was built with other model weights: rebuild it with "
                f"`qa index build {manifest.get('articles', 'ARTICLES')} --index {index}`"
            )
        generation = store.read(index)
        try:
            lexical = Lexical.load(generation.folder / "bm25")
            dense_index = dense.load(generation.folder / "dense.faiss")
        except Exception as e:  # noqa: BLE001 - any failure to read these files means a damaged index
            raise IndexCorruptError(f"index {index} is damaged ({e}): rebuild it with `qa index build --index {index}`") from e
        return cls(generation, lexical, dense_index)

    def passage(self, i: int, score: float) -> Passage:
        c = self.chunks[i]
        d = self.documents[c.path]
        return Passage(c.path, c.start, c.end, c.text, score, d.title, d.source, d.date)


class Engine:
    """Questions against an index folder. Safe to share between threads."""

    def __init__(self, index: Path, snapshot: Snapshot, *, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.embedder = embedder
        self._snapshot = snapshot
        self._model_lock = threading.Lock()
        self._reload_lock = threading.Lock()

    @classmethod
    def load(cls, index: str | Path, *, settings: Settings | None = None, embedder: Embedder | None = None) -> "Engine":
        settings = settings or Settings()
        index = Path(index)
        store.read_manifest(index)  # a missing or damaged index fails here, before the model loads
        embedder = embedder or default_embedder()
        return cls(index, Snapshot.load(index, settings, embedder), embedder=embedder, settings=settings)

    # -- public API -------------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        """The live generation, reloaded first if a build switched it since the last question."""
        try:
            live = store.current(self.index).name
        except QAError:
            return self._snapshot  # the folder is being replaced or was removed: keep answering
        if live != self._snapshot.name:
            with self._reload_lock:
                if live != self._snapshot.name:
                    try:
                        self._snapshot = Snapshot.load(self.index, self.settings, self.embedder)
                    except QAError:
                        pass  # not loadable (yet): the old generation keeps answering
        return self._snapshot

    @property
    def generation(self) -> store.Generation:
        return self.snapshot.generation

    def document(self, path: str) -> Document | None:
        return self.snapshot.documents.get(path)

    def retrieve(self, question: str, history: list[str] | None = None, k: int = 10) -> list[Passage]:
        """The ``k`` best passages for ``question``, best first."""
        snap = self.snapshot
        query, fused, _ = self._search(snap, self.clean_question(question), history or [])
        order = np.argsort(-fused, kind="stable")[: max(0, k)]
        return [snap.passage(int(i), float(fused[i])) for i in order]

    def ask(self, question: str, history: list[str] | None = None) -> Answer:
        """An extractive answer with exact citations, or ``found=False`` when the articles do not answer."""
        snap = self.snapshot
        question = self.clean_question(question)
        query, fused, sentence_sims = self._search(snap, question, history or [])
        return answering.answer(snap, question, query, fused, sentence_sims)

    # -- internals --------------------------------------------------------------------------

    def clean_question(self, question: str) -> str:
        if not isinstance(question, str):
            raise BadInputError("the question must be text")
        question = question.translate(_CONTROL).strip()
        if not question:
            raise BadInputError("the question is empty: type a question about the articles")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise BadInputError(f"the question is too long ({len(question):,} characters; the limit is {limit:,})")
        return question

    def embed_query(self, query: Query) -> np.ndarray:
        with self._model_lock:  # one model, many threads: run one encode at a time
            vecs = self.embedder.encode(query.texts)
        v = (np.asarray(query.text_weights, dtype=np.float32)[:, None] * vecs).sum(axis=0)
        return v / (np.linalg.norm(v) or 1.0)

    def _search(self, snap: Snapshot, question: str, history: list[str]) -> tuple[Query, np.ndarray, np.ndarray]:
        """Fused score of every chunk, and the cosine of every sentence (approximate at scale)."""
        earlier = [self.clean_question(h) for h in history if isinstance(h, str) and h.strip()]
        query = make_query(question, earlier, turns=self.settings.history_turns)
        qv = self.embed_query(query)
        n = len(snap.sentence_spans)
        if n == 0:
            sims = np.zeros(0, dtype=np.float32)
        elif n <= dense.HNSW_THRESHOLD:
            sims = snap.vectors @ qv
        else:
            scores, ids = dense.search(snap.dense_index, qv, self.settings.candidates * 20)
            keep = ids >= 0
            sims = np.full(n, float(scores[keep].min()) if keep.any() else 0.0, dtype=np.float32)
            sims[ids[keep]] = scores[keep]
        best = np.full(len(snap.chunks), -1.0, dtype=np.float32)
        if n:
            np.maximum.at(best, snap.sentence_chunk, sims)
        fused = fuse(lexical_scores(snap.lexical, query), best) if snap.chunks else np.zeros(0, np.float32)
        return query, fused, sims
