"""One form for the words that English writes several ways, so that a question and an article that
spell or inflect a word differently still share its search term: British and American spellings
("stabilisation", "colour", "centre", "defence", "travelled", "paediatric"), the past forms of
irregular verbs ("froze", "gave", "took"), and currency signs and abbreviations ("$6.6m" reads as
"dollar 6.6 million", as "6.6 million dollars" does).

Applied by qa.lexical.tokenize to questions and articles alike, before stemming. The rules are
spelling conventions, not a dictionary: a word they rewrite that has no other spelling is rewritten
the same way wherever it occurs, so it still matches itself.
"""

from __future__ import annotations

import re

# Currency signs become words; an amount's abbreviated scale ("$6.6m", "£2bn") is written out.
_CURRENCY = (("$", " dollar "), ("€", " euro "), ("£", " pound "))
_SCALED = re.compile(r"([$€£])[\s\u00a0]?(\d[\d,]*(?:\.\d+)?)[\s\u00a0]?(m|mn|bn|b|tn|k)\b", re.IGNORECASE)
_SCALES = {"m": "million", "mn": "million", "bn": "billion", "b": "billion", "tn": "trillion", "k": "thousand"}

# Past tenses and participles of common irregular verbs, and their base form. Forms that are also
# common words of another meaning ("left", "found", "saw", "rose", "fed", "bit", "lead", "shot" (a
# vaccine), "wound", "bound", "borne" (vector-borne), "spat") are not
# here, nor "said" and "told": news reports nearly every sentence with them, so "What did X say?" would
# find every report of anyone speaking (qa.answering.voiced reads who is speaking).
_IRREGULAR = {
    "arose": "arise", "arisen": "arise", "awoke": "awake", "began": "begin", "begun": "begin", "bent": "bend",
    "bled": "bleed", "blew": "blow", "blown": "blow", "broke": "break", "broken": "break",
    "brought": "bring", "built": "build", "burnt": "burn", "bought": "buy", "caught": "catch", "chose": "choose",
    "chosen": "choose", "clung": "cling", "came": "come", "crept": "creep", "dealt": "deal", "dug": "dig",
    "drew": "draw", "drawn": "draw", "dreamt": "dream", "drank": "drink", "drunk": "drink", "drove": "drive",
    "driven": "drive", "ate": "eat", "eaten": "eat", "fell": "fall", "fallen": "fall", "felt": "feel",
    "fought": "fight", "fled": "flee", "flew": "fly", "flown": "fly", "forbade": "forbid", "forbidden": "forbid",
    "forgot": "forget", "forgotten": "forget", "forgave": "forgive", "forgiven": "forgive", "froze": "freeze",
    "frozen": "freeze", "got": "get", "gotten": "get", "gave": "give", "given": "give", "went": "go", "gone": "go",
    "grew": "grow", "grown": "grow", "hung": "hang", "heard": "hear", "hid": "hide", "hidden": "hide",
    "held": "hold", "kept": "keep", "knelt": "kneel", "knew": "know", "known": "know", "laid": "lay",
    "leapt": "leap", "lent": "lend", "lit": "light", "lost": "lose", "made": "make", "meant": "mean",
    "met": "meet", "overcame": "overcome", "overtook": "overtake", "overtaken": "overtake", "paid": "pay",
    "rode": "ride", "ridden": "ride", "rang": "ring", "rung": "ring", "risen": "rise", "ran": "run",
    "sought": "seek", "sold": "sell", "sent": "send", "shook": "shake", "shaken": "shake",
    "shone": "shine", "shrank": "shrink", "shrunk": "shrink", "sang": "sing", "sung": "sing",
    "sank": "sink", "sunk": "sink", "slept": "sleep", "slid": "slide", "spoke": "speak", "spoken": "speak",
    "spent": "spend", "spun": "spin", "sprang": "spring", "sprung": "spring", "stood": "stand", "stole": "steal",
    "stolen": "steal", "stuck": "stick", "stung": "sting", "strode": "stride", "struck": "strike",
    "stricken": "strike", "strove": "strive", "swore": "swear", "sworn": "swear", "swept": "sweep",
    "swam": "swim", "swum": "swim", "swung": "swing", "took": "take", "taken": "take", "taught": "teach",
    "tore": "tear", "torn": "tear", "thought": "think", "threw": "throw", "thrown": "throw",
    "understood": "understand", "undertook": "undertake", "undertaken": "undertake", "upheld": "uphold",
    "woke": "wake", "woken": "wake", "wore": "wear", "worn": "wear", "wove": "weave", "woven": "weave",
    "wept": "weep", "won": "win", "withdrew": "withdraw", "withdrawn": "withdraw",
    "wrote": "write", "written": "write", "withheld": "withhold", "forecast": "forecast", "sped": "speed",
    "split": "split", "upset": "upset", "outgrew": "outgrow", "mistook": "mistake",
    "mistaken": "mistake", "misled": "mislead", "overran": "overrun", "overthrew": "overthrow",
    "overthrown": "overthrow", "oversaw": "oversee", "overseen": "oversee", "foresaw": "foresee",
    "foreseen": "foresee", "befell": "befall", "beheld": "behold",
}

