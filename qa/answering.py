"""Extractive answers: the best sentences of the best passages, quoted verbatim and attributed.

Each candidate sentence of the best passages gets features (cosine with the question, the share
of the question's IDF-weighted terms it holds, its passage's fused score and rank, and whether it
holds an expression of the type the question asks for: a number, a sum, a date, a name …); a
linear score of them ranks the sentences. The best is cited first; the best sentence of each other
article that scores close to it is cited too, so that where the articles differ, each is heard.
Inside each quote the answer phrase is singled out where the question's type allows. A logistic
model of the best sentence's features decides whether the articles answer at all.

The weights come from bench/answer_study.py (fitted on the dev sets' features; see docs/answers.md).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import math
import re
from dataclasses import dataclass

import numpy as np

from qa import questions, retrieval
from qa.lexical import tokenize
from qa.reading import Reader
from qa.results import Answer, Citation
from qa.retrieval import Retrieval
from qa.snapshot import Snapshot

TOP_PASSAGES = 8
MAX_CITATIONS = 3
RELATED_PASSAGES = 10
# The features of a candidate sentence, in this order.
FEATURES = ("dense", "cover", "passage", "rank", "typed", "untyped", "missing", "near", "asks", "echoed", "voiced",
            "read")
# Features that choose which sentence to quote but say nothing of whether the articles answer: a
# sentence's support (what refusal reads) is its score without them.
CHOICE_ONLY = ("asks", "echoed", "voiced", "read")
READ = FEATURES.index("read")  # where the reader's probability sits among a candidate's features
# Types whose answer is a short expression that can be found in a sentence.
SPECIFIC = {questions.NUMBER, questions.MONEY, questions.PERCENT, questions.DATE, questions.PERSON, questions.ORG,
            questions.PLACE, questions.NAME}
# A named answer (person, organisation, place) that several of the best sentences repeat is more
# likely the answer (answer redundancy: news tells the same fact many times, a sentence that merely
# sounds like the question names something else). Among the best ECHO_POOL sentences, a sentence's
# "echoed" is how many others name one of its expressions of the expected type, up to ECHO_CAP, over
# ECHO_CAP. Session 8, weight 0.05 (0.1 the same): RealTimeQA dev answer@1 0.309 → 0.324, seed_dev and
# COVID-QA dev level. For every specific type (session 6) it lost up to 14 COVID-QA answers: numbers,
# dates and capitalised terms repeat for other reasons.
ECHOED = {questions.PERSON, questions.ORG, questions.PLACE}
ECHO_POOL = 30
ECHO_CAP = 3


@dataclass(frozen=True, slots=True)
class AnswerParams:
    """The weights and thresholds of answer selection (bench/answer_study.py)."""

    # A sentence's score: these weights times FEATURES.
    # "missing" is the same for every sentence of a question: it only informs the refusal.
    weights: tuple[float, ...] = (0.70, 0.35, 0.05, 0.0, 0.05, 0.0, 0.0, 0.05, -0.10, 0.05, 0.20, 0.30)
    # dense 0.70 / cover 0.35 (session 11; 0.50 / 0.45 before): the fine-tuned model's cosine says more
    # than the official one's did. Every point of dense 0.7-0.9 x cover 0.30-0.40 tried gave COVID-QA
    # dev answer@1 0.629-0.631 and RealTimeQA 0.374 (0.620 / 0.353 at 0.50 / 0.45); this one also kept
    # every refusal figure (docs/answers.md, session 11).
    # "asks" (session 8): a sentence that is itself a question ("Who won big at the 75th Golden Globe
    # Awards?") does not answer one, however alike they sound. RealTimeQA dev answer@1 0.295 → 0.309,
    # hit@1 0.432 → 0.446; seed and COVID-QA level (−0.2 or −0.3: RealTimeQA 0.317, COVID-QA −1).
    # It only chooses (CHOICE_ONLY): refusal still reads the best sentence by support.
    # "echoed" (session 8): see ECHOED.
    # "voiced" (session 9): for what a named speaker said ("What do the White Helmets say their work
    # is?"), a sentence in which that speaker is the one saying (see voiced). seed_dev answer@1
    # 0.909 → 0.955 and multi-source 0.50 → 1.00 (the sentence that merely names the speaker, "The White
    # Helmets have on numerous occasions been spotted working with al-Nusra", no longer leads);
    # COVID-QA and RealTimeQA dev have no such question. Choice-only: refusal is unchanged.
    # "read" (session 14): the reader's probability that the sentence answers (qa/reading.py), for the
    # best read_top sentences (the others get the lowest of theirs). Choice-only.
    # An adjacent sentence of the same paragraph joins the quote when it scores at least this share
    # of the sentence it adjoins (COVID-QA dev answer@1: 0.583 for one sentence, 0.609 with this).
    neighbour_ratio: float = 0.80
    # Another article is cited when its best sentence scores at least this share of the best, and
    # P(answerable) of that sentence reaches other_source_threshold: once the question is judged
    # answered, a second article's account needs less evidence of its own to be heard beside it.
    other_source_ratio: float = 0.70
    other_source_threshold: float = 0.50
    # With the reader, another article's sentence must also read as at least this share of the best's.
    other_source_read: float = 0.50
    # Passages are re-ranked by their best sentence's score times this (rerank).
    rerank_weight: float = 0.75
    # A quote also grows by the sentence before when it opens by pointing back ("This suggests …"),
    # and by the sentence after when it announces what follows ("… have a number of advantages.") or
    # holds fewer than lean_novel terms the question lacks (it restates the question; the answer
    # follows). COVID-QA dev answer@1 0.598 → 0.614, RealTimeQA 0.273 → 0.281, seed level.
    lean_back: bool = True
    lean_ahead: bool = True
    lean_novel: int = 4
    # A sentence that announces a list ("… have a number of advantages as vaccine vectors.") is followed
    # by the list, often over more than one sentence: the quote takes up to this many sentences after
    # it, within its paragraph (session 15: COVID-QA dev answer@1 0.631 → 0.638, three questions whose
    # answer was the second sentence after the announcement; every other dev figure level; 1 → 0.636).
    announced: int = 2
    # For a question of a specific type, a quote without an expression of that type also grows by a
    # neighbour that holds one, even across a paragraph break (the lede that names "AMC Theatres"
    # before "The country's largest movie theater chain announced …"). RealTimeQA 0.288 → 0.295.
    lean_typed: bool = True
    # A class noun of the question ("money", "year", "country") counts as held by a sentence with an
    # expression of the type (questions.CLASS_NOUNS).
    class_nouns: bool = True
    # The reader reads only where the best two sentences score within read_margin of each other (where
    # the features leave the choice open), and then the best read_top (each pair costs about 10 ms on
    # 2 cores). Session 15, against reading the best 20 of every question: COVID-QA dev answer@1
    # 0.656 → 0.658 reading 35 % of the questions, p50 264 → 24 ms; seed_dev 1.000 either way (one
    # question read); RealTimeQA answer@1 0.388 (0.381 without the reader; docs/answers.md).
    read_top: int = 5
    read_margin: float = 0.05
    # Refusal: P(answerable) = logistic(bias + coef · (FEATURES of the best-supported sentence, its support)).
    # Fitted by bench/answer_study.py on seed_dev, COVID-QA dev, RealTimeQA dev and
    # bench/unanswerable_*.jsonl (docs/answers.md has the curve); the threshold trades false
    # refusals for refusals.
    # "asks", "echoed" and "voiced" were added after the fit and are CHOICE_ONLY: their coefficients are 0.
    refusal_coef: tuple[float, ...] = (3.141, 3.3857, -0.0319, 0.3714, -0.2708, -0.5302, -0.665, 0.0, 0.0, 0.0, 0.0,
                                       0.0, 1.7836)
    refusal_bias: float = -2.9016
    refusal_threshold: float = 0.75


DEFAULT = AnswerParams()

REFUSAL = "The articles do not answer this question."


@dataclass(frozen=True, slots=True)
class Candidate:
    chunk: int
    start: int
    end: int
    features: tuple[float, ...]
    score: float  # what chooses the quote: params.weights · features
    support: float  # what refusal reads: the same without the CHOICE_ONLY features

    @property
    def dense(self) -> float:
        return self.features[0]

    @property
    def cover(self) -> float:
        return self.features[1]

    @property
    def typed(self) -> float:
        return self.features[4]


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


@functools.lru_cache(maxsize=16)
def support_weights(weights: tuple[float, ...]) -> tuple[float, ...]:
    """``weights`` with those of the CHOICE_ONLY features set to 0."""
    return tuple(0.0 if name in CHOICE_ONLY else w for name, w in zip(FEATURES, weights))


def _scored(chunk: int, start: int, end: int, features: tuple[float, ...], params: AnswerParams) -> Candidate:
    """A candidate with its score and support from ``features``."""
    return Candidate(chunk, start, end, features, sum(w * f for w, f in zip(params.weights, features)),
                     sum(w * f for w, f in zip(support_weights(params.weights), features)))


def candidates(snap: Snapshot, found: Retrieval, kind: str = questions.DESCRIPTION,
               params: AnswerParams = DEFAULT, *, head: int = TOP_PASSAGES) -> list[Candidate]:
    """Every sentence of the best ``head`` passages, scored, best first; a sentence shared by two
    overlapping passages appears once."""
    order = found.order[:head]
    if order.size == 0:
        return []
    query, fused, sims = found.query, found.scores, found.sentence_sims
    top = float(fused[order[0]]) or 1.0
    idf = snap.lexical.idf(query.terms)
    # A sentence must answer this question: the earlier one a follow-up leans on steers retrieval,
    # but its words do not make a sentence an answer (unless the question has no words of its own).
    own = set(tokenize(questions.without_auxiliaries(query.texts[0]))) if query.texts else set()
    weight = {t: idf[t] * w for t, w in zip(query.terms, query.weights) if t in own or not own}
    total = sum(weight.values()) or 1.0
    asked = set(query.terms)
    missing = _missing(snap, found, kind)
    own_terms = set(weight)
    # An answer names what it counts or names beside itself ("9,600 people"): nearness to the
    # question's focus word says nothing, nearness to its other words does.
    near_terms = own_terms - {_term(questions.focus(query.texts[0]) or "")} if query.texts else own_terms
    # A typed expression is what a class noun of the question names ("$6.6 million" for "money").
    stand = _term(questions.stands_for(query.texts[0], kind) or "") if query.texts and params.class_nouns else None
    speaking = speaker(query.texts[0]) if kind == questions.SAID and query.texts else set()
    agents = {t: verbs for t in weight if (verbs := agent_verbs(t))}
    seen: dict[tuple[str, int, int], Candidate] = {}
    named: dict[tuple[str, int, int], set[str]] = {}  # a sentence's expressions of the expected type, lower-cased
    for rank, ci in enumerate(order):
        chunk = snap.chunks[ci]
        text = snap.documents[chunk.path].text
        previous: set[str] = set()
        before: tuple[int, int] | None = None
        for row in range(snap.first_sentence[ci], snap.first_sentence[ci + 1]):
            s, e = snap.sentence_spans[row]
            terms = _terms(text[s:e])
            typed = near = 0.0
            found_x: list[questions.Expression] = []
            if kind in SPECIFIC:
                found_x = [x for x in questions.expressions(text, s, e, kind) if _answers(text, x, kind, asked)]
                typed = float(bool(found_x))
                near = _nearness(text, s, e, found_x, near_terms) if near_terms & terms else 0.0
            held = terms | {stand} if stand and found_x else terms
            if agents:  # "founder" is held by a sentence that says "founded"
                held = held | {t for t, verb in agents.items() if verb & terms}
            # A term of the sentence before counts half: "The group, founded in…" follows the
            # sentence that names the group.
            cover = sum(v if t in held else 0.5 * v if t in previous else 0.0 for t, v in weight.items()) / total
            previous = terms
            features = (float(sims[row]) if sims.size else 0.0, cover, float(fused[ci]) / top, 1.0 / (1 + rank),
                        typed, float(kind in SPECIFIC and not typed), missing, near, float(asks(text, s, e)), 0.0,
                        float(bool(speaking) and voiced(text, s, e, speaking, before)), 0.0)
            before = (s, e)
            c = _scored(int(ci), s, e, features, params)
            key = (chunk.path, s, e)
            if key not in seen or seen[key].score < c.score:
                seen[key] = c
            if kind in ECHOED and found_x:
                named[key] = {n for x in found_x if len(n := text[x.start:x.end].lower()) > 2}
    ranked = sorted(seen.values(), key=lambda c: -c.score)
    return _echo(snap, ranked, named, params) if named else ranked


def _echo(snap: Snapshot, ranked: list[Candidate], named: dict[tuple[str, int, int], set[str]],
          params: AnswerParams) -> list[Candidate]:
    """``ranked`` with the "echoed" feature of the best ECHO_POOL set (see ECHOED), re-scored and re-sorted."""
    pool = ranked[:ECHO_POOL]
    keys = [(snap.chunks[c.chunk].path, c.start, c.end) for c in pool]
    lowered = [snap.documents[k[0]].text[k[1]:k[2]].lower() for k in keys]

    def naming(name: str) -> set[int]:
        """The pool's sentences that name ``name`` as whole words; empty where only one holds it at all
        (its own: no other sentence names it, so it counts no vote)."""
        holding = [i for i, low in enumerate(lowered) if name in low]
        if len(holding) < 2:
            return set()
        pattern = re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)")
        return {i for i in holding if pattern.search(lowered[i])}

    # Each name is looked for once, in every sentence of the pool.
    found = {n: naming(n) for n in {n for key in keys for n in named.get(key, ())}}
    at = FEATURES.index("echoed")
    for i, (c, key) in enumerate(zip(pool, keys)):
        votes = max((len(found[n] - {i}) for n in named.get(key, ())), default=0)  # the others that name it
        if votes:
            f = (*c.features[:at], min(votes, ECHO_CAP) / ECHO_CAP, *c.features[at + 1:])
            pool[i] = _scored(c.chunk, c.start, c.end, f, params)
    return sorted(pool, key=lambda c: -c.score) + ranked[ECHO_POOL:]


# A sentence that ends with a question mark (inside closing quotes or brackets, if any).
_ASKS = re.compile(r"\?[\s\u00a0\"”’')\]]*$")


def asks(text: str, start: int, end: int) -> bool:
    """Whether the sentence ``text[start:end]`` is itself a question."""
    return _ASKS.search(text, start, end) is not None


def rerank(snap: Snapshot, found: Retrieval, kind: str = questions.DESCRIPTION, params: AnswerParams = DEFAULT,
           pool: list[Candidate] | None = None) -> Retrieval:
    """``found`` with its best passages (retrieval.HEAD: the head that is scored exactly at scale)
    re-ranked by how well their best sentence answers: each gains params.rerank_weight times that
    sentence's score, on the scale of the best passage's score. ``pool``: their candidates, where
    already computed."""
    if found.order.size == 0 or params.rerank_weight <= 0:
        return found
    head = found.order[:retrieval.HEAD]
    best: dict[int, float] = {}
    for c in pool if pool is not None else candidates(snap, found, kind, params, head=head.size):
        best[c.chunk] = max(best.get(c.chunk, 0.0), c.score)
    scale = params.rerank_weight * max(float(found.scores[head[0]]), 0.0)
    return retrieval.raise_head(found, head.size, np.array([scale * best.get(int(ci), 0.0) for ci in head]))


@functools.lru_cache(maxsize=1 << 12)
def _terms(text: str) -> frozenset[str]:
    """The search terms of a sentence or passage: cached, since re-ranking, answering and follow-ups
    read the same passages."""
    return frozenset(tokenize(text))


@functools.lru_cache(maxsize=1 << 16)
def _term(word: str) -> str | None:
    """The search term of one word (None for a stopword): cached, since answering tokenises word by word."""
    terms = tokenize(word)
    return terms[0] if terms else None


def agent_verbs(term: str) -> frozenset[str]:
    """For the search term of an agent noun ("founder", "investor", "writer"), the terms of the verb it
    is made from ("found", "invest", "write"): a sentence that says what the agent did ("founded by …")
    holds it. Empty for other terms."""
    if len(term) < 6 or not term.endswith(("er", "or")):
        return frozenset()
    return frozenset({term[:-2], term[:-1]})


def _word_hits(text: str, terms: set[str], start: int = 0, end: int | None = None) -> tuple[list[int], list[int]]:
    """The start of each word of ``text[start:end]``, and the positions (word indices) of those whose term is one of ``terms``."""
    words = list(_WORD.finditer(text, start, len(text) if end is None else end))
    return [m.start() for m in words], [i for i, m in enumerate(words) if _term(m.group()) in terms]


NEAR_WORDS = (3, 8)  # an expression this many words from a question term is near (1.0), or fairly near (0.5)


def _nearness(text: str, start: int, end: int, found: list[questions.Expression], terms: set[str]) -> float:
    """How close the nearest of ``found`` comes to one of the question's ``terms`` in ``text[start:end]``,
    counted in words: 1.0 within NEAR_WORDS[0], 0.5 within NEAR_WORDS[1], else 0.0. "plans to evacuate
    hundreds of members" answers "How many … evacuated?"; a figure at the far end of the sentence rarely does."""
    if not found:
        return 0.0
    starts, at = _word_hits(text, terms, start, end)
    if not at:
        return 0.0
    gap = min(min(abs(i - bisect.bisect_right(starts, x.start) + 1), abs(i - bisect.bisect_left(starts, x.end) + 1))
              for x in found for i in at)
    return 1.0 if gap <= NEAR_WORDS[0] else 0.5 if gap <= NEAR_WORDS[1] else 0.0


