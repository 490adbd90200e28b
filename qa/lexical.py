"""BM25 over chunk texts (bm25s), with the project's own tokenizer: lowercase words, English
stopwords dropped, one spelling for each word (qa.spelling), Snowball-stemmed. Saved as bm25s's plain files (JSON + .npy, no pickle)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.errors import IndexCorruptError
from qa.spelling import normalize_text, normalize_word

_TOKEN = re.compile(r"\w+", re.UNICODE)
# Query-term postings longer than 1/DENSE_SHARE of the chunks are summed in an array of every chunk.
DENSE_SHARE = 8
# In a top-k query, a term whose postings cover at most 1/RARE_SHARE of the chunks is "rare" (MaxScore).
RARE_SHARE = 64


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    # Question words say what kind of answer is wanted, not what it is about; "it" and "they" stand
    # for something named elsewhere (bm25s's list has "it", "they", "their", not their other forms).
    return frozenset(STOPWORDS_EN) | {"who", "whom", "whose", "what", "when", "where", "which", "why", "how",
                                      "did", "does", "do", "many", "much",
                                      "its", "them", "theirs", "those"}


@lru_cache(maxsize=1)
def _stemmer():  # -> Stemmer.Stemmer
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Stemmed content words, each in one spelling (qa.spelling: "stabilisation" and "stabilization",
    "froze" and "freeze", "$6.6m" and "6.6 million dollars" share their terms). Single letters go;
    single digits stay ("HCoV 2", "5 years")."""
    stop = _stopwords()
    words = [normalize_word(w) for w in _TOKEN.findall(normalize_text(text.lower()))
             if w not in stop and (len(w) > 1 or w.isdigit())]
    return _stemmer().stemWords(words)


