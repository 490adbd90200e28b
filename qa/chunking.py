"""Chunks: token windows over an article's content, cut at sentence boundaries where possible.

A chunk is ``(path, start, end)`` into the stored text, so ``text[start:end]`` is its text exactly.
Sizes are counted in cl100k tokens; each chunk is also checked against the embedding model's own
WordPiece limit, and split further where it would be truncated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from qa import boilerplate, sentences
from qa.sentences import strip_span
from qa.documents import Document
from qa.tokens import WordPieceCounter, token_starts, wordpiece_counts


@dataclass(frozen=True, slots=True)
class Chunk:
    """A span of an article: ``text == document.text[start:end]``."""

    id: str
    path: str
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]  # the sentence spans inside [start, end)


def chunk_id(path: str, text: str, occurrence: int = 0) -> str:
    """Derived from content: unchanged text in the same article keeps its id across rebuilds."""
    digest = hashlib.sha256(f"{path}\0{text}\0{occurrence}".encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:20]


def _windows(starts: np.ndarray, s: int, e: int, size: int, overlap: int) -> np.ndarray:
    """Cut one over-long sentence [s, e) into token windows of ``size`` with ``overlap``, as (n, 2).

    Vectorised: a 20 MB line of one-token words has ~20M cut points, never a Python int each.
    """
    # The cut points are s, then every distinct token start inside (s, e): a view of ``starts``,
    # copied only where a token starts inside a character (two tokens, one offset).
    inner = starts[np.searchsorted(starts, s, side="right"):np.searchsorted(starts, e, side="left")]
    if len(inner) > 1 and not (inner[1:] > inner[:-1]).all():
        inner = np.unique(inner)
    n, step = len(inner) + 1, max(1, size - overlap)
    last = max(0, -(-(n - size) // step))  # the first window that reaches the end
    i = np.arange(last + 1, dtype=np.int64) * step
    j = np.minimum(i + size, n)
    firsts = np.where(i == 0, s, inner[np.maximum(i - 1, 0)] if len(inner) else s)
    ends = np.where(j < n, inner[np.minimum(j, n - 1) - 1] if len(inner) else e, e)
    return np.stack([firsts, ends], axis=1).astype(np.int64)


def _pack(counts: list[int], size: int, overlap: int) -> list[tuple[int, int]]:
    """Group consecutive units into index ranges [a, b) of at most ``size`` tokens; carry ~``overlap`` back."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(counts):
        j, total = i, 0
        while j < len(counts) and (j == i or total + counts[j] <= size):
            total += counts[j]
            j += 1
        spans.append((i, j))
        if j >= len(counts):
            break
        # Start the next chunk with as many trailing units as fit in the overlap, never going back to i.
        k, back = j, 0
        while k - 1 > i and back + counts[k - 1] <= overlap:
            k -= 1
            back += counts[k]
        i = k
    return spans


def _token_counts(starts: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    # Tokens that overlap [s, e), including one that starts just before s (" Word" begins at
    # the space), so a chunk never holds more tokens than the sum of its sentences' counts.
    return np.searchsorted(starts, e) - np.maximum(0, np.searchsorted(starts, s, side="right") - 1)


def chunk_document(
    doc: Document,
    *,
    size: int,
    overlap: int,
    max_model_tokens: int,
    count_model_tokens: WordPieceCounter = wordpiece_counts,
) -> list[Chunk]:
    """The chunks of one article's content, in order. Boilerplate is never inside a chunk."""
    text = doc.text
    starts = token_starts(text)
    spans: list[tuple[int, int]] = []
    found: list[np.ndarray] = []  # each region's sentences, (n, 2): arrays, not millions of tuples
    for rs, re_ in boilerplate.content_regions(text, doc.boilerplate):
        region = sentences.split_array(text, rs, re_)
        found.append(region)
        units = region  # sentences, and token windows in place of those longer than a chunk
        counts = _token_counts(starts, units[:, 0], units[:, 1])
        if (counts > size).any():
            long = np.flatnonzero(counts > size)
            pieces, prev = [], 0
            for k in long.tolist():
                pieces += [units[prev:k], _windows(starts, int(units[k, 0]), int(units[k, 1]), size, overlap)]
                prev = k + 1
            units = np.concatenate(pieces + [units[prev:]])
            counts = _token_counts(starts, units[:, 0], units[:, 1])
        for a, b in _pack(counts.tolist(), size, overlap):
            spans.append((int(units[a, 0]), int(units[b - 1, 1])))

    spans = _fit_model(text, [strip_span(text, s, e) for s, e in spans], max_model_tokens, count_model_tokens)
    all_sentences = np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)
    del found
    sent_starts, sent_ends = all_sentences[:, 0], all_sentences[:, 1]
    chunks, seen = [], {}
    for s, e in spans:
        if s >= e:
            continue
        piece = text[s:e]
        n = seen.get(piece, 0)
        seen[piece] = n + 1
        # The sentences that overlap [s, e): from the last one starting at or before s to the
        # last one starting before e; those cut by the chunk's ends are clipped and trimmed.
        lo = max(int(np.searchsorted(sent_starts, s, side="right")) - 1, 0)
        hi = int(np.searchsorted(sent_starts, e, side="left"))
        inside = []
        for a, b in zip(sent_starts[lo:hi].tolist(), sent_ends[lo:hi].tolist()):
            if a >= s and b <= e:
                inside.append((a, b))  # whole: already trimmed
                continue
            a2, b2 = max(a, s), min(b, e)
            if a2 < b2:
                a2, b2 = strip_span(text, a2, b2)
                if a2 < b2:
                    inside.append((a2, b2))
        chunks.append(Chunk(chunk_id(doc.path, piece, n), doc.path, s, e, piece, tuple(inside)))
    return chunks


def _fit_model(text: str, spans: list[tuple[int, int]], limit: int, count: WordPieceCounter) -> list[tuple[int, int]]:
    """Halve any span the model would truncate (at whitespace nearest the middle) until all fit."""
    out: list[tuple[int, int]] = []
    todo = list(spans)
    while todo:
        counts = count([text[s:e] for s, e in todo])
        nxt = []
        for (s, e), n in zip(todo, counts):
            if n <= limit or e - s < 2:
                out.append((s, e))
                continue
            mid = (s + e) // 2
            left = text.rfind(" ", s + 1, mid + 1)
            cut = left if left > s else mid
            nxt.extend([strip_span(text, s, cut), strip_span(text, cut, e)])
        todo = [sp for sp in nxt if sp[0] < sp[1]]
    return sorted(out)