_NAMED = re.compile(r"(?<=\s)[A-Z][\w’'-]*|\b\d{2,}\b")


_SPEAKER = re.compile(r"\b(?:did|does|do|has|have|had)\s+(.+?)\s+(?:say|tell|claim|report|announce|warn|write|call|"
                      r"describe|state)\b", re.IGNORECASE)
SPEAKER_WINDOW = 8  # words between a speaker's name and the verb that reports them
# Verbs by which someone says something, in every form ("accusing", "self-described"), and
# "according to": for whether a top passage reports a named speaker at all (_attributed) and for the
# sentence in which that speaker is the one saying (voiced).
_VOICES = re.compile(r"\b(?:according\s+to|sa(?:y|ys|id|ying)|t(?:ell|ells|old|elling)|claim(?:s|ed|ing)?|announc(?:e|es|ed|ing)|"
                     r"warn(?:s|ed|ing)?|wr(?:ite|ites|ote|iting)|describ(?:e|es|ed|ing)|stat(?:e|es|ed|ing)|"
                     r"add(?:s|ed|ing)?|explain(?:s|ed|ing)?|insist(?:s|ed|ing)?|argu(?:e|es|ed|ing)|not(?:e|es|ed|ing)|"
                     r"den(?:y|ies|ied|ying)|accus(?:e|es|ed|ing)|criti(?:ci[sz](?:e|es|ed|ing))|condemn(?:s|ed|ing)?|"
                     r"call(?:s|ed|ing)?|assert(?:s|ed|ing)?|maintain(?:s|ed|ing)?|alleg(?:e|es|ed|ing)|"
                     r"stress(?:es|ed|ing)?|emphasi[sz](?:e|es|ed|ing)|report(?:s|ed|ing)?)\b", re.IGNORECASE)
