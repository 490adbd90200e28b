"""The reader (qa/reading.py): the shipped cross-encoder, run on ONNX Runtime, and how answering uses it."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from qa import answering, reading, retrieval
from qa.errors import BadInputError
from qa.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "articles" / "002_e9f348a9965b8b8e.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def reader():
    r = reading.load_reader(Settings(reader=True))
    assert r is not None
    return r


def sentence(start: str) -> str:
    from qa.sentences import split

    return next(TEXT[s:e] for s, e in split(TEXT) if " ".join(TEXT[s:e].split()).startswith(start))


def test_the_shipped_reader_matches_its_record():
    folder = reading.model_path()
    assert folder == ROOT / "qa" / "models" / reading.READER_MODEL
    record = (folder / "MODEL.md").read_text(encoding="utf-8")
    assert f"`model.safetensors` sha256 `{reading.weights_hash()}`" in record
    assert (folder / "model.safetensors").stat().st_size <= 50_000_000


def test_the_reader_tells_the_sentence_that_answers_from_one_that_shares_a_word(reader):
    # Both name a number of people; only one says who is to be evacuated.
    right = sentence("The US and its allies have ramped up plans to evacuate hundreds of members")
    wrong = sentence("The evacuation is expected to take place from the small area")
    p = reader.score("How many people are going to be evacuated?", [wrong, right])
    assert p.shape == (2,) and np.all((0 <= p) & (p <= 1))
    assert p[1] > p[0]
    # Order in, order out; the same pairs again come from its cache with the same values.
    assert list(reader.score("How many people are going to be evacuated?", [right, wrong])) == [p[1], p[0]]
    assert reader.score("How many people are going to be evacuated?", []).shape == (0,)


def test_the_reader_is_asked_for_and_a_broken_cache_only_warns(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("QA_READER", raising=False)
    assert Settings().reader is False and reading.load_reader(Settings()) is None
    monkeypatch.setenv("QA_READER", "1")
    assert Settings().reader is True
    monkeypatch.setenv("QA_READER", "maybe")
    with pytest.raises(BadInputError, match="QA_READER must be 1 or 0"):
        Settings()
    monkeypatch.delenv("QA_READER")
    with pytest.raises(BadInputError, match="reader must be True or False"):
        Settings(reader="yes")  # type: ignore[arg-type]
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert reading.load_reader(Settings(reader=True, model_cache=blocked)) is None
    err = capsys.readouterr().err
    assert err.startswith("qa: warning: the reader could not be loaded") and err.count("\n") == 1


class Prefers:
    """A reader that likes sentences holding ``word``."""

    def __init__(self, word: str) -> None:
        self.word, self.calls = word, []

    def score(self, question: str, sentences: list[str]) -> np.ndarray:
        self.calls.append(question)
        return np.array([0.99 if self.word in s else 0.01 for s in sentences])


ALWAYS = dataclasses.replace(answering.DEFAULT, read_margin=math.inf)  # read every question


def test_the_reader_chooses_the_quote_but_not_whether_to_answer(seed_engine):
    snap = seed_engine.snapshot
    question = "Who founded the White Helmets?"
    found = seed_engine._retrieve(snap, question, None, retrieval.Filters())
    plain = answering.answer(snap, question, found)
    read = answering.answer(snap, question, found, reader=Prefers("Turkey"), params=ALWAYS)
    assert plain.found and read.found
    assert "Turkey" in read.citations[0].quote and "Turkey" not in plain.citations[0].quote
    # Refusal reads support, which the reader does not touch.
    cands = answering.candidates(snap, found, "person")
    reread = answering.read(snap, question, cands, Prefers("Turkey"))
    assert sorted(c.support for c in reread) == sorted(c.support for c in cands)
    assert {c.features[answering.READ] for c in reread} <= {0.99, 0.01}


def test_the_reader_reads_only_where_the_features_leave_the_choice_open(seed_engine):
    snap = seed_engine.snapshot
    question = "Who founded the White Helmets?"
    found = seed_engine._retrieve(snap, question, None, retrieval.Filters())
    cands = [c for c in answering.candidates(snap, found, "person", head=retrieval.HEAD)
             if c.chunk in {int(i) for i in found.order[:answering.TOP_PASSAGES]}]
    margin = cands[0].score - cands[1].score
    for read_margin, reads in [(margin, False), (math.nextafter(margin, math.inf), True)]:
        prefers = Prefers("Turkey")
        params = dataclasses.replace(answering.DEFAULT, read_margin=read_margin)
        answering.answer(snap, question, found, reader=prefers, params=params)
        assert prefers.calls == ([question] if reads else [])


def test_a_follow_up_is_not_read_on_its_own(seed_engine, monkeypatch):
    monkeypatch.setattr(answering, "undecided", lambda cands, params=None: True)
    prefers = Prefers("Turkey")
    engine = replace_reader(seed_engine, prefers)
    engine.ask("When was it founded?", history=["Who founded the White Helmets?"])
    assert prefers.calls == []  # "it" means nothing to the reader
    engine.ask("When were the White Helmets founded?")
    assert prefers.calls == ["When were the White Helmets founded?"]


def replace_reader(engine, reader):
    from qa.engine import Engine

    return Engine(engine.index, engine.snapshot, embedder=engine.embedder, settings=engine.settings, reader=reader)


def test_the_issues_first_example_quotes_the_evacuation_not_the_death_toll(seed_engine, reader):
    assert seed_engine.reader is None  # off unless asked for (Settings.reader, QA_READER=1)
    a = replace_reader(seed_engine, reader).ask("How many people are going to be evacuated?")
    c = a.citations[0]
    assert "hundreds of members of the White Helmets" in " ".join(c.quote.split())
    assert c.quote[c.answer_start - c.start:c.answer_end - c.start] == "hundreds of\u00a0members"
    # The other article's death toll shares the words but not the meaning: not a second account.
    assert not any("9,600" in x.quote for x in a.citations)
