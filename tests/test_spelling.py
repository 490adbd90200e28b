import pytest

from qa.lexical import tokenize
from qa.spelling import MAX_WORD, normalize_text, normalize_word

# A British or inflected form, and the form that must share its search terms.
SAME = [
    ("stabilisation programmes", "stabilization programs"),
    ("criticised", "criticized"), ("organisation", "organization"), ("realised", "realize"),
    ("apologising", "apologizing"), ("analysed", "analyzed"), ("paralysed", "paralyzed"),
    ("colour", "color"), ("behavioural", "behavioral"), ("labourers", "laborers"), ("tumour", "tumor"),
    ("centre", "center"), ("centred", "centered"), ("litres", "liters"), ("fibre", "fiber"),
    ("defence", "defense"), ("licence", "license"), ("catalogue", "catalog"), ("programme", "program"),
    ("travelled", "traveled"), ("fuelled", "fueled"), ("cancelling", "canceling"), ("counsellor", "counselor"),
    ("paediatric", "pediatric"), ("haemorrhage", "hemorrhage"), ("anaemia", "anemia"), ("oesophagus", "esophagus"),
    ("oestrogen", "estrogen"), ("foetal", "fetal"), ("diarrhoea", "diarrhea"),
    ("froze", "freeze"), ("frozen", "freeze"), ("gave", "give"), ("took", "take"),
    ("$6.6m", "6.6 million dollars"), ("$6.6 million", "6.6 million dollars"), ("£2bn", "2 billion pounds"),
    ("€300k", "300 thousand euros"),
]

# Words of one spelling that the rules must leave matching their own relatives.
KEPT = [
    ("advise", "advised"), ("surprise", "surprising"), ("promise", "promising"), ("precise", "precisely"),
    ("raise", "raising"), ("fundraiser", "fundraising"), ("revise", "revised"), ("advertise", "advertisement"), ("exercise", "exercised"),
    ("spell", "spelled"), ("smell", "smelled"), ("call", "called"), ("tell", "telling"), ("install", "installed"),
    ("recall", "recalled"), ("expel", "expelled"),
]


@pytest.mark.parametrize("british, american", SAME)
def test_two_spellings_share_their_terms(british, american):
    assert sorted(tokenize(british)) == sorted(tokenize(american))


@pytest.mark.parametrize("word, relative", KEPT)
def test_words_of_one_spelling_still_match_their_relatives(word, relative):
    assert tokenize(word) == tokenize(relative)


def test_words_that_only_look_british_are_left_alone():
    for word in ("four", "hour", "your", "tour", "flour", "contour", "genre", "acre", "aerosol", "shoe", "does",
                 "otherwise", "uprising", "crisis", "smaller", "taller", "left", "found", "rose", "said", "told",
                 "shot", "wound", "bound", "borne", "hatred", "libre", "michael", "saeed", "israel"):
        assert normalize_word(word) == word
    assert tokenize("four hours") != tokenize("for hors")


def test_amounts_are_written_out_and_signs_become_words():
    assert normalize_text("$6.6m and £2bn, then $5").split() == ["dollar", "6.6", "million", "and", "pound", "2",
                                                                 "billion,", "then", "dollar", "5"]
    # "m" after a figure without a currency sign is not an amount (metres, minutes): left as it is.
    assert normalize_text("a 100m sprint") == "a 100m sprint"


def test_a_very_long_word_is_left_as_it_is():
    # A run of 200,000 letters (a hash, a blob) would take minutes in the doubled-l pattern.
    word = "ae" * 100_000 + "lled"
    assert len(word) > MAX_WORD and normalize_word(word) == word
    assert tokenize("x " + word) == tokenize(word) and len(tokenize(word)) == 1
    assert max(len(w) for w in ("internationalisation", "counterrevolutionaries")) <= MAX_WORD
