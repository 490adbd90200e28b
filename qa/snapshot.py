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
        # A memmap when the dense index is compressed (re-scoring reads a few rows a query).
        self.vectors = generation.vectors
        # Row i of the sentence vectors belongs to chunk sentence_chunk[i], span sentence_spans[i].
        counts = np.fromiter((len(c.sentences) for c in self.chunks), dtype=np.int64, count=len(self.chunks))
        self.sentence_chunk = np.repeat(np.arange(len(self.chunks), dtype=np.int64), counts)
        self.sentence_spans = [sp for c in self.chunks for sp in c.sentences]
        self.first_sentence = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        # Per chunk: its article's outlet (lower case) and date, for filters.
        self.chunk_source = [(self.documents[c.path].source or "").casefold() for c in self.chunks]
        self.chunk_date = [self.documents[c.path].date for c in self.chunks]
        # The same as arrays, so a filter is a few vectorised comparisons at scale ("" = no date).
        self.source_names = sorted(set(self.chunk_source))
        code = {name: i for i, name in enumerate(self.source_names)}
        self.chunk_source_code = np.fromiter((code[s] for s in self.chunk_source), dtype=np.int32, count=len(self.chunks))
        self.chunk_date_array = np.array([d or "" for d in self.chunk_date], dtype=str)

    @property
    def at_scale(self) -> bool:
        """A compressed dense index: retrieval ranks candidates only (qa.retrieval)."""
        return dense.is_compressed(self.dense_index)

    @property
    def info(self) -> IndexInfo:
        return store.info_of(self.generation.folder.parent, self.generation.folder, self.generation.manifest)

    @classmethod
    def load(cls, index: Path, settings: Settings, embedder: Embedder) -> "Snapshot":
        """Load the live generation; a QAError (never another exception) when it cannot be used."""
        # A compressed dense index means a large collection: its vectors stay memory-mapped.
        folder = store.current(index)
        try:
            dense_index = dense.load(folder / "dense.faiss")
        except Exception:  # noqa: BLE001 - reported below, after the checks that name a better fix
            dense_index = None
        if dense_index is not None and dense.is_compressed(dense_index):
            generation = store.read(index, mmap_vectors=True)
        else:
            generation = store.read(index)
        store.check_shape(generation.manifest, settings.index_shape(), index)
        if generation.manifest.get("weights_sha256") != embedder.weights:
            raise IndexMismatchError(
                f"index {index} was built with other model weights: rebuild it with "
                f"`qa index build {generation.manifest.get('articles', 'ARTICLES')} --index {index}`"
            )
        try:
            if dense_index is None or generation.folder != folder:  # damaged, or a build switched meanwhile
                dense_index = dense.load(generation.folder / "dense.faiss")
            lexical = Lexical.load(generation.folder / "bm25", mmap=dense.is_compressed(dense_index))
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
