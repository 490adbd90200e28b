"""What a question asks for: its expected answer type, its parts, and the expressions in a
sentence that could answer it (spans of numbers, money, dates, names …), from wording alone.

Precise patterns rather than a statistical tagger: no spaCy pipeline with weights that can be
shown to be an official release installs from PyPI, and patterns are fast and predictable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Expected answer types.
NUMBER, MONEY, PERCENT, DATE, PERSON, ORG, PLACE, NAME = "number", "money", "percent", "date", "person", "org", "place", "name"
REASON, YESNO, SAID, DESCRIPTION = "reason", "yes/no", "said", "description"
TYPES = (NUMBER, MONEY, PERCENT, DATE, PERSON, ORG, PLACE, NAME, REASON, YESNO, SAID, DESCRIPTION)

_I = re.IGNORECASE
_ORG_WORDS = (r"company|firm|team|club|group|organi[sz]ation|agency|outlet|newspaper|network|channel|party|"
              r"bank|brand|airline|university|school|court|department|ministry|government|band|league|union|"
              r"website|app|platform|retailer|carmaker|automaker|manufacturer|broadcaster|publication|magazine|"
              r"studio|network|charity|institution|coalition|alliance|body|committee|council|army|force")
_PLACE_WORDS = (r"country|countries|city|cities|state|states|province|governorate|region|town|village|capital|"
                r"island|nation|area|county|district|continent|port|territory|neighbo(u)?rhood|location|venue|"
                r"airport|river|sea|lake|mountain|park|site")
_PERSON_WORDS = (r"person|people|man|woman|player|actor|actress|singer|musician|politician|leader|official|minister|"
                 r"president|officer|founder|figure|billionaire|ceo|author|writer|artist|star|celebrity|athlete|"
                 r"coach|judge|senator|lawmaker|member|journalist|reporter|director|chef|rapper|comedian|king|queen|"
                 r"prince|princess|pope|governor|mayor|spokes(wo)?man|scientist|doctor|host|presenter|quarterback")

_TYPE_RULES: list[tuple[str, re.Pattern[str]]] = [
    (PERCENT, re.compile(r"\b(what|which)\s+(percentage|percent|share|proportion|fraction)\b|\bhow\s+many\s+percent|"
                         r"\bby\s+how\s+much\b.*\b(rise|fall|grow|drop|increase|decrease)", _I)),
    (MONEY, re.compile(r"\bhow\s+much\s+(money|cash|funding|aid|did\s+\w+\s+(cost|pay|spend|earn|raise|give|release|"
                       r"receive|fine|sell|buy|owe)|does\s+\w+\s+cost|is\s+\w+\s+worth)|\b(what|which)\s+(sum|amount|price|"
                       r"fine|salary|budget|cost|fee|funding|figure)\b|\bhow\s+much\b.*\b(cost|pay|paid|spend|spent|worth|"
                       r"fund|funds|funding|money|dollars|euros|pounds|release|released|give|gave|raise|raised|offer|"
                       r"offered|fine|fined|price)\b", _I)),
    (DATE, re.compile(r"^\s*when\b|\b(what|which)\s+(year|date|day|month|decade|century|time)\b|\bin\s+what\s+year\b|"
                      r"\bsince\s+when\b|\bhow\s+long\s+ago\b", _I)),
    (NUMBER, re.compile(r"\bhow\s+(many|much|long|old|far|big|large|tall|high|often|fast|deep|heavy)\b|"
                        r"\b(what|which)\s+(number|age|size|total|quantity|rate|score|speed|distance|temperature|"
                        r"magnitude)\b|\bwhat\s+(is|was|are|were)\s+the\s+(\w+\s+){0,2}(size|number|length|age|height|weight|"
                        r"population|rate|ratio|duration|count|total|speed|distance|temperature|dose|frequency|"
                        r"incidence|prevalence|mortality|diameter|width|depth|capacity|magnitude)\s+of\b|"
                        r"\bwhat\s+(is|was|are|were)\s+(\w+\s+){0,2}the\s+(\w+\s+)?(age|number|population|rate)\b", _I)),
    (REASON, re.compile(r"^\s*(and\s+)?why\b|\bfor\s+what\s+reason\b|\bwhat\s+(caused|prompted|led\s+to|was\s+the\s+reason|"
                        r"is\s+the\s+reason|drove|motivated)\b|\bhow\s+come\b", _I)),
    (SAID, re.compile(r"\bwhat\s+(did|does|do|has|have|had)\b.*\b(say|said|tell|told|claim|claimed|report|reported|"
                      r"announce|announced|warn|warned|write|wrote|call|called|describe|described|state|stated)\b|"
                      r"\bhow\s+did\b.*\b(react|respond|describe|reply)\b", _I)),
    (PLACE, re.compile(r"^\s*(and\s+)?where\b|\b(which|what)\s+(\w+\s+)?(" + _PLACE_WORDS + r")\b|\bwhere\s+(to|from)\b", _I)),
    (ORG, re.compile(r"\b(which|what)\s+(\w+\s+)?(" + _ORG_WORDS + r")\b", _I)),
    (PERSON, re.compile(r"^\s*(and\s+)?(who|whom|whose)\b|\b(which|what)\s+(\w+\s+)?(" + _PERSON_WORDS + r")\b|"
                        r"\bby\s+whom\b|\bby\s+who\b|\bwho\b", _I)),
    (NAME, re.compile(r"\bwhich\s+(?!(is|are|was|were|of)\b)\w+|\bwhat\s+(?!(is|are|was|were|does|do|did|has|have|had|"
                      r"can|could|will|would|should|happened|happens|about|if)\b)[a-z]+\s+(is|are|was|were|did|does|do|has|have)\b", _I)),
    (YESNO, re.compile(r"^\s*(and\s+)?(is|are|was|were|did|does|do|has|have|had|can|could|will|would|should|may|might)\b", _I)),
]


# Quiz wording: the question word at the end ("… launched from where?", "… will lapse when?"), a
# blank named by its kind ("… held talks with this leader:", "Which of these musicians …").
_THIS = r"\b(?:this|which\s+of\s+(?:these|the|those))\s+(?:[\w’'-]+\s+){0,2}?"
_QUIZ_RULES: list[tuple[str, re.Pattern[str]]] = [
    (PLACE, re.compile(r"\bwhere\s*\?\s*$", _I)),
    (DATE, re.compile(r"\bwhen\s*\?\s*$", _I)),
    (YESNO, re.compile(r"\btrue\s+or\s+false\b", _I)),
    (PERSON, re.compile(_THIS + r"(?:" + _PERSON_WORDS + r"|champion|musicians?|singers?|players?|leaders?)\b", _I)),
    (ORG, re.compile(_THIS + r"(?:" + _ORG_WORDS + r"|opponent|rival|companies|teams)\b", _I)),
    (PLACE, re.compile(_THIS + r"(?:" + _PLACE_WORDS + r")\b", _I)),
    (NAME, re.compile(r"\bwhich\s+of\s+(?:these|the|those)\s+\w+", _I)),
]
# Where a quiz item's lead ends and its question begins ("… this week. Which team …?").
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z“‘\"'])")


def _type_of(text: str) -> str:
    for kind, pattern in _TYPE_RULES:
        if pattern.search(text):
            return kind
    for kind, pattern in _QUIZ_RULES:
        if pattern.search(text):
            return kind
    return DESCRIPTION


def answer_type(question: str) -> str:
    """The kind of answer ``question`` wants, from its wording (DESCRIPTION when nothing more
    specific fits). A question led by a statement ("X happened this week. Where …?") is typed by
    its last sentence first."""
    q = " ".join(question.split())
    last = _SENTENCE_BREAK.split(q)[-1]
    kind = _type_of(last)
    return kind if kind != DESCRIPTION or last == q else _type_of(q)


_DIRECTION = re.compile(r"\bwhere\s+(to|from)\b|^where\b.*\b(to|from)\s*\?\s*$", _I)


def direction(question: str) -> str | None:
    """"to" for a question that asks where something goes ("Where to?", "Where were they moved to?"),
    "from" for one that asks where it comes from; None otherwise ("Which country did it belong to?")."""
    m = _DIRECTION.search(" ".join(question.split()))
    return (m.group(1) or m.group(2)).lower() if m else None


# Phrases that only mark tense or mood ("are *going to* be evacuated", "*had to* leave"): their words
# say nothing an answer must repeat.
_AUXILIARY = re.compile(r"\b(?:going|about|have|has|had|used|able|supposed|due)\s+to\b(?=\s+[a-z])", _I)


# "What happened in Douma?": the verb only asks for an event; the answer names what happened, not "happened".
_EVENT = re.compile(r"\b(what|which|anything|something)\s+(?:(?:has|have|had|will|would|is|was|might|could)\s+)?"
                    r"(?:happen(?:ed|s|ing)?|occur(?:red|s|ring)?|took\s+place|take\s+place|went\s+on|going\s+on)\b", _I)


def without_auxiliaries(question: str) -> str:
    """``question`` without the phrases that only mark tense or mood (_AUXILIARY), or only ask for an
    event (_EVENT)."""
    return _EVENT.sub(r"\1", _AUXILIARY.sub(" ", question))


_FOCUS = re.compile(r"\b(?i:how)\s+(?:many|much)\s+([a-z][a-z-]*)|\b(?i:what|which)\s+([a-z][a-z-]*)")
_NOT_FOCUS = {"is", "are", "was", "were", "be", "been", "do", "does", "did", "has", "have", "had", "can", "could",
              "will", "would", "should", "may", "might", "must", "shall", "happened", "happens", "happen", "about",
              "if", "the", "a", "an", "of", "to", "in", "on", "for", "more", "else", "other", "kind", "sort",
              "type", "exactly"}


def focus(question: str) -> str | None:
    """The word that names what is asked for ("How many *people* …", "Which *country* …", "What
    *year* …"), or None. An answer names it beside the answer itself ("9,600 people"), so being near
    it says nothing of whether the sentence answers."""
    m = _FOCUS.search(" ".join(question.split()))
    if not m:
        return None
    word = m.group(1) or m.group(2)
    return None if word in _NOT_FOCUS else word


# The nouns that name an answer type itself: any expression of the type is one ("How much *money* …" is
# answered by "$6.6 million", "What *year* …" by "in 2014"), unlike a counted noun ("How many *people*"),
# which an answer names beside its number. Not a percentage: scientific text is full of them that answer
# nothing ("95% CI"), and the word itself ("proportion") marks the sentence that does (COVID-QA dev
# lost two answers with "percentage", "proportion" here).
CLASS_NOUNS: dict[str, frozenset[str]] = {
    MONEY: frozenset({"money", "sum", "amount", "funding", "cash"}),
    DATE: frozenset({"year", "date", "day", "month", "time", "decade", "century"}),
    PLACE: frozenset({"country", "city", "place", "state", "town", "region", "location", "nation", "province"}),
}


def stands_for(question: str, kind: str) -> str | None:
    """The question's focus word where it names its answer type itself (CLASS_NOUNS), else None."""
    word = focus(question)
    return word if word is not None and word.lower() in CLASS_NOUNS.get(kind, ()) else None


# -- multi-part questions --------------------------------------------------------------------------

_WH = r"(?:who|whom|whose|what|which|when|where|why|how)"
_SPLIT = re.compile(r"\s*(?:,\s*and|\band|;|,)\s+(?=" + _WH + r"\b)", _I)


def parts(question: str) -> list[str]:
    """The separate questions of a multi-part question ("How many … and where to?" → two), each
    standalone; a single question is returned as it is."""
    q = question.strip()
    pieces = [p.strip(" ,;") for p in _SPLIT.split(q) if p and p.strip(" ,;")]
    if len(pieces) < 2 or not re.match(_WH, pieces[0], _I):
        return [q]
    first = pieces[0].rstrip("?").strip()
    out = [first + "?"]
    subject = _subject(first)
    named = _named_subject(first)
    for p in pieces[1:]:
        p = p.rstrip("?").strip()
        words = p.split()
        # "where to" / "when" alone lean on the first part: carry its subject over, in a question's
        # order ("Where were White Helmets evacuated to?").
        if len(words) <= 3 and subject and all(w.lower() in _PARTICLES for w in words[1:]):
            p = _carry(words, subject, present=re.match(r"who\b", first, _I) is not None)
        elif named:
            # "Where was the NATO summit and when was it held?": "it" is what the first part names.
            pronoun = "it" if named.group(1).lower() in ("is", "was") else "they"
            p = re.sub(rf"^(\w+\s+(?:is|are|was|were|will|did|does|do|has|have|had)\s+){pronoun}\b",
                       lambda m: m.group(1) + named.group(2), p, count=1, flags=_I)
        out.append(p[0].upper() + p[1:] + "?")
    return out


# What may follow the question word of a part that leans on the first part's subject ("where to", "when
# exactly"); a part with a verb of its own ("who funds them") asks its own question.
_PARTICLES = {"to", "from", "exactly", "precisely", "else", "then", "now", "again", "so"}
# A first part that names its subject after a copula ("Where was *the NATO summit*", "What are *the
# White Helmets*"): a later part's "it" / "they" is that subject.
_COPULA = re.compile(r"(?:where|when|what|which|who)\s+(is|are|was|were)\s+((?:the\s+)?[A-Z][^,;]*|the\s+[^,;]+)$", _I)


def _named_subject(first: str) -> re.Match[str] | None:
    """The copula and the subject of a first part that only names something ("Where was the NATO
    summit"), or None: a subject of more than four words, or one followed by a verb ("Where are the
    White Helmets being evacuated from"), may not be what a later "they" means."""
    m = _COPULA.match(first)
    words = m.group(2).split() if m else []
    if not m or len(words) > 4 or any(w.lower().endswith(("ing", "ed")) or w.lower() in _PARTICLES for w in words):
        return None
    return m


_AUX = re.compile(r"(?:(.+?)\s+)?(is|are|was|were|will|would|can|could|has|have|had|do|does|did|should|may|might|must)"
                  r"\s+(.+)$", _I)


# Common irregular verbs: base, past, participle. A short second part takes the participle, after the
# past ("Who wrote the report and when?" → "When was the report written?") or, after "who", the present
# ("Who runs the camp and where?" → "Where is the camp run?"); a regular verb's is its past ("founded").
_IRREGULAR_VERBS = [tuple(w.split(":")) for w in (
    "write:wrote:written take:took:taken give:gave:given begin:began:begun make:made:made build:built:built "
    "find:found:found hold:held:held lead:led:led win:won:won send:sent:sent sell:sold:sold buy:bought:bought "
    "shoot:shot:shot strike:struck:struck steal:stole:stolen break:broke:broken choose:chose:chosen draw:drew:drawn "
    "drive:drove:driven fight:fought:fought bring:brought:brought catch:caught:caught teach:taught:taught "
    "tell:told:told say:said:said pay:paid:paid spend:spent:spent lose:lost:lost meet:met:met run:ran:run "
    "see:saw:seen know:knew:known throw:threw:thrown hide:hid:hidden forget:forgot:forgotten ride:rode:ridden "
    "sink:sank:sunk sing:sang:sung swear:swore:sworn tear:tore:torn wear:wore:worn freeze:froze:frozen "
    "bite:bit:bitten shake:shook:shaken wake:woke:woken fly:flew:flown grow:grew:grown hang:hung:hung "
    "keep:kept:kept seek:sought:sought speak:spoke:spoken stand:stood:stood understand:understood:understood "
    "withdraw:withdrew:withdrawn").split()]
_PARTICIPLE = {past: participle for _, past, participle in _IRREGULAR_VERBS}
_BASE_PARTICIPLE = {base: participle for base, _, participle in _IRREGULAR_VERBS}
# An object pronoun becomes the subject of the passive ("Who founded them and when?" → "When were
# they founded?").
_SUBJECT_PRONOUN = {"them": "they", "him": "he", "her": "she", "us": "we", "me": "I"}


def _participle_of_present(verb: str) -> str | None:
    """The participle of a third-person present ("runs" → "run", "funds" → "funded", "carries" →
    "carried"), or None where ``verb`` does not read as one."""
    if not re.fullmatch(r"[a-z]{2,}[^su]s", verb):
        return None
    if verb.endswith("ies"):
        base = verb[:-3] + "y"
    elif re.search(r"(?:ch|sh|x|z|o)es$", verb):
        base = verb[:-2]
    else:
        base = verb[:-1]
    if base in _BASE_PARTICIPLE:
        return _BASE_PARTICIPLE[base]
    if base.endswith("e"):
        return base + "d"
    if re.search(r"[^aeiou]y$", base):
        return base[:-1] + "ied"
    if re.fullmatch(r"[^aeiou]*[aeiou][bdglmnprt]", base):  # one short syllable: "plans" → "planned"
        return base + base[-1] + "ed"
    return base + "ed"


def _carry(words: list[str], subject: str, *, present: bool = False) -> str:
    """A short part ("where to", "when") with the first part's subject: the auxiliary before the
    subject, a trailing preposition last; a subject with no auxiliary follows as it is. With
    ``present`` (the first part asks "who"), a verb in the present turns passive too."""
    asking = [w for w in words if w.lower() not in ("to", "from")]
    moved = [w for w in words if w.lower() in ("to", "from")]
    m = _AUX.match(subject)
    if m:
        return " ".join(asking + [m.group(2)] + ([m.group(1)] if m.group(1) else []) + [m.group(3)] + moved)
    verb, *rest = subject.split()
    rest = [_SUBJECT_PRONOUN.get(w.lower(), w) for w in rest[:1]] + rest[1:]
    plural = bool(rest) and (re.search(r"[^s]s$", rest[-1]) is not None or rest[-1] in ("they", "we"))
    if rest and (re.fullmatch(r"[a-z]+ed", verb) or verb in _PARTICIPLE):
        # "Who founded the White Helmets" + "when": "When were the White Helmets founded?".
        return " ".join(asking + ["were" if plural else "was", *rest, _PARTICIPLE.get(verb, verb)] + moved)
    participle = _participle_of_present(verb) if present and rest else None
    if participle:
        # "Who runs the camp" + "where": "Where is the camp run?".
        return " ".join(asking + ["are" if plural else "is", *rest, participle] + moved)
    return " ".join(words + [subject])


def _subject(question: str) -> str:
    """What a question is about, after its question word and verb: "How many White Helmets were
    evacuated" → "White Helmets were evacuated"."""
    m = re.match(r"(?:how\s+(?:many|much)|who|whom|what|which|when|where|why|how)\s+(.*)$", question, _I)
    return m.group(1).strip() if m else ""


# -- expressions of a type inside a sentence -----------------------------------------------------

_NUM = r"(?:\d{1,3}(?:[,\u00a0 ]\d{3})+|\d+)(?:[.,]\d+)?"
_SCALE = r"(?:[\s\u00a0]*(?:million|billion|trillion|thousand|hundred|mn|bn|m|b|k)\b)"
_NUM_WORDS = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
              r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|a\s+dozen|dozens|"
              r"scores|hundreds|thousands|tens\s+of\s+thousands|millions|billions|a\s+hundred|a\s+thousand|"
              r"a\s+million|several|dozen|half)")
