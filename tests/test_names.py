"""Questions about a named person or body: the passages that name them are answers."""

from __future__ import annotations

import pytest

from stpbot.index.lexical import LexicalIndex
from stpbot.retrieve.proper_names import MOST_PASSAGES, named_rows, proper_names
from tests.support import make_passage


def test_names_are_runs_of_capitalised_words_or_acronyms():
    assert proper_names("What did Paul Briddock say?") == ["Paul Briddock"]
    assert proper_names("How did HFMA respond to the King's Fund findings?") == [
        "HFMA",
        "King's Fund",
    ]
    assert proper_names("What did the Public Accounts Committee conclude?") == [
        "Public Accounts Committee"
    ]
    # One capitalised word may be anything ("Birmingham" the city); a question's
    # opening words are capitalised for no other reason.
    assert proper_names("What is the weather in Birmingham?") == []
    assert proper_names("Is it risky to wait?") == []


def _collection(texts: list[str]) -> tuple[LexicalIndex, list]:
    passages = [make_passage(text, number=i) for i, text in enumerate(texts)]
    return LexicalIndex.build(texts), passages


FILLER = [f"The board met on day {i} to discuss the plan for services." for i in range(30)]


def test_a_rare_name_points_at_the_passages_that_hold_it_word_for_word():
    texts = [
        *FILLER,
        "Policy director Paul Briddock said the sector wants an overhaul.",
        "Later, Paul Briddock added that savings were unlikely.",
        "paul briddock, in lower case, is not the name written out.",
        "Paul Briddockson chairs another committee.",
    ]
    lexical, passages = _collection(texts)
    assert named_rows("What did Paul Briddock say?", lexical, passages).tolist() == [30, 31]
    assert named_rows("What did Boris Johnson say?", lexical, passages).tolist() == []


def test_a_name_many_passages_hold_points_at_none():
    texts = [*FILLER, *(f"Acme Trust reported figure {i} this year." for i in range(12))]
    lexical, passages = _collection(texts)
    assert MOST_PASSAGES < 12
    assert named_rows("What did Acme Trust say?", lexical, passages).tolist() == []


@pytest.mark.parametrize(
    ("question", "expect"),
    [
        ("What did Paul Briddock say?", "HFMA policy director Paul Briddock said"),
        ("What did Simon Stevens say?", "Simon Stevens was right to argue"),
        ("What is Libre Advisory?", "Mike Gill is partner at Libre Advisory"),
    ],
)
def test_a_question_about_a_rare_name_is_answered_with_the_passage_naming_it(
    engine, question, expect
):
    answer = engine.ask(question)
    assert answer.answered
    assert expect in answer.quotes[0].text


def test_a_name_the_briefings_never_mention_is_still_declined(engine):
    assert not engine.ask("What did Boris Johnson say about the Olympics?").answered


def test_a_name_inside_a_longer_name_is_another_name():
    texts = [
        *FILLER,
        "The Health and Social Care Act set up clinical commissioning groups.",
        "The Care Act sets out what councils must do for carers.",
    ]
    lexical, passages = _collection(texts)
    # "Care Act" is held word for word by both, but only the second names that act.
    assert named_rows("What does the Care Act say?", lexical, passages).tolist() == [31]
    # A name after an article or a question's opening word is still the name itself.
    assert named_rows("What is The Care Act?", lexical, passages).tolist() == [31]
