"""A generation's articles and chunks as columns, for serving: arrays and a memory-mapped file.

A snapshot of millions of sentences cannot hold a Python object per article, chunk and sentence
(about 820 MB a million sentences). Here the chunk table is a handful of numpy arrays, the
sentence spans one (n, 2) array, and each article stays a line of ``documents.jsonl`` in a
read-only mapping, parsed when a question needs it (a few dozen a question, cached). Indexing
still reads a generation whole (``store.read``); only serving reads it this way.
"""

from __future__ import annotations

import json
import mmap
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

import numpy as np

from qa.chunking import Chunk
from qa.documents import Document

ARTICLE_CACHE = 1024  # parsed articles kept; a question reads a few dozen


class Articles(Mapping[str, Document]):
    """documents.jsonl mapped read-only: path → Document, each line parsed when first asked for.

    The mapping stays valid when a later build prunes the generation (on Linux an unlinked file
    lives on until it is unmapped). Per article, outlet and date are kept as columns for filters.
    """

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            self._data: mmap.mmap | bytes = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        offsets, lengths, source_codes = array("q"), array("q"), array("i")
        self.index: dict[str, int] = {}
        codes: dict[str, int] = {}
        dates: list[str] = []
        pos = 0
        while pos < size:
            end = self._data.find(b"\n", pos)
            end = size if end < 0 else end
            line = self._data[pos:end]
            if line.strip():
                doc = Document.from_row(json.loads(line))  # every field checked once, at load
                if doc.path in self.index:
                    raise ValueError(f"article {doc.path!r} is listed twice")
                self.index[doc.path] = len(offsets)
                offsets.append(pos)
                lengths.append(len(doc.text))
                source_codes.append(codes.setdefault((doc.source or "").casefold(), len(codes)))
                dates.append(doc.date or "")
            pos = end + 1
        offsets.append(size)
        if isinstance(self._data, mmap.mmap):
            # The scan touched every page: drop them from this process (the kernel's cache keeps
            # them while memory allows) and read an article's page only when one is asked for.
            for advice in ("MADV_DONTNEED", "MADV_RANDOM"):
                if hasattr(mmap, advice):
                    self._data.madvise(getattr(mmap, advice))
        self._offsets = np.frombuffer(offsets, dtype=np.int64)
        self.length = np.frombuffer(lengths, dtype=np.int64)
        # Outlets (casefolded, "" when unknown) by code, each article's code, and its date ("" when unknown).
        self.source_names = list(codes)
        self.source_code = np.frombuffer(source_codes, dtype=np.int32)
        self.date = np.array(dates, dtype="<U10") if dates else np.zeros(0, dtype="<U10")
        self.paths = list(self.index)
        self._cache: OrderedDict[int, Document] = OrderedDict()
        self._lock = threading.Lock()

    def at(self, i: int) -> Document:
        """The i-th article, parsed from its line (cached)."""
        with self._lock:
            doc = self._cache.get(i)
            if doc is not None:
                self._cache.move_to_end(i)
                return doc
        start, end = int(self._offsets[i]), int(self._offsets[i + 1])
        doc = Document.from_row(json.loads(self._data[start:end]))
        with self._lock:
            self._cache[i] = doc
            while len(self._cache) > ARTICLE_CACHE:
                self._cache.popitem(last=False)
        return doc

    def __getitem__(self, path: str) -> Document:
        return self.at(self.index[path])

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __contains__(self, path: object) -> bool:
        return path in self.index


