import pytest

from qa import questions
from qa.answering import DEFAULT, Candidate, attribution, human_date, is_evidence


def test_attribution_names_what_is_known_and_never_guesses():
    assert attribution("Sputnik", "2018-07-20", "A Title", "a.txt") == "According to Sputnik (20 July 2018)"
    assert attribution(None, "2021-04-13", None, "000.txt") == "According to an article of 13 April 2021 (000.txt)"
    assert attribution(None, None, "A Title", "a.txt") == "According to “A Title”"
    assert attribution(None, None, None, "a.txt") == "According to an article (a.txt)"


def test_human_date():
    assert human_date("2018-07-02") == "2 July 2018"
    assert human_date(None) is None
    assert human_date("sometime") == "sometime"


def test_refusal_model_needs_meaning_or_terms():
    from qa.answering import answerable

    def cand(dense, cover, missing=0.0):
        features = (dense, cover, 1.0, 1.0, 0.0, 0.0, missing, 0.0, 0.0, 0.0, 0.0)
        score = sum(w * f for w, f in zip(DEFAULT.weights, features))
        return Candidate(0, 0, 1, features, score, score)

    assert is_evidence(cand(0.75, 0.9))
    assert not is_evidence(cand(0.1, 0.1))
    assert not is_evidence(cand(0.3, 0.3))
    # A name of the question that no passage holds makes an answer less likely, all else equal.
    assert answerable(cand(0.6, 0.6, missing=1.0)) < answerable(cand(0.6, 0.6, missing=0.0))


def test_an_expression_near_the_questions_words_is_nearer_than_one_far_from_them():
    from qa import questions
    from qa.answering import FEATURES, NEAR_WORDS, _nearness
    from qa.lexical import tokenize

    assert len(FEATURES) == len(DEFAULT.weights) == len(DEFAULT.refusal_coef) - 1  # the score has the last coefficient
    terms = set(tokenize("How many people are going to be evacuated?"))
    text = "The US plans to evacuate hundreds of members of the group and their families from the south of the country."
    found = questions.expressions(text, 0, len(text), questions.NUMBER)
    assert [text[x.start:x.end] for x in found] == ["hundreds of members"]
    assert _nearness(text, 0, len(text), found, terms) == 1.0  # "evacuate" is the word before
    far = "Some 400 of them, officials say, may leave the town by the coast road next month, once the plan is evacuated."
    found = questions.expressions(far, 0, len(far), questions.NUMBER)
    gap = len(far[found[0].end:far.index("evacuated")].split())
    assert gap > NEAR_WORDS[1] and _nearness(far, 0, len(far), found, terms) == 0.0
    assert _nearness(text, 0, len(text), [], terms) == 0.0
    assert _nearness(text, 0, len(text), found, set()) == 0.0


def test_a_second_article_that_nearly_matches_the_best_is_cited_beside_it(seed_engine):
    # Each seed article says what the White Helmets claim to do; both are heard, each in its own citation.
    a = seed_engine.ask("What do the White Helmets say their work is?")
    assert a.found and len({c.path for c in a.citations}) == 2
    assert DEFAULT.other_source_threshold < DEFAULT.refusal_threshold


def test_a_number_that_counts_something_the_question_does_not_name_is_not_its_answer():
    from qa import questions
    from qa.answering import answer_phrase
    from qa.lexical import tokenize

    asked = set(tokenize("How many White Helmets were evacuated?"))

    def phrase(text: str) -> str | None:
        span = answer_phrase(text, 0, len(text), questions.NUMBER, asked)
        return None if span is None else text[span[0]:span[1]]

    assert phrase("Several NATO countries have discussed evacuating the White Helmets from Syria.") is None
    assert phrase("Two US officials said the plan would evacuate 800 White Helmets.") == "800"
    assert phrase("They plan to evacuate hundreds of members of the White Helmets.") == "hundreds of members"
    # The counted thing is the question's own: it counts what is asked.
    asked = set(tokenize("How many NATO countries discussed it?"))
    assert answer_phrase("Several NATO countries discussed it.", 0, 36, questions.NUMBER, asked) == (0, 7)