# A speaker says something within this many words before the verb ("Damascus issued a scathing
# criticism of the US decision, accusing …"), or this many after it ("…, said Putin").
VOICE_WINDOW = (12, 3)
# A verb of saying in the passive ("has repeatedly been accused of …"): the one named is spoken of.
_PASSIVE = re.compile(r"\b(?:is|are|was|were|be|been|being)(?:[\s\u00a0]+\w+ly)?[\s\u00a0]+$", re.IGNORECASE)
# A sentence that opens by pointing back at someone named just before ("The group, founded in …,
# claims that …").
_REFERS_BACK = re.compile(r"[\s\u00a0“\"'(]*(?:The[\s\u00a0]+(?:group|organi[sz]ation|NGO|agency|company|ministry|"
                          r"government|movement|network|body)|It|They|He|She)\b")


def speaker(question: str) -> set[str]:
    """For "What did Russian President Vladimir Putin say …?": the named speaker's last name ({"putin"}),
    since titles ("President") name many; empty when the question names nobody (a capitalised word)
    as the one speaking."""
    m = _SPEAKER.search(question)
    names = re.findall(r"[A-Z][\w’'-]*", m.group(1)) if m else []
    return set(tokenize(names[-1])) if names else set()


def _attributed(text: str, names: set[str]) -> bool:
    """Whether ``text`` reports ``names`` speaking: a name within SPEAKER_WINDOW words of a reporting verb."""
    starts, at = _word_hits(text, names)
    says = [bisect.bisect_left(starts, m.start()) for m in _VOICES.finditer(text)]  # a verb's word position
    return any(abs(i - j) <= SPEAKER_WINDOW for i in at for j in says)