_CURRENCY = r"(?:US\$|C\$|A\$|\$|€|£|¥|₽|USD|EUR|GBP|RUB)"
_CURRENCY_WORDS = r"(?:dollars?|euros?|pounds?(?:\s+sterling)?|rubles?|roubles?|yuan|yen|francs?|rupees?|pesos?)"
_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)")
_S = r"[\s\u00a0]+"

_PATTERNS: dict[str, re.Pattern[str]] = {
    MONEY: re.compile(rf"{_CURRENCY}[\s\u00a0]?{_NUM}{_SCALE}?|{_NUM}{_SCALE}?{_S}(?:US{_S})?{_CURRENCY_WORDS}|"
                      rf"{_NUM}{_SCALE}?[\s\u00a0]?(?:USD|EUR|GBP|RUB)\b", _I),
    PERCENT: re.compile(rf"{_NUM}[\s\u00a0]?(?:%|percent\b|per{_S}cent\b|percentage{_S}points?\b)", _I),
    DATE: re.compile(
        rf"\b(?:(?:on{_S})?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)(?:,?{_S}{_MONTH}{_S}\d{{1,2}})?|"
        rf"\d{{1,2}}(?:st|nd|rd|th)?{_S}(?:of{_S})?{_MONTH}(?:,?{_S}\d{{4}})?|"
        rf"{_MONTH}{_S}\d{{1,2}}(?:st|nd|rd|th)?(?:,?{_S}\d{{4}})?|{_MONTH}{_S}\d{{4}}|"
        rf"(?:early|mid|late){_S}(?:-{_S}?)?\d{{4}}|"
        rf"(?:in|since|by|until|from|during){_S}(?:the{_S})?(?:early{_S}|late{_S})?(?:1[5-9]|20)\d{{2}}s?|"
        rf"(?:(?:later|earlier){_S})?(?:in|since|by|until|from|during){_S}(?:early{_S}|mid-?|late{_S})?"
        rf"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
        rf"(?:{_S}\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?{_S}\d{{4}})?|"
        rf"(?:1[5-9]|20)\d{{2}}-\d{{2}}-\d{{2}}|"
        rf"(?:last|next|this|earlier{_S}this|later{_S}this){_S}(?:week|month|year|spring|summer|autumn|fall|winter|"
        rf"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|"
        rf"(?:yesterday|today|tomorrow|tonight)|"
        rf"(?:1[5-9]|20)\d{{2}})\b", _I),
    NUMBER: re.compile(
        rf"(?:{_CURRENCY}[\s\u00a0]?)?\b(?:{_NUM}(?:{_SCALE}|(?=\W|$))|(?i:{_NUM_WORDS})\b)"
        rf"(?:(?:[\s\u00a0]+|-)(?i:of|per|a|an|more|than|over|around|about|nearly|almost)\b)?"
        rf"(?:(?:[\s\u00a0]+|-)(?!(?:by|to|in|on|at|of|for|from|and|or|the|was|were|is|are|has|have|had|that|which|who)\b)"
        rf"[a-z][a-z'’-]*){{0,2}}"),
}
# Words that start a capitalised sentence without naming anything.
_NOT_NAMES = {
    "the", "a", "an", "this", "that", "these", "those", "it", "its", "he", "she", "they", "we", "i", "you", "his", "her",
    "their", "our", "in", "on", "at", "for", "from", "by", "with", "after", "before", "but", "and", "or", "so", "as",
    "according", "meanwhile", "however", "earlier", "later", "also", "there", "here", "when", "while", "if", "what",
    "who", "which", "where", "why", "how", "read", "more", "last", "next", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december", "mr", "mrs", "ms", "dr", "now", "then", "yet", "still", "since",
    "despite", "although", "though", "because", "under", "over", "about", "during", "into", "through", "all", "some",
    "many", "most", "several", "other", "such", "both", "each", "every", "no", "not", "one", "two", "three", "new",
    "another", "any", "few", "much", "only", "even", "just", "once", "whether", "unlike", "instead", "among", "amid",
    "against", "within", "without", "until", "unless", "nor", "to", "of", "my", "your", "us", "them", "thus", "hence",
    "therefore", "moreover", "furthermore", "additionally", "finally", "first", "second", "third", "four", "five",
    "nearly", "almost", "around", "across", "along", "behind", "beyond", "near", "toward", "towards", "via", "per",
    "whose", "whom", "do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "can", "could", "will",
    "would", "should", "may", "might", "must", "let", "yes", "today", "yesterday", "tomorrow",
}
_ACRONYM = re.compile(r"[A-Z]{2,}")
_NAME = re.compile(
    r"(?<![\w’'])(?:[A-Z][\w’'&-]*(?:\.\w+)*(?:[\s\u00a0]+(?:of|de|la|le|von|van|der|al|bin|the|and|&)"
    r"(?=[\s\u00a0]+[A-Z]))?(?:[\s\u00a0]+(?=[A-Z0-9])|$|(?=[^\w\s]))?)+"
)
# A name of nationality words used as an adjective ("its British and Canadian allies", "Western European
# countries"): every capitalised word an adjective of a people or a compass point, and a lower-case
# word next. It qualifies a place's people or things and is not itself a place.
_DEMONYM = re.compile(r"(?:[A-Z][a-z]+(?:ian|ean|ish|ese|ern)|French|Dutch|Swiss|Greek|Thai|Iraqi|Israeli|Pakistani|"
                      r"Saudi|Yemeni|Kuwaiti|Qatari|Bangladeshi|Somali|North|South|East|West|Central)")
