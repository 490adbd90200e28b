"""Question analysis: expected answer types, parts of multi-part questions, typed expressions."""

from __future__ import annotations

import pytest

from qa import questions as q


@pytest.mark.parametrize("question,kind", [
    ("How much money did the US give the White Helmets?", q.MONEY),
    ("What sum did Washington put on hold for stabilisation programmes?", q.MONEY),
    ("What percentage of voters backed the plan?", q.PERCENT),
    ("When was it founded?", q.DATE),
    ("In what year did the talks start?", q.DATE),
    ("How many people are going to be evacuated?", q.NUMBER),
    ("How old was she?", q.NUMBER),
    ("What is the size of the genome?", q.NUMBER),
    ("What was the case fatality rate of the outbreak?", q.NUMBER),
    ("Why was the planning of the operation sped up?", q.REASON),
    ("What did military sources tell Sputnik Arabic?", q.SAID),
    ("Where did most of the talks take place?", q.PLACE),
    ("Which governorate are the White Helmets being evacuated from?", q.PLACE),
    ("Which news outlet reported the discussions?", q.ORG),
    ("Who founded the White Helmets?", q.PERSON),
    ("Which seed did the FDA add to its list?", q.NAME),
    ("Did Washington resume paying the White Helmets?", q.YESNO),
    ("What happened in Douma?", q.DESCRIPTION),
    ("What is the incubation period of MERS?", q.DESCRIPTION),
    # Quiz wording: a lead statement, then the question; the question word last; a blank named by its kind.
    ("A storm hit the coast this week. Where did it make landfall?", q.PLACE),
    ("The rocket launched from where?", q.PLACE),
    ("The laws will lapse when?", q.DATE),
    ("The band released its album this week. When did it sign its first contract?", q.DATE),
    ("The champions romped past this opponent on Monday.", q.ORG),
    ("The president held bilateral talks with this leader, his Mexican counterpart:", q.PERSON),
    ("Which of these musicians attended the address?", q.PERSON),
    ("The mayor resigned this week. True or false?", q.YESNO),
    ("A quake struck on Monday. What was the magnitude of the quake?", q.NUMBER),
    ("What is approximately the average age of a first-time mother?", q.NUMBER),
])
def test_answer_types_from_wording(question, kind):
    assert q.answer_type(question) == kind


def test_multi_part_questions_split_into_standalone_parts():
    assert q.parts("How many White Helmets were evacuated and where to?") == [
        "How many White Helmets were evacuated?", "Where were White Helmets evacuated to?"]
    assert q.parts("How many people were moved, and when?") == ["How many people were moved?", "When were people moved?"]
    assert q.parts("What is the camp and where from?") == ["What is the camp?", "Where is the camp from?"]
    assert q.parts("Who reported the NATO discussions, and whom did they cite?") == [
        "Who reported the NATO discussions?", "Whom did they cite?"]
    assert q.parts("Who founded the White Helmets and when?") == ["Who founded the White Helmets?",
                                                                   "When were the White Helmets founded?"]
    assert q.parts("Who founded the group, and where?") == ["Who founded the group?", "Where was the group founded?"]
    # An irregular verb's past takes its participle.
    assert q.parts("Who wrote the report and when?") == ["Who wrote the report?", "When was the report written?"]
    assert q.parts("Who sold the shares, and why?") == ["Who sold the shares?", "Why were the shares sold?"]
    # After "who", a verb in the present turns passive too; an object pronoun becomes the subject.
    assert q.parts("Who runs the camp and where?") == ["Who runs the camp?", "Where is the camp run?"]
    assert q.parts("Who funds the White Helmets and why?") == ["Who funds the White Helmets?",
                                                                "Why are the White Helmets funded?"]
    assert q.parts("Who plans the evacuation and when?") == ["Who plans the evacuation?", "When is the evacuation planned?"]
    assert q.parts("Who founded them and when?") == ["Who founded them?", "When were they founded?"]
    # Elsewhere a word in -s may be a plural noun, and is left as it is.
    assert q.parts("What drugs treat it and when?") == ["What drugs treat it?", "When drugs treat it?"]
    # A later part's "it" / "they" is what a first part that only names something names.
    assert q.parts("Where was the NATO summit and when was it held?") == [
        "Where was the NATO summit?", "When was the NATO summit held?"]
    assert q.parts("Where is Quneitra and why is it important?") == ["Where is Quneitra?", "Why is Quneitra important?"]
    assert q.parts("Where are the White Helmets being evacuated from and where will they go?") == [
        "Where are the White Helmets being evacuated from?", "Where will they go?"]
    # A short part with a verb of its own asks its own question (the engine reads it after the part before).
    assert q.parts("What are the White Helmets and who funds them?") == ["What are the White Helmets?", "Who funds them?"]
    for single in ["Who founded the White Helmets?", "Which countries and organisations fund them?",
                   "Is it true that salt and pepper were found?"]:
        assert q.parts(single) == [single]