def voiced(text: str, start: int, end: int, names: set[str], before: tuple[int, int] | None = None) -> bool:
    """Whether in the sentence ``text[start:end]`` the speaker ``names`` (speaker()) is the one saying:
    the name within VOICE_WINDOW of a verb of saying, on the speaker's side of it; or the sentence
    opens by pointing back (_REFERS_BACK) and says, and the sentence ``text[before[0]:before[1]]``
    just before it names the speaker. A sentence that names the speaker only as what others speak of
    ("… that Damascus will eventually regain control", "Damascus has been accused of …") is not voiced."""
    sentence = text[start:end]
    starts, at = _word_hits(sentence, names)
    says = [bisect.bisect_left(starts, m.start()) for m in _VOICES.finditer(sentence)  # a verb's word position
            if not _PASSIVE.search(sentence, max(0, m.start() - 40), m.start())]
    if any(0 < j - i <= VOICE_WINDOW[0] or 0 < i - j <= VOICE_WINDOW[1] for i in at for j in says):
        return True
    return (bool(says) and before is not None and _REFERS_BACK.match(sentence) is not None
            and bool(_word_hits(text[before[0]:before[1]], names)[1]))


def _missing(snap: Snapshot, found: Retrieval, kind: str = questions.DESCRIPTION) -> float:
    """The share of the names and numbers the question itself uses (capitalised words past its
    first, figures) that none of the top passages nor their titles holds: a question about someone
    or something the articles never name is not answered by them, however close the rest comes. For
    what a named speaker said, all of it is missing unless a passage reports that speaker speaking: an
    article that names Putin without quoting him does not say what Putin said."""
    question = found.query.texts[0]
    named = {t for m in _NAMED.finditer(question) for t in tokenize(m.group())}
    if not named:
        return 0.0
    held: set[str] = set()
    voiced = speaker(question) & named if kind == questions.SAID else set()
    quoted = False
    for ci in found.order[:TOP_PASSAGES]:
        chunk = snap.chunks[ci]
        held.update(_terms(snap.documents[chunk.path].title or ""), _terms(chunk.text))
        quoted = quoted or (bool(voiced) and _attributed(chunk.text, voiced))
    if voiced and not quoted:
        return 1.0  # what the question asks for, the speaker's words, is missing whatever else is held
    return len(named - held) / len(named)