_ATTRIBUTIVE = re.compile(r"[\s\u00a0]+[a-z]")


def _attributive(text: str, s: int, e: int) -> bool:
    words = [w for w in text[s:e].split() if w[:1].isupper()]
    return bool(words) and all(_DEMONYM.fullmatch(w) for w in words) and bool(_ATTRIBUTIVE.match(text, e))


_QUOTE = re.compile(r"[“\"](.{8,}?)[”\"]", re.S)
# Reported speech: what follows a verb of saying ("… claims that it is saving lives").
_REPORTED = re.compile(r"\b(?:says?|said|claim(?:s|ed)?|stat(?:es|ed)|insist(?:s|ed)?|argu(?:es|ed)|maintain(?:s|ed)?|"
                       r"den(?:y|ies|ied)|assert(?:s|ed)?|alleg(?:es|ed)|warn(?:s|ed)?|told|tells?|describ(?:es|ed)\s+\w+\s+as)"
                       r"[\s\u00a0]+(?:that[\s\u00a0]+)?(?=\w)(.{8,}?)(?=[.;!?]|$)", re.S)
_REASON = re.compile(r"\b(?:because(?:\s+of)?|due\s+to|owing\s+to|as\s+a\s+result\s+of|in\s+order\s+to|so\s+that|"
                     r"in\s+response\s+to|amid|after|following|since|thanks\s+to|for\s+fear|to\s+(?=[a-z]+\s))\b", _I)


