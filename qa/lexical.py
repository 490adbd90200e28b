"""BM25 over chunk texts (bm25s), with the project's own tokenizer: lowercase words, English
stopwords dropped, Snowball-stemmed. Saved as bm25s's plain files (JSON + .npy, no pickle)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

_TOKEN = re.compile(r"\w+", re.UNICODE)
# Query-term postings longer than 1/DENSE_SHARE of the chunks are summed in an array of every chunk.
DENSE_SHARE = 8


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    # Question words say what kind of answer is wanted, not what it is about.
    return frozenset(STOPWORDS_EN) | {"who", "whom", "whose", "what", "when", "where", "which", "why", "how",
                                      "did", "does", "do", "many", "much"}


@lru_cache(maxsize=1)
def _stemmer():  # -> Stemmer.Stemmer
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Stemmed content words. Single letters go; single digits stay ("HCoV 2", "5 years")."""
    stop = _stopwords()
    words = [w for w in _TOKEN.findall(text.lower()) if w not in stop and (len(w) > 1 or w.isdigit())]
    return _stemmer().stemWords(words)


class Lexical:
    """A BM25 index whose document i is chunk i (an empty corpus has no bm25s index at all)."""

    _EMPTY = "EMPTY"  # the marker file of an empty corpus's folder

    def __init__(self, bm25) -> None:  # bm25s.BM25 | None
        self.bm25 = bm25

    @property
    def size(self) -> int:
        return int(self.bm25.scores["num_docs"]) if self.bm25 is not None else 0

    @classmethod
    def build(cls, texts: list[str]) -> "Lexical":
        if not texts:
            return cls(None)
        import bm25s

        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        corpus = [tokenize(t) or [""] for t in texts]
        bm25.index(corpus, show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> None:
        if self.bm25 is None:
            folder.mkdir()
            (folder / self._EMPTY).write_text("no chunks\n", encoding="utf-8")
            return
        self.bm25.save(str(folder), allow_pickle=False, show_progress=False)

    @classmethod
    def load(cls, folder: Path, *, mmap: bool = False) -> "Lexical":
        """Read the saved index; with ``mmap`` its score matrix stays memory-mapped (large collections)."""
        if (folder / cls._EMPTY).is_file():
            return cls(None)
        import bm25s

        return cls(bm25s.BM25.load(str(folder), allow_pickle=False, show_progress=False, mmap=mmap))

    def known(self, terms: list[str]) -> list[str]:
        if self.bm25 is None:
            return []
        vocab = self.bm25.vocab_dict
        return [t for t in terms if t in vocab]

    def idf(self, terms: list[str]) -> dict[str, float]:
        """BM25's inverse document frequency of each known term (unknown terms: the highest, as df=0)."""
        if self.bm25 is None:
            return {t: 0.0 for t in terms}
        n = self.bm25.scores["num_docs"]
        indptr = self.bm25.scores["indptr"]  # column t of the sparse score matrix lists the chunks holding t
        out = {}
        for t in terms:
            tid = self.bm25.vocab_dict.get(t)
            df = int(indptr[tid + 1] - indptr[tid]) if tid is not None else 0
            out[t] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        return out

    def scores(self, terms: list[str], weights: list[float] | None = None) -> np.ndarray:
        """BM25 score of every chunk for the (stemmed) query terms, each term optionally weighted."""
        out = np.zeros(self.size, dtype=np.float32)
        if self.bm25 is None:
            return out
        terms = list(terms)
        if weights is None:
            known = self.known(terms)
            return self.bm25.get_scores(known).astype(np.float32) if known else out
        for term, w in zip(terms, weights):
            if w and term in self.bm25.vocab_dict:
                out += w * self.bm25.get_scores([term]).astype(np.float32)
        return out

    def matches(self, terms: list[str], weights: list[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(chunks, scores): every chunk holding a query term, ascending, with its weighted BM25 score.

        Only the postings of the query terms are read (column t of bm25s's sparse score matrix), so
        the cost follows the terms' document frequencies, not the collection's size.
        """
        none = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if self.bm25 is None:
            return none
        sc, vocab = self.bm25.scores, self.bm25.vocab_dict
        ids, vals = [], []
        for term, w in zip(terms, weights if weights is not None else [1.0] * len(terms)):
            tid = vocab.get(term)
            if w and tid is not None and tid + 1 < len(sc["indptr"]):  # bm25s's "" token has no column
                a, b = int(sc["indptr"][tid]), int(sc["indptr"][tid + 1])
                ids.append(np.asarray(sc["indices"][a:b]))
                vals.append(np.asarray(sc["data"][a:b], dtype=np.float32) * np.float32(w))
        if not ids:
            return none
        ids, vals = np.concatenate(ids), np.concatenate(vals)
        if ids.size * DENSE_SHARE < self.size:
            chunks, inverse = np.unique(ids, return_inverse=True)
            return chunks.astype(np.int64), np.bincount(inverse, weights=vals).astype(np.float32)
        # Postings as long as a good share of the collection (a common term): one counting pass over
        # an array of every chunk is cheaper than sorting them, and no larger than they are.
        total = np.bincount(ids, weights=vals, minlength=self.size)
        chunks = np.flatnonzero(total)
        return chunks.astype(np.int64), total[chunks].astype(np.float32)

    def top(self, terms: list[str], weights: list[float] | None, k: int, *,
            allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(chunks, scores) of the ``k`` best chunks with a positive score (only ``allowed`` ones, a
        boolean mask, if given), best first, ties by chunk number; from the query terms' postings."""
        chunks, scores = self.matches(terms, weights)
        keep = scores > 0
        if allowed is not None:
            keep &= allowed[chunks]
        chunks, scores = chunks[keep], scores[keep]
        if chunks.size > k:
            part = np.argpartition(-scores, k - 1)[:k]
            cut = scores[part].min()
            # Everything tied with the k-th best is kept, so ties break by chunk number as in a sort.
            chosen = scores >= cut
            chunks, scores = chunks[chosen], scores[chosen]
        order = np.lexsort((chunks, -scores))[:k]
        return chunks[order], scores[order]