def _new_to(text: str, start: int, end: int, asked: set[str]) -> bool:
    """Whether an expression says something the question does not already say."""
    words = _terms(text[start:end])
    return not words or any(w not in asked for w in words)


# What a number counts when a name stands between them ("Several NATO *countries*", "two US *officials*").
_COUNTS_NAMED = re.compile(r"[\s\u00a0]+(?:[A-Z][\w.&’'-]*[\s\u00a0]+){1,2}([a-z][a-z’'-]*s)\b")


def _answers(text: str, x: questions.Expression, kind: str, asked: set[str]) -> bool:
    """Whether the expression ``x`` can answer a question of ``kind`` with the terms ``asked``: it says
    something the question does not, and a number does not count a thing the question does not name
    ("Several NATO countries have discussed … evacuating the White Helmets" does not say how many
    White Helmets; "hundreds of members" is not touched: the thing counted follows no name)."""
    if not _new_to(text, x.start, x.end, asked):
        return False
    if kind == questions.NUMBER and (m := _COUNTS_NAMED.match(text, x.end)) is not None:
        return _term(m.group(1)) in asked
    return True


_WORD = re.compile(r"[\w’'-]+")
_CLAUSE = re.compile(r"[;:()\[\]–—]")  # marks that end a run of new words


def new_words(text: str, start: int, end: int, asked: set[str]) -> tuple[int, int] | None:
    """The longest run of ``text[start:end]`` that says what the question does not: consecutive
    words none of which is one of the question's terms, between its own words or clause marks
    (";", ":", parentheses, dashes), trimmed to start and end on a content word; None when no run
    holds two content words. What a description question asks for is what the sentence adds."""
    best: tuple[int, int, int] | None = None  # (content words, start, end)
    run: list[tuple[int, int, bool]] = []

    def close() -> None:
        nonlocal best, run
        while run and not run[-1][2]:
            run.pop()
        while run and not run[0][2]:
            run.pop(0)
        content = sum(1 for _, _, c in run if c)
        if content >= 2 and (best is None or content > best[0]):
            best = (content, run[0][0], run[-1][1])
        run = []

    pos = start
    for m in _WORD.finditer(text, start, end):
        if _CLAUSE.search(text, pos, m.start()):
            close()
        pos = m.end()
        terms = tokenize(m.group())
        if terms and any(t in asked for t in terms):
            close()
            continue
        run.append((m.start(), m.end(), bool(terms)))
    close()
    return (best[1], best[2]) if best else None


