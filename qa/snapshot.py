"""One index generation loaded for questions: chunks, documents, sentence vectors, BM25, FAISS.

A snapshot never changes once loaded; an engine swaps in a new one when a build switches the live
generation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa import dense, store
from qa.documents import Document
from qa.embedding import Embedder
from qa.errors import IndexCorruptError, IndexMismatchError, QAError
from qa.lexical import Lexical
from qa.results import IndexInfo, Passage
from qa.settings import Settings


class Snapshot:
    """Everything one index generation answers from."""

    def __init__(self, generation: store.Generation, lexical: Lexical, dense_index) -> None:
        self.generation = generation
        self.name = generation.folder.name
        self.lexical = lexical
        self.dense_index = dense_index
        self.chunks = generation.chunks
        self.documents: dict[str, Document] = generation.documents
        self.vectors = generation.vectors
        # Row i of the sentence vectors belongs to chunk sentence_chunk[i], span sentence_spans[i].
        self.sentence_chunk = np.array([ci for ci, c in enumerate(self.chunks) for _ in c.sentences], dtype=np.int64)
        self.sentence_spans = [sp for c in self.chunks for sp in c.sentences]
        self.first_sentence = np.cumsum([0] + [len(c.sentences) for c in self.chunks])
        # Per chunk: its article's outlet (lower case) and date, for filters.
        self.chunk_source = [(self.documents[c.path].source or "").casefold() for c in self.chunks]
        self.chunk_date = [self.documents[c.path].date for c in self.chunks]

    @property
    def info(self) -> IndexInfo:
        return store.info_of(self.generation.folder.parent, self.generation.folder, self.generation.manifest)

    @classmethod
    def load(cls, index: Path, settings: Settings, embedder: Embedder) -> "Snapshot":
        """Load the live generation; a QAError (never another exception) when it cannot be used."""
        generation = store.read(index)
        store.check_shape(generation.manifest, settings.index_shape(), index)
        if generation.manifest.get("weights_sha256") != embedder.weights:
            raise IndexMismatchError(
                f"index {index} was built with other model weights: rebuild it with "
                f"`qa index build {generation.manifest.get('articles', 'ARTICLES')} --index {index}`"
            )
        try:
            lexical = Lexical.load(generation.folder / "bm25")
            dense_index = dense.load(generation.folder / "dense.faiss")
            snapshot = cls(generation, lexical, dense_index)
        except QAError:
            raise
        except Exception as e:  # noqa: BLE001 - any failure to read these files means a damaged index
            raise store.damaged(index, e) from e
        if dense_index.ntotal != len(snapshot.sentence_spans) or lexical.size != len(snapshot.chunks):
            raise IndexCorruptError(f"index {index} is damaged (counts disagree): rebuild it with "
                                    f"`qa index build --index {index}`")
        return snapshot

    def passage(self, i: int, score: float) -> Passage:
        c = self.chunks[i]
        d = self.documents[c.path]
        return Passage(c.path, c.start, c.end, c.text, score, d.title, d.source, d.date)
