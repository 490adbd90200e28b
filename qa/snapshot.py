"""One index generation loaded for questions: chunks, documents, sentence vectors, BM25, FAISS.

A snapshot never changes once loaded; an engine swaps in a new one when a build switches the live
generation.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from qa import columns, dense, store
from qa.documents import Document
from qa.embedding import Embedder
from qa.errors import IndexCorruptError, IndexMismatchError, QAError
from qa.lexical import Lexical
from qa.results import IndexInfo, Passage
from qa.settings import Settings


class Snapshot:
    """Everything one index generation answers from: columns, not an object per chunk (qa.columns)."""

    def __init__(self, folder: Path, tables: columns.Tables, vectors: np.ndarray, lexical: Lexical, dense_index) -> None:
        self.folder = folder
        self.name = folder.name
        self.lexical = lexical
        self.dense_index = dense_index
        self.chunks = tables.chunks
        self.documents: Mapping[str, Document] = tables.articles
        # A memmap when the dense index is compressed (re-scoring reads a few rows a query).
        self.vectors = vectors
        # Row i of the sentence vectors belongs to chunk sentence_chunk[i], span sentence_spans[i].
        self.sentence_spans = tables.sentences
        self.first_sentence = tables.chunks.first_sentence
        self.sentence_chunk = tables.chunks.sentence_chunk
        # Per chunk, its article's outlet (code into source_names, casefolded) and date ("" = none),
        # so a filter is a few vectorised comparisons at any scale.
        articles = tables.articles
        self.source_names = articles.source_names
        self.chunk_source_code = articles.source_code[tables.chunks.article]
        self.chunk_date_array = articles.date[tables.chunks.article]

    @property
    def at_scale(self) -> bool:
        """A compressed dense index: retrieval ranks candidates only (qa.retrieval)."""
        return dense.is_compressed(self.dense_index)

    @property
    def info(self) -> IndexInfo:
        return store.info_of(self.folder.parent, self.folder, store.manifest_at(self.folder, self.folder.parent))

    @classmethod
    def load(cls, index: Path, settings: Settings, embedder: Embedder) -> "Snapshot":
        """Load the live generation; a QAError (never another exception) when it cannot be used."""
        folder = store.current(index)
        manifest = store.manifest_at(folder, index)
        store.check_shape(manifest, settings.index_shape(), index)
        if manifest.get("weights_sha256") != embedder.weights:
            raise IndexMismatchError(
                f"index {index} was built with other model weights: rebuild it with "
                f"`qa index build {manifest.get('articles', 'ARTICLES')} --index {index}`"
            )
        try:
            dense_index = dense.load(folder / "dense.faiss")
            large = dense.is_compressed(dense_index)
            tables = columns.read(folder)
            # A compressed dense index means a large collection: its vectors stay memory-mapped.
            vectors = store.map_vectors(folder / "vectors.npy") if large else np.load(folder / "vectors.npy", allow_pickle=False)
            lexical = Lexical.load(folder / "bm25", mmap=large)
        except QAError:
            raise
        except Exception as e:  # noqa: BLE001 - any failure to read these files means a damaged index
            raise store.damaged(index, getattr(e, "strerror", None) or e) from e
        n = len(tables.sentences)
        if (len(tables.chunks) != manifest["counts"].get("chunks") or vectors.ndim != 2 or vectors.shape[0] != n
                or vectors.dtype != np.float32 or dense_index.ntotal != n or lexical.size != len(tables.chunks)):
            raise IndexCorruptError(f"index {index} is damaged (counts disagree): rebuild it with "
                                    f"`qa index build --index {index}`")
        return cls(folder, tables, vectors, lexical, dense_index)

    def passage(self, i: int, score: float) -> Passage:
        c = self.chunks[i]
        d = self.documents[c.path]
        return Passage(c.path, c.start, c.end, c.text, score, d.title, d.source, d.date)