# What lies between a name and the person's name it qualifies: one lower-case word ("officer").
_TITLED = re.compile(r"[\s\u00a0]+[a-z][a-z-]*[\s\u00a0]+")
# The prepositions that name a place just after them: where something is, where it goes, where it comes from.
_AT, _TO, _FROM = r"in|at|near|across|inside|outside|throughout", r"to|into|onto|towards?|including", r"from|out\s+of|off"


def _before_place(prepositions: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{prepositions})[\s\u00a0]+(?:the[\s\u00a0]+)?$", re.IGNORECASE)


_AT_PLACE = _before_place(_AT)
# By the way a place question asks (questions.direction): any, "to", "from".
_PLACE_AFTER = {None: _before_place(f"{_AT}|{_TO}|{_FROM}|via|through"), "to": _before_place(_TO),
                "from": _before_place(_FROM)}


def answer_phrase(text: str, start: int, end: int, kind: str, asked: set[str],
                  toward: str | None = None) -> tuple[int, int] | None:
    """The span inside ``text[start:end]`` that answers a question of ``kind``: the expression of
    that type nearest the question's own words; for a description, reason or what-was-said, what
    the sentence adds to the question (``new_words``); None where no phrase can be singled out.
    ``toward`` ("to", "from": ``questions.direction``) says which way a place question asks."""
    found = [x for x in questions.expressions(text, start, end, kind) if _answers(text, x, kind, asked)]
    if kind in (questions.DESCRIPTION, questions.REASON, questions.SAID):  # descriptions have no typed expressions
        return (found[0].start, found[0].end) if found else new_words(text, start, end, asked)
    if not found:
        return None
    if kind == questions.PERSON:
        # "former British Army officer James Le Mesurier": a name that qualifies the title before
        # the person's name is not the person.
        found = [x for i, x in enumerate(found)
                 if not (i + 1 < len(found) and _TITLED.fullmatch(text, x.end, found[i + 1].start))] or found
        # "founded in Turkey by …": a name after a preposition of place is where, not who.
        found = [x for x in found if not _AT_PLACE.search(text, max(start, x.start - 16), x.start)] or found
    elif kind == questions.PLACE:
        # "… members of the NGO out of Syria to neighboring countries …": a place is mostly named after
        # a preposition of place or direction; a name that follows none is more often someone or something.
        def after(x: questions.Expression, way: str | None) -> bool:
            return bool(_PLACE_AFTER[way].search(text, max(start, x.start - 24), x.start))

        if toward is None:
            found = [x for x in found if after(x, None)] or found
        else:  # a place the other way ("from Syria" for "where to?") does not answer
            found = ([x for x in found if after(x, toward)]
                     or [x for x in found if not after(x, "from" if toward == "to" else "to")])
            if not found:
                return None
    anchors = [m.start() + start for m in re.finditer(r"\w+", text[start:end])
               if _term(m.group()) in asked]
    if not anchors:
        best = found[0]
    else:
        best = min(found, key=lambda x: min(abs(a - x.start) if a < x.start else abs(a - x.end) for a in anchors))
    return best.start, best.end


# A sentence that opens by pointing back at the one before it ("This suggests …", "These include …").
LEANS_BACK = re.compile(r"[\s\u00a0“\"'(]*(?:This|These|That|Those|Such|Thus|Hence|Therefore|It|They|Both|Each|"
                        r"The\s+(?:former|latter|same))\b")
# A sentence that announces what the next one says ("… have a number of advantages.", "… criteria:").
LEANS_AHEAD = re.compile(r":[\s\u00a0]*$|\b(?:a\s+number\s+of|several|various|numerous|multiple|a\s+few|a\s+variety\s+of|"
                         r"the\s+following|as\s+follows|two|three|four|five)\s+(?:\w+\s+){0,2}?(?:[a-z]+(?:s|ia|ena))\b(?:[\s\u00a0]+[\w-]+){0,8}[\s\u00a0]*[.:]?[\s\u00a0]*$",
                         re.IGNORECASE)


def leans_back(text: str, start: int, end: int, params: AnswerParams = DEFAULT) -> bool:
    """Whether the sentence ``text[start:end]`` needs the one before it to be understood."""
    return params.lean_back and LEANS_BACK.match(text, start, end) is not None


def announces(text: str, start: int, end: int, params: AnswerParams = DEFAULT) -> bool:
    """Whether the sentence ``text[start:end]`` announces what the sentences after it say."""
    return params.lean_ahead and LEANS_AHEAD.search(text, start, end) is not None


