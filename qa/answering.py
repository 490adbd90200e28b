"""Extractive answers: the best sentences of the best passages, quoted verbatim and attributed.

Each candidate sentence is scored by its cosine with the question, the share of the question's
(IDF-weighted) terms it contains, and its passage's fused score. The best one is cited first;
the best sentence of each other article that scores close to it is cited too, so that where the
articles differ, each is heard. When the best evidence is weak the answer is a refusal.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from qa.lexical import tokenize
from qa.results import Answer, Citation
from qa.retrieval import Retrieval
from qa.snapshot import Snapshot

TOP_PASSAGES = 6
MAX_CITATIONS = 3
RELATED_PASSAGES = 10


@dataclass(frozen=True, slots=True)
class AnswerParams:
    """The weights and thresholds of answer selection (measured with bench/answer_study.py)."""

    # Weights of a sentence's score: cosine with the question, question-term coverage, passage score.
    w_dense: float = 0.50
    w_cover: float = 0.45
    w_passage: float = 0.05
    # An adjacent sentence of the same paragraph joins the quote when it scores at least this share
    # of the sentence it adjoins (COVID-QA dev answer@1: 0.583 for one sentence, 0.609 with this).
    neighbour_ratio: float = 0.80
    # Another article is cited when its best sentence scores at least this share of the best.
    other_source_ratio: float = 0.70
    # Refusal: the best sentence must be close enough in meaning, or share enough of the question's terms.
    min_dense: float = 0.50
    min_cover: float = 0.55
    min_evidence: float = 0.42


DEFAULT = AnswerParams()

REFUSAL = "The articles do not answer this question."


@dataclass(frozen=True, slots=True)
class Candidate:
    chunk: int
    start: int
    end: int
    dense: float
    cover: float
    passage: float
    score: float


def human_date(iso: str | None) -> str | None:
    if not iso:
        return None
    try:
        d = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {d.strftime('%B')} {d.year}"


def attribution(source: str | None, date: str | None, title: str | None, path: str) -> str:
    """'According to Sputnik (20 July 2018)' with what is known; never a guess."""
    when = human_date(date)
    if source:
        return f"According to {source}" + (f" ({when})" if when else "")
    if title:
        return f"According to “{title}”" + (f" ({when})" if when else "")
    return f"According to an article" + (f" of {when}" if when else "") + f" ({path})"


def _display(quote: str) -> str:
    """The quote as shown inline: line breaks and the indentation after them become one space."""
    return re.sub(r"\s*[\r\n]+\s*", " ", quote)


def candidates(snap: Snapshot, found: Retrieval, params: AnswerParams = DEFAULT) -> list[Candidate]:
    """Every sentence of the top passages, scored, best first; a sentence shared by two
    overlapping passages appears once."""
    order = found.order[:TOP_PASSAGES]
    if order.size == 0:
        return []
    query, fused, sims = found.query, found.scores, found.sentence_sims
    top = float(fused[order[0]]) or 1.0
    idf = snap.lexical.idf(query.terms)
    weight = {t: idf[t] * w for t, w in zip(query.terms, query.weights)}
    total = sum(weight.values()) or 1.0
    seen: dict[tuple[str, int, int], Candidate] = {}
    for ci in order:
        chunk = snap.chunks[ci]
        text = snap.documents[chunk.path].text
        previous: set[str] = set()
        for row in range(snap.first_sentence[ci], snap.first_sentence[ci + 1]):
            s, e = snap.sentence_spans[row]
            terms = set(tokenize(text[s:e]))
            # A term of the sentence before counts half: "The group, founded in…" follows the
            # sentence that names the group.
            cover = sum(v if t in terms else 0.5 * v if t in previous else 0.0 for t, v in weight.items()) / total
            previous = terms
            dense = float(sims[row]) if sims.size else 0.0
            passage = float(fused[ci]) / top
            c = Candidate(int(ci), s, e, dense, cover, passage,
                          params.w_dense * dense + params.w_cover * cover + params.w_passage * passage)
            key = (chunk.path, s, e)
            if key not in seen or seen[key].score < c.score:
                seen[key] = c
    return sorted(seen.values(), key=lambda c: -c.score)


def extend(snap: Snapshot, c: Candidate, scores: dict[tuple[str, int, int], float],
           params: AnswerParams = DEFAULT) -> tuple[int, int]:
    """The span of ``c``, grown by the sentence before and after where those are strong too."""
    chunk = snap.chunks[c.chunk]
    text = snap.documents[chunk.path].text
    spans = list(chunk.sentences)
    i = spans.index((c.start, c.end))
    start, end = c.start, c.end
    for j in (i - 1, i + 1):
        if 0 <= j < len(spans):
            s, e = spans[j]
            gap = text[min(end, e):max(start, s)]  # the text between the two sentences
            if scores.get((chunk.path, s, e), 0.0) >= params.neighbour_ratio * c.score and gap.count("\n") + gap.count("\r") < 2:
                start, end = min(start, s), max(end, e)
    return start, end


def is_evidence(c: Candidate, params: AnswerParams = DEFAULT) -> bool:
    """Strong enough to answer: close in meaning or sharing most of the question's terms, and not weak overall."""
    return (c.dense >= params.min_dense or c.cover >= params.min_cover) and c.score >= params.min_evidence


def answer(snap: Snapshot, question: str, found: Retrieval, *, params: AnswerParams = DEFAULT) -> Answer:
    """The reply to ``question`` from what retrieval ``found``: quotes, or a refusal with related reading."""
    cands = candidates(snap, found, params)
    passages = found.passages(snap, RELATED_PASSAGES)
    if not cands or not is_evidence(cands[0], params):
        return Answer(question, REFUSAL + (" The closest passages are listed as related reading, not as an answer."
                                           if passages else ""), False, [], passages, generation=snap.name)
    best = cands[0]
    chosen = [best]
    paths = {snap.chunks[best.chunk].path}
    for c in cands[1:]:
        if len(chosen) >= MAX_CITATIONS:
            break
        path = snap.chunks[c.chunk].path
        if path not in paths and c.score >= params.other_source_ratio * best.score and is_evidence(c, params):
            chosen.append(c)
            paths.add(path)
    scores = {(snap.chunks[x.chunk].path, x.start, x.end): x.score for x in cands}
    citations = []
    parts = []
    for n, c in enumerate(chosen, 1):
        path = snap.chunks[c.chunk].path
        doc = snap.documents[path]
        start, end = extend(snap, c, scores, params)
        quote = doc.text[start:end]
        citations.append(Citation(path, start, end, quote, doc.title, doc.source, doc.date))
        parts.append(f"{attribution(doc.source, doc.date, doc.title, path)}, “{_display(quote)}” [{n}]")
    return Answer(question, "\n\n".join(parts), True, citations, passages, generation=snap.name)