@dataclass(frozen=True, slots=True)
class Expression:
    """A span of text of one answer type: ``text[start:end]``."""

    kind: str
    start: int
    end: int


# A news dateline opening a sentence ("SAN FRANCISCO – A storm …", "WASHINGTON (AP) — …"): where the
# report was filed, not what it says.
_DATELINE = re.compile(r"[\s\u00a0]*[A-Z][A-Z.'’-]*(?:[\s\u00a0]+[A-Z][A-Z.'’-]*)*(?:,[\s\u00a0]+[A-Z][A-Za-z.]*)?"
                       r"(?:[\s\u00a0]+\([A-Za-z ]+\))?[\s\u00a0]+[–—-][\s\u00a0]+(?=[A-Z“\"])")


def _names(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    dateline = _DATELINE.match(text, start, end)
    if dateline:
        start = dateline.end()
    for m in _NAME.finditer(text, start, end):
        s, e = m.start(), m.end()
        while e > s and (text[e - 1].isspace() or text[e - 1] in ".,;:"):
            e -= 1
        words = text[s:e].split()
        # Drop a sentence-initial word that names nothing ("The", "According", "In"); an acronym
        # ("US", "IT") is a name.
        while words and words[0].lower().strip("’'") in _NOT_NAMES and not _ACRONYM.fullmatch(words[0]):
            s = text.index(words[0], s) + len(words[0])
            while s < e and text[s].isspace():
                s += 1
            words = words[1:]
        if words and s < e:
            out.append((s, e))
    return out


# Numbers that count nothing: a reference marker of scientific text ("[6]", "[12, 13]", "[29, [50]"),
# and the number of a name joined to it by a hyphen ("COVID-19", "MKP-1", "IL-6", "SARS-CoV-2").
_REFERENCE = re.compile(r"\[\s*\d+(?:\s*[,;–-]\s*\[?\s*\d+\s*\]?)*\s*\]")
_NAMED_NUMBER = re.compile(r"(?<=[A-Za-z]-)\d+\b")


def _not_counts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _REFERENCE.finditer(text, start, end)] + \
           [(m.start(), m.end()) for m in _NAMED_NUMBER.finditer(text, start, end)]