def test_answer_phrase_is_inside_the_quote_and_new_to_the_question():
    from qa import questions
    from qa.answering import answer_phrase
    from qa.lexical import tokenize

    text = "Intro. The US has released $6.6 million for the White Helmets, founded in 2014. Outro."
    start, end = text.index("The US"), text.index("2014.") + 5
    asked = set(tokenize("How much money did the US release for the White Helmets?"))
    s, e = answer_phrase(text, start, end, questions.MONEY, asked)
    assert text[s:e] == "$6.6 million" and start <= s < e <= end
    s, e = answer_phrase(text, start, end, questions.DATE, set(tokenize("When was it founded?")))
    assert text[s:e] == "in 2014"
    # A name the question already says is not an answer to it.
    assert answer_phrase("Washington halted it.", 0, 21, questions.PERSON, set(tokenize("Who did Washington halt?"))) is None
    for text, question, person in [
        # A name that qualifies a title is not the person the title names.
        ("The group was founded by former British Army officer James Le Mesurier in 2014.", "Who founded the group?",
         "James Le Mesurier"),
        ("NATO discussed it, CBS News reported, citing an anonymous US official.", "Who reported the NATO discussions?",
         "CBS News"),
        # A name after a preposition of place is where, not who; where all are, the nearest stays.
        ("The group, founded in Turkey by former MI5 officer James Le Mesurier, claims that it saves lives.",
         "Who founded the group?", "James Le Mesurier"),
        ("In Turkey the group was founded.", "Who founded the group?", "Turkey"),
    ]:
        s, e = answer_phrase(text, 0, len(text), questions.PERSON, set(tokenize(question)))
        assert text[s:e] == person, question


def test_a_place_phrase_follows_a_preposition_of_the_direction_asked():
    from qa import questions
    from qa.answering import answer_phrase
    from qa.lexical import tokenize

    text = ("The US and its British and Canadian allies plan to evacuate members of the NGO out of Syria to "
            "neighboring countries, and then on to Western European countries including the UK and Germany.")

    def phrase(question: str) -> str:
        span = answer_phrase(text, 0, len(text), questions.answer_type(question), set(tokenize(question)),
                             questions.direction(question))
        assert span is not None
        return text[span[0]:span[1]]

    assert questions.direction("Where are the White Helmets evacuated to?") == "to"
    assert questions.direction("Where to?") == "to"
    assert questions.direction("Where are they evacuated from?") == "from"
    assert questions.direction("Where are they?") is None
    assert questions.direction("Which country did the balloon belong to?") is None
    assert phrase("Where will the members be evacuated to?") == "UK and Germany"
    assert phrase("Where will the members be evacuated from?") == "Syria"
    assert phrase("Where will the members be evacuated?") == "Syria"  # after a preposition, nearest the question's words
    # A place the other way does not answer: no phrase rather than the wrong one.
    assert answer_phrase("They left from Syria.", 0, 21, questions.PLACE, set(tokenize("Where did they go to?")), "to") is None
    assert answer_phrase("They left Syria.", 0, 16, questions.PLACE, set(tokenize("Where did they go to?")), "to") == (10, 15)
    # A name after no preposition of place stands where no other does.
    assert answer_phrase("Germany agreed.", 0, 15, questions.PLACE, set(tokenize("Which country agreed?"))) == (0, 7)


def test_a_description_phrase_is_what_the_sentence_adds_to_the_question():
    from qa import questions
    from qa.answering import answer_phrase, new_words
    from qa.lexical import tokenize

    text = "Note. The incubation period of MERS is between two and fourteen days, officials said; later reports agreed."
    start, end = text.index("The incubation"), len(text)
    asked = set(tokenize("What is the incubation period of MERS?"))
    s, e = answer_phrase(text, start, end, questions.DESCRIPTION, asked)
    assert text[s:e] == "between two and fourteen days, officials said" and start <= s < e <= end
    # Clause marks end a run; a run of fewer than two content words is no phrase.
    assert new_words("MERS: deadly.", 0, 13, set(tokenize("What is MERS?"))) is None
    # Reasons keep their own expression ("because …"); yes/no questions get no phrase at all.
    text = "The talks stopped because the envoy fell ill."
    s, e = answer_phrase(text, 0, len(text), questions.REASON, set(tokenize("Why did the talks stop?")))
    assert text[s:e] == "because the envoy fell ill."