# British spellings, rewritten to the American ones.
_ENDINGS = {"defence": "defense", "defences": "defenses", "offence": "offense", "offences": "offenses",
            "licence": "license", "licences": "licenses", "pretence": "pretense", "programme": "program",
            "programmes": "programs", "catalogue": "catalog", "catalogues": "catalogs", "dialogue": "dialog",
            "dialogues": "dialogs", "analogue": "analog", "analogues": "analogs", "grey": "gray",
            "aluminium": "aluminum", "mould": "mold", "moulds": "molds", "plough": "plow", "sceptic": "skeptic",
            "sceptical": "skeptical", "scepticism": "skepticism", "jewellery": "jewelry", "tyre": "tire",
            "tyres": "tires", "manoeuvre": "maneuver", "manoeuvres": "maneuvers", "kerb": "curb",
            "cheque": "check", "cheques": "checks", "storey": "story", "storeys": "stories", "draught": "draft",
            "fibre": "fiber", "fibres": "fibers", "calibre": "caliber", "sabre": "saber", "sabres": "sabers",
            "sombre": "somber", "meagre": "meager", "centred": "centered"}
# -ise / -isation: every word but those spelled -ise in American English too.
_ISE = re.compile(r"^(\w{3,}?)(is|ys)(e|es|ed|ing|er|ers|ation|ations|ational)$")
_ISE_KEPT = frozenset({
    "chast", "circumc", "comprom", "conc", "dem", "desp", "disgu", "exc", "exerc", "expert", "franch", "inc",
    "merchand", "parad", "prec", "prem", "prom", "surm", "treat", "cru", "bru", "chem", "val", "porpo", "torto",
    "mort", "lou", "den", "cer", "advert", "mis", "coerc", "reprom",
})
# … nor words whose root ends so: "advise", "revise", "televise"; "raise", "praise", "fundraise";
# "surprise", "comprise", "enterprise", "uprising"; "otherwise", "likewise".
_ISE_KEPT_ENDS = ("v", "ra", "pr", "w")
# -our → -or ("colour", "behaviour"), not "four", "hour", "tour", "your", "flour", "odour".
_OUR = re.compile(r"^(\w{3,})our(s|ed|ing|er|ers|ite|ites|able|ably|al|ful|less|ism|ist|ists)?$")
_OUR_KEPT = frozenset({"cont", "det", "dev", "troubad", "param", "vel"})
# -tre → -ter ("centre", "litre", "theatre", "titre"), not "genre", "acre", "hatred"; the -bre words are listed above.
_TRE = re.compile(r"^(\w{2,}t)re(s)?$")
# A doubled l before an ending ("travelled", "cancelling", "modeller", "counsellor", "fuelled").
_LL = re.compile(r"^(\w*[aeiou]\w*(?:e|a))ll(ed|ing|er|ers|or|ors|ous)$")
_LL_KEPT = frozenset({"b", "c", "d", "f", "g", "h", "m", "p", "s", "t", "w", "y", "dw", "kn", "qu", "sh", "sm", "sn", "sp",
                      "st", "sw", "tr", "thr"})
# ae / oe in the Greek and Latin stems of medicine and science ("haemorrhage", "paediatric",
# "oesophagus", "foetal"); names ("Michael", "Saeed") keep theirs.
_AE = re.compile(r"(haem|anaem|ischaem|leukaem|septicaem|hyperaem|hypoxaem|glycaem|paed|faec|caesarean|orthopaed|"
                 r"gynaec|anaesth|encyclopaed|archaeo|palaeo|aetiol|oesoph|oestr|oedem|foet|diarrhoe|amoeb|coeliac|"
                 r"dyspnoe|apnoe)")


def normalize_text(text: str) -> str:
    """``text`` (lower-cased) with currency signs as words and abbreviated amounts written out."""
    text = _SCALED.sub(lambda m: f"{m.group(1)}{m.group(2)} {_SCALES[m.group(3).lower()]}", text)
    for sign, word in _CURRENCY:
        if sign in text:
            text = text.replace(sign, word)
    return text


# Longer "words" (hashes, identifiers, a run of letters without a space) are left as they are; the
# patterns below would take time quadratic in their length.
MAX_WORD = 40


def normalize_word(word: str) -> str:
    """The one form of a lower-case word (see the module's docstring)."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word in _ENDINGS:
        return _ENDINGS[word]
    if not 5 <= len(word) <= MAX_WORD or word.isdigit():
        return word
    if "is" in word or "ys" in word:
        m = _ISE.match(word)
        if m and m.group(1) not in _ISE_KEPT and not m.group(1).endswith(_ISE_KEPT_ENDS):
            return m.group(1) + ("iz" if m.group(2) == "is" else "yz") + m.group(3)
    if "our" in word:
        m = _OUR.match(word)
        if m and m.group(1) not in _OUR_KEPT:
            return m.group(1) + "or" + (m.group(2) or "")
    if word.endswith(("tre", "tres")):
        m = _TRE.match(word)
        if m:
            return m.group(1) + "er" + (m.group(2) or "")
    if "ll" in word:
        m = _LL.match(word)
        if m and m.group(1)[:-1] not in _LL_KEPT:
            return m.group(1) + "l" + m.group(2)
    if "ae" in word or "oe" in word:
        word = _AE.sub(lambda m: m.group().replace("ae", "e").replace("oe", "e"), word)
    return word