def expressions(text: str, start: int, end: int, kind: str) -> list[Expression]:
    """The expressions of ``kind`` inside ``text[start:end]``, in order."""
    spans: list[tuple[int, int]] = []
    if kind in _PATTERNS:
        spans = [(m.start(), m.end()) for m in _PATTERNS[kind].finditer(text, start, end)]
        if kind == NUMBER:
            spans += [(m.start(), m.end()) for m in _PATTERNS[MONEY].finditer(text, start, end)]
            skip = _not_counts(text, start, end)
            spans = [(s, e) for s, e in spans if not any(a <= s < b for a, b in skip)]
    elif kind in (PERSON, ORG, PLACE, NAME):
        spans = _names(text, start, end)
        if kind == PLACE:
            spans = [(s, e) for s, e in spans if not _attributive(text, s, e)]
    elif kind == SAID:
        spans = [(m.start(1), m.end(1)) for m in _QUOTE.finditer(text, start, end)]
        if not spans:
            spans = [(m.start(1), m.end(1)) for m in _REPORTED.finditer(text, start, end)][:1]
    elif kind == REASON:
        spans = [(m.start(), end) for m in _REASON.finditer(text, start, end)][:1]
    spans = [(s, e) for s, e in spans if s < e and text[s:e].strip()]
    return [Expression(kind, s, e) for s, e in sorted(set(spans))]