def _found(text: str, kind: str) -> list[str]:
    return [text[x.start:x.end] for x in q.expressions(text, 0, len(text), kind)]


def test_expressions_of_each_type():
    text = ("The US released $6.6 million to the White Helmets, founded in 2014 by James Le Mesurier. "
            "Hundreds of members and their families, 939 civilians, 12% of the total, on Friday, 20 July 2018.")
    assert _found(text, q.MONEY) == ["$6.6 million"]
    assert _found(text, q.PERCENT) == ["12%"]
    assert _found(text, q.DATE) == ["in 2014", "on Friday", "20 July 2018"]
    assert _found(text, q.NUMBER) == ["$6.6 million", "2014", "Hundreds of members", "939 civilians", "12", "20", "2018"]
    assert "James Le Mesurier" in _found(text, q.PERSON)
    assert _found("He said “we will not leave the city” on Monday.", q.SAID) == ["we will not leave the city"]
    # Reported speech, where nothing is quoted: what follows the verb of saying.
    assert _found("The group claims that it is saving the lives of civilians; critics disagree.", q.SAID) == [
        "it is saving the lives of civilians"]
    assert _found("He said “we are staying” and denied that troops had left.", q.SAID) == ["we are staying"]
    assert _found("It was delayed because of the storm.", q.REASON) == ["because of the storm."]


def test_a_word_that_only_opens_a_sentence_is_not_a_name():
    assert _found("Another problem for western countries is where to move all those White Helmets.", q.PLACE) == [
        "White Helmets"]
    assert _found("Only Germany and Canada agreed.", q.PLACE) == ["Germany and Canada"]
    assert _found("Among them was James Le Mesurier.", q.PERSON) == ["James Le Mesurier"]


def test_an_acronym_is_a_name_though_its_word_is_not():
    # "US" reads as the pronoun "us" once lower-cased; the acronym names a country.
    assert _found("The officials said the US and its allies agreed; give us time.", q.PLACE) == ["US"]
    assert _found("Us and them.", q.PLACE) == []


def test_a_dateline_is_not_a_name_of_the_report():
    assert _found("SAN FRANCISCO – A brutal storm hit Northern California.", q.PLACE) == ["Northern California"]
    assert _found("WASHINGTON (AP) — President Joe Biden spoke.", q.PERSON) == ["President Joe Biden"]
    assert _found("ST. LOUIS, Mo. – A man in Missouri.", q.PLACE) == ["Missouri"]
    # A dash inside a sentence, or a name that is not in capitals, opens no dateline.
    assert _found("NATO – and Russia met.", q.ORG) == ["NATO", "Russia"]
    assert _found("Paris – France agreed.", q.PLACE) == ["Paris", "France"]


def test_nationality_words_used_as_adjectives_are_not_places():
    text = ("The US and its British and Canadian allies would move them out of Syria to Western European "
            "countries including the UK, and some to the Caribbean. The South Korean envoy agreed.")
    assert _found(text, q.PLACE) == ["US", "Syria", "UK", "Caribbean"]
    assert _found("It hit South Korea and Southern California.", q.PLACE) == ["South Korea and Southern California"]
    # Other kinds keep them: "British" may be what a "which nationality" question asks for.
    assert "British and Canadian" in _found(text, q.NAME)

def test_a_month_after_a_preposition_is_a_date():
    text = ("Washington halted the funding in May 2018, but later in June announced that it would resume "
            "payments. It may resume by June 5, since March.")
    assert _found(text, q.DATE) == ["in May 2018", "later in June", "by June 5", "since March"]
    assert _found("The plan may work.", q.DATE) == []  # "may" the verb is no month