def test_what_a_named_speaker_said_needs_a_passage_that_reports_them_speaking():
    from qa.answering import _attributed, speaker

    assert speaker("What did Russian President Vladimir Putin say in Helsinki?") == {"putin"}
    assert speaker("What do the White Helmets say their work is?") == {"helmet"}
    assert speaker("What did the government say?") == set()
    # Named, but not as the one speaking: an article that names Putin does not say what Putin said.
    assert not _attributed("the issue might be raised by Trump during his negotiations with Russian President "
                           "Vladimir Putin in Helsinki", {"putin"})
    assert _attributed("Putin said on Monday that talks would go on", {"putin"})
    assert _attributed("The evacuation was agreed, according to President Vladimir Putin", {"putin"})


def test_an_unquoted_speaker_makes_the_question_unanswered(seed_engine):
    # The seed articles name Putin (the Helsinki talks) and never quote him.
    assert not seed_engine.ask("What did Putin tell Trump in Helsinki about the White Helmets?").found


def test_a_sentence_that_points_back_or_announces_what_follows_leans_on_its_neighbour():
    from qa.answering import leans_ahead, leans_back
    from qa.lexical import tokenize

    def back(s: str) -> bool:
        return leans_back("Before. " + s, 8, 8 + len(s))

    assert back("This suggests that the herd has low genetic diversity.")
    assert back("“These results were confirmed in 2019.")
    assert not back("Thistle grows on the hills.") and not back("The herd is small.")
    asked = set(tokenize("What are the advantages of baculovirus vectors?"))

    def ahead(s: str) -> bool:
        return leans_ahead(s + " After.", 0, len(s), asked)

    assert ahead("Baculoviruses have a number of advantages as vaccine vectors.")
    assert ahead("Vectored vaccines need to satisfy several important criteria.")
    assert ahead("The vectors are chosen for two reasons:")
    assert ahead("Baculovirus vectors have advantages.")  # nothing the question does not say
    assert ahead("PIV5 has a number of features that make it an attractive vaccine vector.")
    # A number that is itself the answer, or a sentence that goes on to say more, announces nothing.
    assert not ahead("Baculovirus vectors have two advantages over adenovirus: they are cheap and safe.")
    assert not ahead("The vectors have on numerous occasions been tested in mice, pigs and cattle across Europe.")


def test_a_quote_that_announces_its_answer_carries_the_sentence_that_gives_it(tmp_path, real_embedder):
    # The list an announcement opens may take more than one sentence: the quote carries the two after it,
    # within the paragraph.
    text = ("Vaccine vectors.\n\nBaculoviruses have a number of advantages as vaccine vectors. They are readily "
            "manipulated and grow to high titres in insect cells. They also accommodate large gene insertions. "
            "Their use in people is still rare.\n\n"
            "Adenovirus vectors are common. Many people already carry immunity to them.\n")
    a = _engine_over(tmp_path, real_embedder, text).ask("What are the advantages of baculoviruses?")
    assert a.found
    c = a.citations[0]
    assert c.quote == text[c.start:c.end]
    assert c.quote == ("Baculoviruses have a number of advantages as vaccine vectors. They are readily manipulated "
                       "and grow to high titres in insect cells. They also accommodate large gene insertions.")
    # Never past the paragraph's end.
    short = text.replace(" They also accommodate large gene insertions. Their use in people is still rare.", "")
    (tmp_path / "short").mkdir()
    c = _engine_over(tmp_path / "short", real_embedder, short).ask("What are the advantages of baculoviruses?").citations[0]
    assert c.quote.endswith("in insect cells.") and "Adenovirus" not in c.quote


def test_passages_are_re_ranked_by_how_well_their_best_sentence_answers(seed_engine):
    import numpy as np

    from qa import answering, retrieval

    snap = seed_engine.snapshot
    question = "How much money did the US release for the White Helmets?"
    found = seed_engine._retrieve(snap, question, None, retrieval.Filters())
    head = min(retrieval.HEAD, found.order.size)
    assert head >= 4
    # A pool in which only the fourth passage holds a sentence that answers well: it leads after re-ranking.
    fourth = int(found.order[3])
    pool = [Candidate(fourth, 0, 1, (0.0,) * len(DEFAULT.weights), 1.0, 1.0)]
    ranked = answering.rerank(snap, found, pool=pool)
    assert int(ranked.order[0]) == fourth
    assert set(ranked.order[:head].tolist()) == set(found.order[:head].tolist())
    assert np.array_equal(ranked.order[head:], found.order[head:])
    scores = [float(ranked.scores[i]) for i in ranked.order]
    assert all(a >= b for a, b in zip(scores, scores[1:]))  # scores only rise: the head stays the head
    # The engine offers the re-ranked passages, the same from retrieve and as ask's related reading.
    passages = seed_engine.retrieve(question, k=5)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert [(p.path, p.start) for p in seed_engine.ask(question).passages[:5]] == [(p.path, p.start) for p in passages]