class Spans(Sequence[tuple[int, int]]):
    """Half-open (start, end) character spans held as one (n, 2) int64 array; items are Python ints."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    @overload
    def __getitem__(self, i: int) -> tuple[int, int]: ...
    @overload
    def __getitem__(self, i: slice) -> "Spans": ...
    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        if isinstance(i, slice):
            return Spans(self.array[i])
        a, b = self.array[i]  # IndexError past the end, as a sequence must
        return int(a), int(b)


class Chunks(Sequence[Chunk]):
    """The chunk table as columns; ``chunks[i]`` builds the i-th ``Chunk`` (text included) on demand."""

    def __init__(self, articles: Articles, ids: np.ndarray, article: np.ndarray, start: np.ndarray, end: np.ndarray,
                 first_sentence: np.ndarray, sentence_chunk: np.ndarray, spans: Spans) -> None:
        self.articles = articles
        self.ids, self.article, self.start, self.end = ids, article, start, end
        self.first_sentence = first_sentence  # chunk i's sentences are rows first[i]:first[i + 1] of spans
        self.sentence_chunk = sentence_chunk  # and row r of spans belongs to chunk sentence_chunk[r]
        self.spans = spans

    def __len__(self) -> int:
        return len(self.article)

    def path(self, i: int) -> str:
        return self.articles.paths[int(self.article[i])]

    @overload
    def __getitem__(self, i: int) -> Chunk: ...
    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...
    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if not -len(self) <= i < len(self):
            raise IndexError("chunk index out of range")
        i %= len(self)
        doc = self.articles.at(int(self.article[i]))
        start, end = int(self.start[i]), int(self.end[i])
        rows = self.spans.array[self.first_sentence[i]:self.first_sentence[i + 1]]
        return Chunk(ids_at(self.ids, i), doc.path, start, end,
                     doc.text[start:end], tuple((int(a), int(b)) for a, b in rows))


@dataclass(frozen=True, slots=True)
class Tables:
    """One generation's articles and chunks as columns."""

    articles: Articles
    chunks: Chunks

    @property
    def sentences(self) -> Spans:
        return self.chunks.spans


def read(folder: Path) -> Tables:
    """documents.jsonl and chunks.jsonl of one generation folder as columns.

    Raises ValueError (or an OSError, a JSON or type error) when the files do not describe chunks
    and sentences inside their articles; the caller reports the generation as damaged.
    """
    articles = Articles(folder / "documents.jsonl")
    # Flat typed arrays while reading: no Python object per sentence, even for a moment.
    ids: list[str] = []
    article, start, end, counts, spans = array("i"), array("q"), array("q"), array("q"), array("q")
    with open(folder / "chunks.jsonl", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            ids.append(str(r["id"]))
            article.append(articles.index[r["path"]])
            start.append(int(r["start"]))
            end.append(int(r["end"]))
            counts.append(len(r["sentences"]))
            for a, b in r["sentences"]:
                spans.append(int(a))
                spans.append(int(b))
    try:
        id_array = np.array([i.encode("ascii") for i in ids], dtype=bytes)
    except UnicodeEncodeError:
        id_array = np.array(ids, dtype=str)
    del ids
    article_a = np.frombuffer(article, dtype=np.int32)
    start_a, end_a = np.frombuffer(start, dtype=np.int64), np.frombuffer(end, dtype=np.int64)
    first = np.concatenate([[0], np.cumsum(np.frombuffer(counts, dtype=np.int64))]).astype(np.int64)
    span_a = np.frombuffer(spans, dtype=np.int64).reshape(-1, 2)
    bad = (start_a < 0) | (start_a >= end_a) | (end_a > articles.length[article_a])
    if bad.any():
        raise ValueError(f"chunk {ids_at(id_array, int(np.argmax(bad)))!r} lies outside its article")
    owner = np.repeat(np.arange(len(article_a), dtype=np.int64 if len(article_a) > 2**31 - 2 else np.int32), np.diff(first))
    outside = (span_a[:, 0] < start_a[owner]) | (span_a[:, 0] >= span_a[:, 1]) | (span_a[:, 1] > end_a[owner])
    if outside.any():
        raise ValueError(f"chunk {ids_at(id_array, int(owner[np.argmax(outside)]))!r} lies outside its article")
    return Tables(articles, Chunks(articles, id_array, article_a, start_a, end_a, first, owner, Spans(span_a)))


def ids_at(ids: np.ndarray, i: int) -> str:
    x = ids[i]
    return x.decode("ascii") if isinstance(x, bytes) else str(x)