class Lexical:
    """A BM25 index whose document i is chunk i (an empty corpus has no bm25s index at all)."""

    _EMPTY = "EMPTY"  # the marker file of an empty corpus's folder

    def __init__(self, bm25, *, postings_checked: bool = True) -> None:  # bm25s.BM25 | None
        self.bm25 = bm25
        # False for a memory-mapped index read from disk: each term's postings are checked as read.
        self.postings_checked = postings_checked

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

        bm25 = bm25s.BM25.load(str(folder), allow_pickle=False, show_progress=False, mmap=mmap)
        for name in ("dtype", "int_dtype"):  # read only when a query is scored: check them now
            try:
                np.dtype(getattr(bm25, name))
            except TypeError as e:
                raise ValueError(f"BM25 parameter {name} is not a type: {getattr(bm25, name)!r}") from e
        cls._check(bm25, whole=not mmap)
        return cls(bm25, postings_checked=not mmap)

    @staticmethod
    def _check(bm25, *, whole: bool) -> None:  # bm25: bm25s.BM25
        """The score matrix's arrays agree with each other and with the vocabulary; with ``whole``,
        every posting names a chunk (memory-mapped, each term's postings are checked when read)."""
        sc = bm25.scores
        n, indptr, indices, data = int(sc["num_docs"]), sc["indptr"], sc["indices"], sc["data"]
        if (indptr.ndim != 1 or indices.ndim != 1 or data.ndim != 1 or indptr.size == 0 or int(indptr[0]) != 0
                or int(indptr[-1]) != indices.size or indices.size != data.size or indptr.size > len(bm25.vocab_dict) + 1
                or n < 0):
            raise ValueError("BM25 arrays disagree with each other")
        if np.any(np.diff(indptr) < 0):
            raise ValueError("BM25 postings pointers are not in order")
        if whole and indices.size and (int(indices.min()) < 0 or int(indices.max()) >= n):
            raise ValueError("BM25 postings name chunks that do not exist")

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

    def _postings(self, terms: list[str], weights: list[float] | None) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """(chunks ascending, scores, weight) of each known query term: column t of bm25s's sparse
        score matrix (views of the memory-mapped arrays), whose chunk numbers bm25s keeps sorted."""
        if self.bm25 is None:
            return []
        sc, vocab = self.bm25.scores, self.bm25.vocab_dict
        out = []
        for term, w in zip(terms, weights if weights is not None else [1.0] * len(terms)):
            tid = vocab.get(term)
            if w and tid is not None and tid + 1 < len(sc["indptr"]):  # bm25s's "" token has no column
                a, b = int(sc["indptr"][tid]), int(sc["indptr"][tid + 1])
                if b > a:
                    ids = sc["indices"][a:b]
                    if not self.postings_checked and (int(ids.min()) < 0 or int(ids.max()) >= self.size):
                        raise IndexCorruptError(f"the BM25 postings of {term!r} name chunks that do not exist: "
                                                "the index is damaged; rebuild it with `qa index build`")
                    out.append((ids, sc["data"][a:b], float(w)))
        return out

    def _sum(self, postings: list[tuple[np.ndarray, np.ndarray, float]]) -> tuple[np.ndarray, np.ndarray]:
        none = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if not postings:
            return none
        ids = np.concatenate([np.asarray(i) for i, _, _ in postings])
        vals = np.concatenate([np.asarray(v, dtype=np.float32) * np.float32(w) for _, v, w in postings])
        if ids.size * DENSE_SHARE < self.size:
            chunks, inverse = np.unique(ids, return_inverse=True)
            return chunks.astype(np.int64), np.bincount(inverse, weights=vals).astype(np.float32)
        # Postings as long as a good share of the collection (a common term): one counting pass over
        # an array of every chunk is cheaper than sorting them, and no larger than they are.
        total = np.bincount(ids, weights=vals, minlength=self.size)
        chunks = np.flatnonzero(total)
        return chunks.astype(np.int64), total[chunks].astype(np.float32)

    def matches(self, terms: list[str], weights: list[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(chunks, scores): every chunk holding a query term, ascending, with its weighted BM25 score.

        Only the postings of the query terms are read, so the cost follows the terms' document
        frequencies, not the collection's size.
        """
        return self._sum(self._postings(terms, weights))

    def lookup(self, terms: list[str], weights: list[float] | None, chunks: np.ndarray) -> np.ndarray:
        """The weighted BM25 score of each of ``chunks``: a binary search in each term's postings."""
        chunks = np.asarray(chunks, dtype=np.int64)
        out = np.zeros(chunks.size, dtype=np.float32)
        for ids, vals, w in self._postings(terms, weights):
            self._add_found(out, chunks, ids, vals, w)
        return out

    @staticmethod
    def _add_found(out: np.ndarray, chunks: np.ndarray, ids: np.ndarray, vals: np.ndarray, w: float) -> None:
        """out[i] += w * the term's score of chunks[i], where the term's postings hold that chunk."""
        at = np.minimum(np.searchsorted(ids, chunks), len(ids) - 1)
        hit = np.asarray(ids[at]) == chunks
        out[hit] += np.asarray(vals[at[hit]], dtype=np.float32) * np.float32(w)

    def top(self, terms: list[str], weights: list[float] | None, k: int, *, allowed: np.ndarray | None = None,
            rare: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(chunks, scores) of the ``k`` best chunks with a positive score (only ``allowed`` ones, a
        boolean mask, if given), best first, ties by chunk number.

        Exact, by MaxScore: the chunks holding a rare term (postings up to ``rare`` long, by default
        1/RARE_SHARE of the chunks) are scored in full, the common terms looked up for them only; a
        chunk holding common terms alone scores at most the sum of their best, so when the k-th
        best found beats that, nothing was missed. Otherwise every posting is summed.
        """
        postings = self._postings(terms, weights)
        rare = self.size // RARE_SHARE if rare is None else rare
        rare_terms = [p for p in postings if len(p[0]) <= rare]
        common = [p for p in postings if len(p[0]) > rare]
        if rare_terms and common:
            chunks, scores = self._sum(rare_terms)
            if allowed is not None:
                keep = allowed[chunks]
                chunks, scores = chunks[keep], scores[keep]
            for ids, vals, w in common:
                self._add_found(scores, chunks, ids, vals, w)
            bound = sum(w * float(np.max(vals)) for _, vals, w in common)
            if chunks.size >= k and np.partition(scores, chunks.size - k)[chunks.size - k] > bound * (1 + 1e-6):
                return self._best(chunks, scores, k)
        chunks, scores = self._sum(postings)
        if allowed is not None:
            keep = allowed[chunks]
            chunks, scores = chunks[keep], scores[keep]
        return self._best(chunks, scores, k)

    @staticmethod
    def _best(chunks: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        keep = scores > 0
        chunks, scores = chunks[keep], scores[keep]
        if chunks.size > k:
            cut = scores[np.argpartition(-scores, k - 1)[:k]].min()
            # Everything tied with the k-th best is kept, so ties break by chunk number as in a sort.
            chosen = scores >= cut
            chunks, scores = chunks[chosen], scores[chosen]
        order = np.lexsort((chunks, -scores))[:k]
        return chunks[order], scores[order]