def leans_ahead(text: str, start: int, end: int, asked: set[str], params: AnswerParams = DEFAULT) -> bool:
    """Whether the sentence ``text[start:end]`` leaves its answer to the one after it: it announces
    it, or it says little the question (terms ``asked``) does not."""
    if announces(text, start, end, params):
        return True
    return sum(1 for t in _terms(text[start:end]) if t not in asked) < params.lean_novel


def _paragraph_break(gap: str) -> bool:
    """Whether the text between two sentences ends a paragraph (a blank line): a quote does not grow across it."""
    return gap.count("\n") + gap.count("\r") >= 2


# The quotation marks of a sentence: the first tells whether it opens inside a quotation.
_QUOTE_MARK = re.compile(r"[“”\"]")
QUOTATION_SENTENCES = 4  # how many sentences back a quotation is followed to where it opens


def _first_mark(text: str, start: int, end: int) -> str | None:
    """"open" or "close": what the first quotation mark of ``text[start:end]`` does; None without one.
    A straight mark closes when it follows a word or punctuation ('… too late," he said')."""
    m = _QUOTE_MARK.search(text, start, end)
    if m is None:
        return None
    if m.group() != '"':
        return "open" if m.group() == "“" else "close"
    return "close" if m.start() > start and not text[m.start() - 1].isspace() else "open"


def quotation_start(text: str, spans: list[tuple[int, int]], i: int) -> int | None:
    """Where the quotation that sentence ``spans[i]`` closes opens: the start of the sentence before
    it that opens one (up to QUOTATION_SENTENCES back, within the paragraph), so that a quote
    of someone's words holds all of them ('"These are hard hours …. I hope they rescue us before it
    is too late," the member said.'); None where the sentence does not close an earlier quotation."""
    if _first_mark(text, *spans[i]) != "close":
        return None
    for j in range(i - 1, max(-1, i - 1 - QUOTATION_SENTENCES), -1):
        gap = text[spans[j][1]:spans[j + 1][0]]
        if _paragraph_break(gap):
            return None
        mark = _first_mark(text, *spans[j])
        if mark == "open":
            return spans[j][0]
        if mark == "close":
            return None
    return None


def extend(snap: Snapshot, c: Candidate, scores: dict[tuple[str, int, int], float],
           params: AnswerParams = DEFAULT, asked: set[str] = frozenset(), kind: str = questions.DESCRIPTION) -> tuple[int, int]:
    """The span of ``c``, grown by the sentence before and after where those are strong too, or
    where ``c`` leans on them (``leans_back``, ``leans_ahead``; ``asked``: the question's terms), or
    where they name what a question of ``kind`` asks for and ``c`` does not; a sentence that announces
    a list (``announces``) takes up to ``params.announced`` sentences after it, within its paragraph."""
    chunk = snap.chunks[c.chunk]
    text = snap.documents[chunk.path].text
    spans = list(chunk.sentences)
    i = spans.index((c.start, c.end))
    start, end = c.start, c.end
    # A sentence that ends a quotation opened before it brings the rest of the quotation.
    opened = quotation_start(text, spans, i)
    start = start if opened is None else opened
    for j in (i - 1, i + 1):
        if 0 <= j < len(spans):
            s, e = spans[j]
            gap = text[min(end, e):max(start, s)]  # the text between the two sentences
            if (params.lean_typed and kind in SPECIFIC and not c.typed
                    and any(_answers(text, x, kind, asked) for x in questions.expressions(text, s, e, kind))):
                start, end = min(start, s), max(end, e)
                continue
            if _paragraph_break(gap):
                continue
            leans = leans_back(text, c.start, c.end, params) if j < i else leans_ahead(text, c.start, c.end, asked, params)
            if leans or scores.get((chunk.path, s, e), 0.0) >= params.neighbour_ratio * c.score:
                start, end = min(start, s), max(end, e)
    if announces(text, c.start, c.end, params):
        for j in range(i + 1, min(len(spans), i + 1 + params.announced)):
            gap = text[spans[j - 1][1]:spans[j][0]]
            if _paragraph_break(gap):
                break
            end = max(end, spans[j][1])
    return start, end


def read(snap: Snapshot, question: str, cands: list[Candidate], reader: Reader, params: AnswerParams = DEFAULT
         ) -> list[Candidate]:
    """``cands`` re-scored with the reader's probability for the best ``params.read_top`` (the rest get
    the lowest of those), best first. Support is unchanged: "read" is choice-only."""
    top = cands[:params.read_top]
    if not top:
        return cands
    probs = reader.score(question, [snap.documents[snap.chunks[c.chunk].path].text[c.start:c.end] for c in top])
    low = float(probs.min())
    out = []
    for i, c in enumerate(cands):
        p = float(probs[i]) if i < len(top) else low
        out.append(_scored(c.chunk, c.start, c.end, c.features[:READ] + (p,) + c.features[READ + 1:], params))
    return sorted(out, key=lambda c: -c.score)


def undecided(cands: list[Candidate], params: AnswerParams = DEFAULT) -> bool:
    """Whether the best two of ``cands`` (best first) score within ``params.read_margin`` of each other."""
    return len(cands) > 1 and cands[0].score - cands[1].score < params.read_margin