# -- follow-ups ------------------------------------------------------------------------------------

_ANAPHORA = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|there|then|"
    r"the group|the organi[sz]ation|the same|such|the latter|the former)\b", _I)
_LEAD = re.compile(r"^\s*(and|also|but|so|what about|how about)\b", _I)


# A possessive that a name before it in the question can own ("What do the White Helmets say *their* work
# is?", "What did Putin say about *his* meeting?"): it points inside the question, not back at an earlier
# one. "Their" needs a plural name; "her" is left out (as often an object: "What did Trump say about her?").
_POSSESSIVE = {"their", "its", "his"}


def _bound(question: str, m: re.Match[str]) -> bool:
    word = m.group(1).lower()
    if word not in _POSSESSIVE:
        return False
    names = [question[s:e] for s, e in _names(question, 0, m.start())]
    if word == "their":
        return any(n.split()[-1].endswith("s") or " and " in n for n in names)
    return bool(names)


def needs_context(question: str, content_terms: int) -> bool:
    """Whether a question leans on an earlier one: a pronoun or demonstrative (but a possessive that a
    name before it in the question owns), a leading "And …", or too few words of its own to be searched alone."""
    leans = any(not _bound(question, m) for m in _ANAPHORA.finditer(question))
    return leans or bool(_LEAD.match(question)) or content_terms <= 1


def interpret(question: str, earlier: str | list[str] | None) -> str:
    """The question as read, naming the earlier question it leans on, and the one that leans on in
    turn (``earlier``: most recent first). (Replacing a pronoun by the earlier question's topic was
    tried: "Why is it expected to happen soon?" after a question about the White Helmets' evacuation
    became "Why is the White Helmets expected …", a misreading; naming the earlier question never misleads.)"""
    chain = [earlier] if isinstance(earlier, str) else list(earlier or [])
    if not chain:
        return question
    return f"{question} (following “{chain[0]}”" + "".join(f", which follows “{q}”" for q in chain[1:]) + ")"
