"""Hybrid retrieval: BM25 over chunks fused with dense similarity of the chunk's best sentence.

Measured on COVID-QA dev (453 questions, 200-token chunks; bench/retrieval_study.py):
hit@5 is 0.792 for BM25 alone, 0.506 for dense chunk vectors, 0.695 for dense sentence vectors
(MiniLM was trained on short text), 0.804 for reciprocal-rank fusion of BM25 and sentences, and
0.850 for the linear fusion used here: BM25 scaled by its best score, plus the cosine of the best
sentence. A document-level prior and sentence-level BM25 were tried and gave nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.lexical import Lexical, tokenize

LEXICAL_WEIGHT = 0.5
# How much an earlier question counts next to the current one. A question that leans on an
# earlier one ("When was it founded?") takes more of it than a self-contained one, so an old
# topic does not drown a new question.
HISTORY_WEIGHT_ANAPHORIC = 0.6
HISTORY_WEIGHT_SELF_CONTAINED = 0.15
HISTORY_DECAY = 0.5
_ANAPHORA = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|there|then|"
    r"the group|the organi[sz]ation|the same|such)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Query:
    """What retrieval matches: weighted terms and one blended query vector."""

    terms: list[str]
    weights: list[float]
    texts: list[str]  # the question, then the history questions used, most recent first
    text_weights: list[float]


def history_weight(question: str, content_terms: int) -> float:
    if _ANAPHORA.search(question) or content_terms <= 2:
        return HISTORY_WEIGHT_ANAPHORIC
    return HISTORY_WEIGHT_SELF_CONTAINED


def make_query(question: str, history: list[str], *, turns: int) -> Query:
    """Weighted terms from the question and (less) from the latest earlier questions."""
    q_terms = tokenize(question)
    texts, text_weights = [question], [1.0]
    weight = history_weight(question, len(set(q_terms)))
    for earlier in reversed([h for h in history if h and h.strip()][-turns:]):
        texts.append(earlier)
        text_weights.append(weight)
        weight *= HISTORY_DECAY
    terms: dict[str, float] = {}
    for text, w in zip(texts, text_weights):
        for t in tokenize(text):
            terms[t] = max(terms.get(t, 0.0), w)
    return Query(list(terms), list(terms.values()), texts, text_weights)


def fuse(lexical: np.ndarray, dense: np.ndarray) -> np.ndarray:
    """BM25 scaled to [0, 1] by the best chunk, plus cosine similarity (also at most 1)."""
    top = float(lexical.max()) if lexical.size else 0.0
    scaled = lexical / top if top > 0 else lexical
    return LEXICAL_WEIGHT * scaled + (1 - LEXICAL_WEIGHT) * dense


def lexical_scores(lexical: Lexical, query: Query) -> np.ndarray:
    return lexical.scores(query.terms, query.weights)