def test_reference_markers_and_the_numbers_of_names_count_nothing():
    # Scientific text cites by number, and names carry numbers: neither answers "how many".
    assert _found("Some DUSPs are also known as MAPK phosphatases (MKPs) [6] [7] [8] .", q.NUMBER) == []
    assert _found("Currently, there are at least 10 MKPs identified, while MKP-1 is the most studied.", q.NUMBER) == ["10"]
    assert _found("as shown in mice [12, 13] and in pigs [29, [50] [51] .", q.NUMBER) == []
    assert _found("COVID-19 and SARS-CoV-2 killed 5 million people.", q.NUMBER) == ["5 million people"]
    # A number beside brackets or hyphens that count is kept.
    assert _found("It took 1-2 days in 3 [4] cases.", q.NUMBER) == ["1", "2 days", "3"]


def test_expressions_are_spans_of_the_text_on_odd_input():
    for text in ["", "\u00a0" * 50, "$" * 100, "1" * 500, "A. B. C. " * 40, "“" * 30, "Jan 2020 Feb 2021 " * 30]:
        for kind in q.TYPES:
            for x in q.expressions(text, 0, len(text), kind):
                assert 0 <= x.start < x.end <= len(text)


def test_follow_ups_need_context_only_when_they_lean_on_one():
    assert q.needs_context("When was it founded?", 1)
    assert q.needs_context("And how did Damascus react to that decision?", 3)
    assert not q.needs_context("Which governorate are the White Helmets being evacuated from?", 5)
    # A possessive whose owner the question names points inside it; an object pronoun, a demonstrative or
    # a possessive with no owner before it still points back.
    assert not q.needs_context("What do the White Helmets say their work is?", 4)
    assert not q.needs_context("What did Putin say about his meeting with Trump?", 5)
    assert q.needs_context("What did Trump say about their evacuation?", 4)  # "Trump" is not plural
    assert q.needs_context("Which countries will take them in?", 3)
    assert q.needs_context("What is its population?", 1) and q.needs_context("What did Trump say about her?", 3)
    assert q.interpret("When was it founded?", "Who founded the White Helmets?") == \
        "When was it founded? (following “Who founded the White Helmets?”)"
    assert q.interpret("Who?", None) == "Who?" and q.interpret("Who?", []) == "Who?"
    assert q.interpret("Why?", ["Who funds them?", "Who founded the White Helmets?"]) == \
        "Why? (following “Who funds them?”, which follows “Who founded the White Helmets?”)"


def test_phrases_that_only_mark_tense_are_not_terms_an_answer_must_repeat():
    from qa.lexical import tokenize
    from qa.retrieval import make_query

    assert q.without_auxiliaries("How many people are going to be evacuated?").split() == [
        "How", "many", "people", "are", "be", "evacuated?"]
    assert q.without_auxiliaries("Why did they have to leave?").split() == ["Why", "did", "they", "leave?"]
    # "going" that is not a tense marker stays.
    assert "go" in tokenize(q.without_auxiliaries("Where are the rescuers going?"))
    assert make_query("How many people are going to be evacuated?", [], turns=0).terms == ["peopl", "evacu"]


def test_a_pronoun_is_not_a_term():
    from qa.retrieval import make_query

    # It stands for what the earlier question names, which a follow-up's context brings.
    assert make_query("Who funds them?", [], turns=0).terms == ["fund"]
    assert make_query("What is its budget?", [], turns=0).terms == ["budget"]


def test_a_verb_that_only_asks_for_an_event_is_not_a_term():
    from qa.retrieval import make_query

    assert make_query("What happened in Douma?", [], turns=0).terms == ["douma"]
    assert make_query("What has happened to the rescuers?", [], turns=0).terms == ["rescuer"]
    assert make_query("What took place in Brussels?", [], turns=0).terms == ["brussel"]
    # Where the event is the subject, the verb is what is asked about: it stays.
    assert "happen" in make_query("Why is it expected to happen soon?", [], turns=0).terms
    assert "happen" in make_query("When did the attack happen?", [], turns=0).terms


@pytest.mark.parametrize("question,word", [
    ("How many people are going to be evacuated?", "people"),
    ("How much money did the US give the White Helmets?", "money"),
    ("Which country hosted the talks?", "country"),
    ("What year was it founded?", "year"),
    ("How much did it cost?", None),
    ("What is the population of Damascus?", None),
    ("Which Israeli officials approved it?", None),  # a name is a condition, not the focus
    ("Who founded the White Helmets?", None),
])
def test_the_focus_word_names_what_is_asked_for(question, word):
    assert q.focus(question) == word