def test_nearness_counts_the_questions_other_words_not_its_focus(tmp_path, fake_embedder):
    from qa import answering, questions, retrieval

    text = ("Officials said that at least 9,600 people had died in the war.\n\n"
            "The allies plan to evacuate hundreds of members of the group from the south.\n")
    engine = _engine_over(tmp_path, fake_embedder, text)
    question = "How many people are going to be evacuated?"
    found = engine._retrieve(engine.snapshot, question, None, retrieval.Filters())
    near = {text[c.start:c.end][:9]: c.features[answering.FEATURES.index("near")]
            for c in answering.candidates(engine.snapshot, found, questions.answer_type(question))}
    assert near == {"Officials": 0.0, "The allie": 1.0}  # "9,600 people" is near only the focus word


def test_an_expression_of_the_type_stands_for_the_class_noun_that_names_it(tmp_path, fake_embedder):
    from dataclasses import replace

    from qa import answering, questions, retrieval

    text = ("The ministry released $6.6 million for the rescuers last month.\n\n"
            "The rescuers were praised by the ministry last month.\n")
    engine = _engine_over(tmp_path, fake_embedder, text)
    question = "How much money did the ministry give the rescuers?"
    assert questions.stands_for(question, questions.MONEY) == "money"
    found = engine._retrieve(engine.snapshot, question, None, retrieval.Filters())

    def cover(params):
        return {text[c.start:c.end][:12]: round(c.cover, 3)
                for c in answering.candidates(engine.snapshot, found, questions.MONEY, params)}

    with_nouns, without = cover(DEFAULT), cover(replace(DEFAULT, class_nouns=False))
    # "money" is held by the sentence with an amount, and by no other.
    assert with_nouns["The ministry"] > without["The ministry"]
    assert with_nouns["The rescuers"] == without["The rescuers"]


@pytest.mark.parametrize("question, kind, word", [
    ("What year were they founded?", questions.DATE, "year"),
    ("Which country hosts the camp?", questions.PLACE, "country"),
    ("What sum did Washington put on hold?", questions.MONEY, "sum"),
    ("How many people were evacuated?", questions.NUMBER, None),  # a counted noun: the answer names it
    ("What percentage of patients died?", questions.PERCENT, None),
])
def test_a_class_noun_names_the_answer_type_itself(question, kind, word):
    assert questions.answer_type(question) == kind
    assert questions.stands_for(question, kind) == word


def test_a_paraphrase_whose_class_noun_no_article_uses_is_answered(seed_engine):
    # Neither article says "money" or "give"; the amount it asks for is there.
    a = seed_engine.ask("How much money did the US give the White Helmets?")
    assert a.found
    c = a.citations[0]
    assert "the release of $6.6 million for the White Helmets" in " ".join(c.quote.split())  # no-break spaces
    assert c.quote[c.answer_start - c.start:c.answer_end - c.start] == "$6.6 million"


def test_a_quote_that_does_not_name_the_answer_takes_the_neighbour_that_does(tmp_path, real_embedder):
    text = ("You may have to pay extra for a good seat at Northwind Cinemas.\n\n"
            "The country's largest movie theater chain announced Monday plans to price tickets based on seat "
            "location within the auditorium.\n\nThe closer you are to the screen, the cheaper your ticket.\n")
    a = _engine_over(tmp_path, real_embedder, text).ask(
        "Which movie theater chain announced plans to price tickets based on seat location?")
    assert a.found
    c = a.citations[0]
    assert c.quote == text[c.start:c.end]
    assert c.quote.startswith("You may have to pay extra") and "announced Monday" in c.quote
    assert text[c.answer_start:c.answer_end] == "Northwind Cinemas"


