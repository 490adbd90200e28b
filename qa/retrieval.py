"""Hybrid retrieval, end to end: the query (question + the earlier questions it leans on), BM25
over chunks, dense similarity of each chunk's best sentence (exact, or approximate at scale),
filters on outlet and date, and the fusion that ranks the chunks.

Measured on COVID-QA dev (453 questions, 200-token chunks; bench/retrieval_study.py):
hit@5 is 0.792 for BM25 alone, 0.506 for dense chunk vectors, 0.695 for dense sentence vectors
(MiniLM was trained on short text), 0.804 for reciprocal-rank fusion of BM25 and sentences, and
0.850 for the linear fusion used here: BM25 scaled by its best score, plus the cosine of the best
sentence. A document-level prior and sentence-level BM25 were tried and gave nothing. A question
about the present ("this week", "recently") prefers the newest of the best passages.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np

from qa import dense, questions
from qa.embedding import Embedder
from qa.errors import BadInputError
from qa.lexical import tokenize
from qa.results import Passage
from qa.snapshot import Snapshot

LEXICAL_WEIGHT = 0.5
# How much an earlier question counts next to the current one, when the current one leans on it
# (the engine decides that; see questions.needs_context), and how much less each older one.
HISTORY_WEIGHT = 0.6
HISTORY_DECAY = 0.5
# An HNSW graph over full vectors (indexes built before the compressed one): this many nearest
# sentences per candidate chunk are fetched.
ANN_PER_CANDIDATE = 20
# At scale (a compressed dense index) only candidates are ranked: the chunks of the dense.RESCORE
# nearest sentences, and the best LEXICAL_CANDIDATES chunks by BM25. BM25 comes exactly from the
# query terms' postings. A chunk's dense score is its best sentence's exact cosine: for a chunk the
# nearest sentences propose, the best of those (a sentence of it outside that list scores lower,
# unless the approximate search missed it); for the other candidates, and for the best HEAD chunks
# after ranking (what answering reads and re-ranks: answering.rerank), every sentence is re-scored
# from the float32 vectors. So what can differ from exact ranking is a chunk that neither list
# proposes, or a sentence the approximate search missed below the head. Each row read from
# vectors.npy is a random disk read when its page is not cached: at 10 M sentences, reading every
# sentence of every candidate (some 4,000 rows) took retrieve p50 from 45 to 56 ms with the pages
# cached, and further without.
LEXICAL_CANDIDATES = 100
HEAD = 20
# A question about the present prefers the newest news: among the best RECENT_HEAD passages, each
# gains RECENT_WEIGHT × exp(-age / RECENT_DAYS), its article's age counted from the newest of them
# (an archive's "now" is its newest news; an undated article gains nothing). RealTimeQA dev (news
# quizzes; 75 of its 139 answerable questions use such words), passages only: hit@1 0.374 → 0.424,
# hit@5 0.597 → 0.626; every weight from 0.05 to 0.3 and scale from 30 to 365 days helped.
RECENT = re.compile(r"\b(?:(?:this|last|past)\s+(?:week|weekend|month|year|season|summer|winter|spring|fall|autumn)"
                    r"|recent(?:ly)?|current(?:ly)?|upcoming|latest|today|tonight|now)\b", re.IGNORECASE)
RECENT_WEIGHT = 0.2
RECENT_DAYS = 365.0
RECENT_HEAD = 40


@dataclass(frozen=True, slots=True)
class Query:
    """What retrieval matches: weighted terms and one blended query vector."""

    terms: list[str]
    weights: list[float]
    texts: list[str]  # the question, then the history questions used, most recent first
    text_weights: list[float]


@dataclass(frozen=True, slots=True)
class Filters:
    """Only articles that match are searched: outlet (any of ``sources``, ignoring case) and date range.

    An article with no known date does not match a date filter.
    """

    sources: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None

    @classmethod
    def make(cls, sources: list[str] | tuple[str, ...] | str | None = None, since: object = None,
             until: object = None, *, labels: tuple[str, str] = ("since", "until")) -> "Filters":
        """Validated filters; a BadInputError naming the problem otherwise (the dates by ``labels``:
        what the caller's user calls them, "From" and "To" in the chat)."""
        if isinstance(sources, str):
            sources = [sources]
        if sources is not None and (not isinstance(sources, (list, tuple)) or not all(isinstance(s, str) for s in sources)):
            raise BadInputError("sources must be a list of outlet names")
        wanted = tuple(s.strip().casefold() for s in sources or () if s.strip())
        return cls(wanted, _iso_date(labels[0], since), _iso_date(labels[1], until))

    @property
    def active(self) -> bool:
        return bool(self.sources or self.since or self.until)


def _iso_date(name: str, value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.isoformat()[:10]
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise BadInputError(f"{name} must be a date as YYYY-MM-DD, not {str(value)[:40]!r}")


@dataclass(frozen=True, slots=True, eq=False)
class Sparse:
    """A vector of ``size`` values of which those at ``ids`` (ascending) are known; any other
    position reads as ``floor``. Indexing by one position, as a numpy array of that size would."""

    size: int
    ids: np.ndarray
    values: np.ndarray
    floor: float

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> np.float32:
        if not -self.size <= i < self.size:
            raise IndexError(f"index {i} is out of bounds for size {self.size}")
        i = int(i) % self.size
        j = int(np.searchsorted(self.ids, i))
        return self.values[j] if j < self.ids.size and self.ids[j] == i else np.float32(self.floor)


@dataclass(frozen=True, slots=True, eq=False)
class Retrieval:
    """What retrieval found for one question: answering consumes this, never re-running it.

    ``scores`` holds every chunk's fused score (``-inf`` for chunks the filters exclude); ``order``
    the allowed chunks, best first; ``sentence_sims`` the cosine of every sentence row. At scale
    (a compressed dense index) ``order`` holds only the ranked candidates, and ``scores`` and
    ``sentence_sims`` are ``Sparse``: exact at the candidates and their sentences, ``-inf`` and the
    lowest computed cosine elsewhere.
    """

    query: Query
    scores: np.ndarray | Sparse
    sentence_sims: np.ndarray | Sparse
    order: np.ndarray
    filters: Filters = field(default_factory=Filters)

    def passages(self, snap: Snapshot, k: int) -> list[Passage]:
        return [snap.passage(int(i), float(self.scores[i])) for i in self.order[: max(0, k)]]


def make_query(question: str, history: list[str], *, turns: int) -> Query:
    """Weighted terms from the question and (less) from the latest earlier questions it leans on."""
    texts, text_weights = [question], [1.0]
    weight = HISTORY_WEIGHT
    for earlier in reversed([h for h in history if h and h.strip()][-turns:] if turns else []):
        texts.append(earlier)
        text_weights.append(weight)
        weight *= HISTORY_DECAY
    terms: dict[str, float] = {}
    for text, w in zip(texts, text_weights):
        for t in tokenize(questions.without_auxiliaries(text)):
            terms[t] = max(terms.get(t, 0.0), w)
    return Query(list(terms), list(terms.values()), texts, text_weights)


def fuse(lexical: np.ndarray, dense_scores: np.ndarray) -> np.ndarray:
    """BM25 scaled to [0, 1] by the best chunk, plus cosine similarity (also at most 1)."""
    top = float(lexical.max()) if lexical.size else 0.0
    scaled = lexical / top if top > 0 else lexical
    return LEXICAL_WEIGHT * scaled + (1 - LEXICAL_WEIGHT) * dense_scores


def query_vector(embedder: Embedder, query: Query) -> np.ndarray:
    """One unit vector: the question's, blended with the earlier questions' by their weights."""
    vecs = embedder.encode(query.texts)
    v = (np.asarray(query.text_weights, dtype=np.float32)[:, None] * vecs).sum(axis=0)
    return v / (np.linalg.norm(v) or 1.0)


def allowed_chunks(snap: Snapshot, filters: Filters) -> np.ndarray:
    """A boolean mask of the chunks whose article matches ``filters``."""
    mask = allowed_mask(snap, filters)
    return np.ones(len(snap.chunks), dtype=bool) if mask is None else mask


def allowed_mask(snap: Snapshot, filters: Filters) -> np.ndarray | None:
    """``allowed_chunks`` from the snapshot's per-chunk arrays, vectorised (None: no filter)."""
    if not filters.active:
        return None
    codes = [i for i, name in enumerate(snap.source_names) if name in set(filters.sources)]
    mask = np.isin(snap.chunk_source_code, codes) if filters.sources else np.ones(len(snap.chunks), dtype=bool)
    dates = snap.chunk_date_array
    if filters.since or filters.until:
        mask &= dates != ""
    if filters.since:
        mask &= dates >= filters.since
    if filters.until:
        mask &= dates <= filters.until
    return mask


def sentence_similarities(snap: Snapshot, qv: np.ndarray, *, candidates: int) -> np.ndarray:
    """The cosine of every sentence with ``qv``: exact with an exact index; with an HNSW graph
    (indexes built before the compressed one), the nearest sentences and, for the rest, the lowest."""
    n = len(snap.sentence_spans)
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    if dense.is_exact(snap.dense_index):
        return snap.vectors @ qv
    scores, ids = dense.search(snap.dense_index, qv, candidates * ANN_PER_CANDIDATE)
    keep = ids >= 0
    sims = np.full(n, float(scores[keep].min()) if keep.any() else 0.0, dtype=np.float32)
    sims[ids[keep]] = scores[keep]
    return sims


def search(snap: Snapshot, embedder: Embedder, question: str, history: list[str], *, turns: int,
           candidates: int, filters: Filters | None = None) -> Retrieval:
    """Score every chunk of ``snap`` for ``question`` (with ``history``), best first."""
    filters = filters or Filters()
    query = make_query(question, history, turns=turns)
    n_chunks = len(snap.chunks)
    if n_chunks == 0:
        empty = np.zeros(0, dtype=np.float32)
        return Retrieval(query, empty, empty, np.zeros(0, dtype=np.int64), filters)
    qv = query_vector(embedder, query)
    if snap.at_scale:
        # Every sentence of each chunk prefer_recent may move up is scored exactly.
        head = RECENT_HEAD if RECENT.search(question) else HEAD
        return prefer_recent(snap, question, _search_candidates(snap, query, qv, filters, head=head))
    sims = sentence_similarities(snap, qv, candidates=candidates)
    best = np.full(n_chunks, -1.0, dtype=np.float32)
    np.maximum.at(best, snap.sentence_chunk, sims)
    mask = allowed_chunks(snap, filters)
    lexical = snap.lexical.scores(query.terms, query.weights)
    lexical[~mask] = 0.0  # the best allowed chunk sets BM25's scale
    fused = fuse(lexical, best).astype(np.float32)
    fused[~mask] = -np.inf
    order = np.argsort(-fused, kind="stable")[: int(mask.sum())]
    return prefer_recent(snap, question, Retrieval(query, fused, sims, order, filters))


def _day(date: str) -> int | None:
    try:
        return dt.date.fromisoformat(date[:10]).toordinal()
    except ValueError:
        return None


def prefer_recent(snap: Snapshot, question: str, found: Retrieval) -> Retrieval:
    """``found`` with its head re-ranked toward the newest articles when ``question`` asks about
    the present (RECENT); unchanged otherwise. Scores only rise, so the head stays the head."""
    if not RECENT.search(question) or found.order.size == 0:
        return found
    head = found.order[:RECENT_HEAD]
    days = [_day(str(d)) if d else None for d in snap.chunk_date_array[head]]
    known = [d for d in days if d is not None]
    if not known:
        return found
    now = max(known)
    bonus = np.array([RECENT_WEIGHT * np.exp(-(now - d) / RECENT_DAYS) if d is not None else 0.0 for d in days],
                     dtype=np.float32)
    return raise_head(found, head.size, bonus)


def raise_head(found: Retrieval, size: int, bonus: np.ndarray) -> Retrieval:
    """``found`` with the scores of its best ``size`` chunks raised by ``bonus`` (≥ 0, one value each,
    in order) and those chunks re-ranked among themselves. Scores only rise, so the head stays the head."""
    head = found.order[:size]
    # Clipped to what float32 holds: a damaged index can make a score, and so its bonus, absurdly large.
    top = float(np.finfo(np.float32).max) / 4
    bonus = np.clip(np.nan_to_num(np.asarray(bonus, dtype=np.float64)[: head.size], nan=0.0, posinf=top), 0.0, top)
    bonus = bonus.astype(np.float32)
    scores = found.scores
    if isinstance(scores, Sparse):
        at = np.searchsorted(scores.ids, head)
        values = scores.values.copy()
        values[at] += bonus
        scores = Sparse(scores.size, scores.ids, values, scores.floor)
        new = values[at]
    else:
        scores = scores.copy()
        scores[head] += bonus
        new = scores[head]
    order = np.concatenate([head[np.argsort(-new, kind="stable")], found.order[head.size:]])
    return Retrieval(found.query, scores, found.sentence_sims, order, found.filters)


def _search_candidates(snap: Snapshot, query: Query, qv: np.ndarray, filters: Filters, *,
                       head: int = HEAD) -> Retrieval:
    """Rank only candidates: the chunks of the nearest sentences (compressed index, re-scored) and
    the best chunks by BM25, each with its fused score (see LEXICAL_CANDIDATES). Nothing here is as
    long as the collection except the filter masks, and those only when filters are set."""
    mask = allowed_mask(snap, filters)
    sentence_mask = None if mask is None else mask[snap.sentence_chunk]
    near_sims, near = dense.search(snap.dense_index, qv, dense.RESCORE, vectors=snap.vectors, allowed=sentence_mask)
    best_lexical, best_scores = snap.lexical.top(query.terms, query.weights, LEXICAL_CANDIDATES, allowed=mask)
    near_chunks = snap.sentence_chunk[near]
    chunks = np.union1d(near_chunks, best_lexical).astype(np.int64)
    best = np.full(chunks.size, -1.0, dtype=np.float32)
    np.maximum.at(best, np.searchsorted(chunks, near_chunks), near_sims.astype(np.float32))
    found_rows, found_sims = [near.astype(np.int64)], [near_sims.astype(np.float32)]

    def score_every_sentence(which: np.ndarray) -> None:
        """Every sentence of the candidates at positions ``which``, exactly: its best sets the dense score."""
        first, last = snap.first_sentence[chunks[which]], snap.first_sentence[chunks[which] + 1]
        counts = last - first
        rows = np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        dense.prefetch(snap.vectors, rows)
        sims = (np.asarray(snap.vectors[rows], dtype=np.float32) @ qv).astype(np.float32)
        np.maximum.at(best, np.repeat(which, counts), sims)
        found_rows.append(rows)
        found_sims.append(sims)

    whole = np.flatnonzero(~np.isin(chunks, near_chunks))  # proposed by BM25 alone
    score_every_sentence(whole)
    lexical = snap.lexical.lookup(query.terms, query.weights, chunks)
    # BM25's scale is the best allowed chunk of the whole collection, as in the exact ranking.
    top = float(best_scores[0]) if best_scores.size else 0.0
    scaled = LEXICAL_WEIGHT * (lexical / top if top > 0 else lexical)
    ranked = np.argsort(-(scaled + (1 - LEXICAL_WEIGHT) * best), kind="stable")
    score_every_sentence(np.setdiff1d(ranked[:head], whole))  # a chunk's best can only rise: the head stays the head
    dense.release(snap.vectors)  # resident memory stays flat however many questions are served
    fused = (scaled + (1 - LEXICAL_WEIGHT) * best).astype(np.float32)
    order = chunks[np.argsort(-fused, kind="stable")]
    rows, first = np.unique(np.concatenate(found_rows), return_index=True)
    sims = np.concatenate(found_sims)[first]
    floor = float(sims.min()) if sims.size else 0.0
    return Retrieval(query, Sparse(len(snap.chunks), chunks, fused, -np.inf),
                     Sparse(len(snap.sentence_spans), rows, sims, floor), order, filters)