def answerable(c: Candidate, params: AnswerParams = DEFAULT) -> float:
    """P(the articles answer), from a sentence's features and support (a logistic model)."""
    z = params.refusal_bias + sum(w * f for w, f in zip(params.refusal_coef, (*c.features, c.support)))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def is_evidence(c: Candidate, params: AnswerParams = DEFAULT) -> bool:
    """Strong enough to answer."""
    return answerable(c, params) >= params.refusal_threshold


def answer(snap: Snapshot, question: str, found: Retrieval, *, kind: str | None = None,
           params: AnswerParams = DEFAULT, reader: Reader | None = None) -> Answer:
    """The reply to ``question`` from what retrieval ``found``: quotes, or a refusal with related reading."""
    kind = kind or questions.answer_type(question)
    # The answer comes from the best passages by retrieval alone (a wider pool lets in sentences that
    # merely sound alike); the passages offered as reading are re-ranked by their best sentence.
    pool = candidates(snap, found, kind, params, head=retrieval.HEAD)
    top = {int(ci) for ci in found.order[:TOP_PASSAGES]}
    cands = [c for c in pool if c.chunk in top]
    passages = rerank(snap, found, kind, params, pool).passages(snap, RELATED_PASSAGES)
    # Whether the articles answer is judged on the best-supported sentence; the best-scored one is quoted.
    if not cands or not is_evidence(max(cands, key=lambda c: c.support), params):
        return Answer(question, REFUSAL + (" The closest passages are listed as related reading, not as an answer."
                                           if passages else ""), False, [], passages, generation=snap.name)
    # The reader only chooses among what retrieval and the features found, and only for a question that
    # stands alone: it cannot tell what a follow-up's "it" is, and read after the earlier question it
    # judges answers to that one (seed_dev: "And how did Damascus react to that decision?" after the
    # question on the money quoted the money).
    reads = reader is not None and len(found.query.texts) == 1 and undecided(cands, params)
    if reads:
        cands = read(snap, question, cands, reader, params)
    best = cands[0]
    chosen = [best]
    paths = {snap.chunks[best.chunk].path}
    for c in cands[1:]:
        if len(chosen) >= MAX_CITATIONS:
            break
        path = snap.chunks[c.chunk].path
        if (path not in paths and c.score >= params.other_source_ratio * best.score
                and answerable(c, params) >= params.other_source_threshold
                and (not reads or c.features[READ] >= params.other_source_read * best.features[READ])):
            chosen.append(c)
            paths.add(path)
    scores = {(snap.chunks[x.chunk].path, x.start, x.end): x.score for x in cands}
    asked = set(found.query.terms)
    toward = questions.direction(question)
    citations = []
    for c in chosen:
        path = snap.chunks[c.chunk].path
        doc = snap.documents[path]
        start, end = extend(snap, c, scores, params, asked, kind)
        # The phrase comes from the chosen sentence where it holds one; its neighbours are context, read
        # only where the quote grew by them.
        phrase = None
        if kind != questions.YESNO:
            phrase = answer_phrase(doc.text, c.start, c.end, kind, asked, toward)
            if phrase is None and (start, end) != (c.start, c.end):
                phrase = answer_phrase(doc.text, start, end, kind, asked, toward)
        citations.append(Citation(path, start, end, doc.text[start:end], doc.title, doc.source, doc.date,
                                  *(phrase or (None, None))))
    return Answer(question, reply(citations), True, citations, passages, generation=snap.name)


def reply(citations: list[Citation], markers: list[int] | None = None) -> str:
    """The reply's text: each quote attributed, with its marker (1, 2, … unless ``markers`` says)."""
    markers = markers or list(range(1, len(citations) + 1))
    return "\n\n".join(f"{attribution(c.source, c.date, c.title, c.path)}, “{_display(c.quote)}” [{n}]"
                        for n, c in zip(markers, citations))


def combine(question: str, interpreted: str, parts: list[tuple[str, Answer]], generation: str) -> Answer:
    """One reply to a multi-part question: each part answered in turn, with its own quotes and
    markers; a part the articles do not answer is said to be unanswered."""
    citations: list[Citation] = []
    # A quote that answers two parts with the same phrase keeps one marker; with another phrase ("James
    # Le Mesurier" for who, "in 2014" for when) it is cited again, so that each part shows its answer.
    marker: dict[tuple[str, int, int, int | None, int | None], int] = {}
    passages = []
    texts = []
    for part, a in parts:
        if a.found:
            numbers = []
            for c in a.citations:
                key = (c.path, c.start, c.end, c.answer_start, c.answer_end)
                if key not in marker:
                    citations.append(c)
                    marker[key] = len(citations)
                numbers.append(marker[key])
            texts.append(f"{part}\n{reply(a.citations, numbers)}")
        else:
            texts.append(f"{part}\nThe articles do not answer this part.")
        passages += [p for p in a.passages if p not in passages]
    found = bool(citations)
    text = "\n\n".join(texts) if found else REFUSAL + (
        " The closest passages are listed as related reading, not as an answer." if passages else "")
    return Answer(question, text, found, citations, passages[:RELATED_PASSAGES], interpreted=interpreted,
                  generation=generation)