def test_a_sentence_that_asks_a_question_does_not_answer_it(tmp_path, real_embedder):
    from qa.answering import asks

    assert asks("Who won big at the awards?", 0, 26)
    assert asks('He asked: "Who won big at the awards?”', 0, 39)
    assert not asks('"Who won?" she asked.', 0, 21)
    assert not asks("Who won is unclear.", 0, 19)
    text = ("Awards season.\n\nWho won best director at the Northwind Film Awards this year?\n\n"
            "The festival's jury gave best director at the Northwind Film Awards to Maria Lindqvist on Sunday.\n")
    a = _engine_over(tmp_path, real_embedder, text).ask("Who won best director at the Northwind Film Awards?")
    assert a.found
    c = a.citations[0]
    assert c.quote == text[c.start:c.end]
    assert c.quote.startswith("The festival's jury") and text[c.answer_start:c.answer_end] == "Maria Lindqvist"
    # Asking only chooses among sentences: refusal reads the same support either way.
    from qa.answering import FEATURES, answerable, support_weights

    statement = (0.6, 0.5, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    at = FEATURES.index("asks")
    question = (*statement[:at], 1.0, *statement[at + 1:])
    made = [Candidate(0, 0, 1, f, sum(w * x for w, x in zip(DEFAULT.weights, f)),
                      sum(w * x for w, x in zip(support_weights(DEFAULT.weights), f))) for f in (statement, question)]
    assert made[1].score < made[0].score and made[1].support == made[0].support
    assert answerable(made[1]) == answerable(made[0])


def test_a_name_that_other_good_sentences_repeat_is_echoed(tmp_path, fake_embedder):
    from qa import answering, questions, retrieval

    text = ("Maria Lindqvist won the Northwind award on Sunday.\n\n"
            "The jury praised Maria Lindqvist for her film.\n\n"
            "Critics had expected Jonas Berg to win the Northwind award.\n\n"
            "Maria Lindqvist thanked her crew.\n")
    engine = _engine_over(tmp_path, fake_embedder, text)
    question = "Who won the Northwind award?"
    kind = questions.answer_type(question)
    assert kind in answering.ECHOED
    found = engine._retrieve(engine.snapshot, question, None, retrieval.Filters())
    at = answering.FEATURES.index("echoed")
    echoed = {text[c.start:c.end]: c.features[at] for c in answering.candidates(engine.snapshot, found, kind)}
    # Each sentence naming Maria Lindqvist has two others that name her; Jonas Berg is named once.
    assert echoed == {"Maria Lindqvist won the Northwind award on Sunday.": 2 / 3,
                      "The jury praised Maria Lindqvist for her film.": 2 / 3,
                      "Critics had expected Jonas Berg to win the Northwind award.": 0.0,
                      "Maria Lindqvist thanked her crew.": 2 / 3}
    # A question of another type is not echoed.
    found = engine._retrieve(engine.snapshot, "When was the award won?", None, retrieval.Filters())
    assert all(c.features[at] == 0.0 for c in answering.candidates(engine.snapshot, found, questions.DATE))


def test_what_a_speaker_said_is_a_sentence_in_which_that_speaker_says_it():
    from qa.answering import speaker, voiced

    names = speaker("What did Damascus say the US was supporting?")
    assert names == {"damascus"}

    def said(sentence: str, before: str | None = None) -> bool:
        text = (before + " " if before else "") + sentence
        start = len(text) - len(sentence)
        return voiced(text, start, len(text), names, (0, start - 1) if before else None)

    # The speaker before the verb, up to twelve words before it, in any form of the verb.
    assert said("Damascus issued a scathing criticism of the US decision, accusing Washington of lying.")
    assert said("Damascus said on Monday that the money would fund terrorists.")
    assert said("“The money funds terrorists,” said Damascus in a statement.")
    # Named only as what others speak of: not the speaker.
    assert not said("The source added that Washington admitted that Damascus will regain control.")
    assert not said("Damascus regained control of the south.")
    assert not said("Damascus has repeatedly been accused of lying about the attack.")  # passive: spoken of
    # A sentence that points back at the speaker named in the sentence before.
    assert said("The government, in a long statement, claims that it is defending its people.",
                before="Damascus rejected the plan.")
    assert not said("The government, in a long statement, claims that it is defending its people.",
                    before="Moscow rejected the plan.")
    assert not said("The government, in a long statement, claims that it is defending its people.")


def test_the_sentence_in_which_the_speaker_says_it_is_quoted_first(tmp_path, fake_embedder):
    from qa import answering, questions, retrieval

    text = ("The Northwind Relief Group has repeatedly been accused of working with smugglers in the north.\n\n"
            "The Northwind Relief Group, founded in 2014 and funded by donors, says its work is rescuing "
            "civilians from collapsed buildings.\n")
    engine = _engine_over(tmp_path, fake_embedder, text)
    question = "What does the Northwind Relief Group say its work is?"
    assert questions.answer_type(question) == questions.SAID
    found = engine._retrieve(engine.snapshot, question, None, retrieval.Filters())
    at = answering.FEATURES.index("voiced")
    voiced = {text[c.start:c.end][:40]: c.features[at] for c in answering.candidates(engine.snapshot, found,
                                                                                      questions.SAID)}
    assert voiced == {"The Northwind Relief Group has repeatedl": 0.0, "The Northwind Relief Group, founded in 2": 1.0}
    a = engine.ask(question)
    assert a.found and a.citations[0].quote.startswith("The Northwind Relief Group, founded in 2014")
    assert "voiced" in answering.CHOICE_ONLY  # it chooses the quote; refusal reads the support without it


def _first_citation(tmp_path, embedder, text: str, question: str):
    """The first citation of the answer to ``question`` over one article of ``text``, checked to be answered and exact."""
    a = _engine_over(tmp_path, embedder, text).ask(question)
    assert a.found
    c = a.citations[0]
    assert c.quote == text[c.start:c.end]
    return c


def _engine_over(tmp_path, embedder, text: str):
    """An engine over one article of ``text``."""
    import qa
    from qa.engine import Engine

    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(text, encoding="utf-8")
    qa.build_index(folder, tmp_path / "index", embedder=embedder)
    return Engine.load(tmp_path / "index", embedder=embedder)


def test_the_answer_phrase_comes_from_the_chosen_sentence_not_its_context(tmp_path, fake_embedder):
    text = ("The Northwind rescuers trained 3,000 volunteers in 2015. This year the rescuers trained 400 volunteers "
            "in the north.\n")
    c = _first_citation(tmp_path, fake_embedder, text, "How many volunteers did the rescuers train this year?")
    # The sentence before joins the quote ("This year …" points back), but the answer is in the chosen one.
    assert c.quote == text.strip()
    assert text[c.answer_start:c.answer_end] == "400 volunteers"
    assert c.start <= c.answer_start < c.answer_end <= c.end


def test_a_quote_that_ends_a_quotation_holds_all_of_it():
    from qa.answering import quotation_start
    from qa.sentences import split

    text = ('The officials said the operation was near. "These are hard hours. This is the worst day of my life. '
            'I hope they rescue us soon," the member said. Then they left.\n\n“We wait.” She said.')
    spans = split(text)
    sentences = [text[s:e] for s, e in spans]
    last = sentences.index('I hope they rescue us soon," the member said.')
    assert text[quotation_start(text, spans, last):spans[last][1]] == (
        '"These are hard hours. This is the worst day of my life. I hope they rescue us soon," the member said.')
    # A sentence that opens its own quotation, or holds none, or one closed in another paragraph: unchanged.
    assert quotation_start(text, spans, sentences.index('"These are hard hours.')) is None
    assert quotation_start(text, spans, sentences.index("Then they left.")) is None
    assert quotation_start(text, spans, len(spans) - 1) is None


def test_what_someone_said_is_quoted_from_where_the_quotation_opens(tmp_path, real_embedder):
    text = ('The Northwind rescuers spoke to reporters on Monday. "These are hard hours for the Northwind rescuers. '
            'We have lost our homes. We hope to be evacuated soon," a Northwind rescuer said.\n')
    c = _first_citation(tmp_path, real_embedder, text, "What did a Northwind rescuer say?")
    assert c.quote.startswith('"These are hard hours') and c.quote.endswith("a Northwind rescuer said.")


def test_an_agent_noun_of_the_question_is_held_by_its_verb(seed_engine):
    from qa.answering import agent_verbs
    from qa.lexical import tokenize

    assert "found" in agent_verbs(tokenize("founder")[0]) and "invest" in agent_verbs(tokenize("investor")[0])
    assert "write" in agent_verbs(tokenize("writer")[0])
    assert agent_verbs(tokenize("water")[0]) == frozenset() and agent_verbs(tokenize("founded")[0]) == frozenset()
    # "founder" is what "founded by" says: the question is answered, with the founding sentence.
    answer = seed_engine.ask("Who is the founder of the White Helmets?")
    assert answer.found and "founded by" in " ".join(answer.citations[0].quote.split())
