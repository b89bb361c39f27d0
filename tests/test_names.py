"""Questions about a named person or body: the passages that name them are answers."""

from __future__ import annotations

import pytest

from stpbot.index.lexical import LexicalIndex
from stpbot.retrieve.proper_names import (
    MOST_PASSAGES,
    NameRun,
    named_rows,
    unwritten_mask,
    unwritten_names,
)
from tests.support import make_passage


def _collection(texts: list[str]) -> tuple[LexicalIndex, list]:
    passages = [make_passage(text, number=i) for i, text in enumerate(texts)]
    return LexicalIndex.build(texts), passages


FILLER = [f"The board met on day {i} to discuss the plan for services." for i in range(30)]
# What a model's vocabulary might hold: common words and first names, no rare surnames.
KNOWN = frozenset(
    [
        "who",
        "is",
        "what",
        "did",
        "say",
        "paul",
        "the",
        "social",
        "care",
        "act",
        "birmingham",
        "council",
    ]
)


def known(word: str) -> bool:
    return word.lower() in KNOWN


def test_a_name_typed_in_lower_case_is_found_when_the_model_does_not_know_it():
    texts = [*FILLER, "Policy director Paul Briddock said the sector wants an overhaul."]
    lexical, passages = _collection(texts)
    assert named_rows("who is paul briddock", lexical, passages, known=known).tolist() == [30]
    assert named_rows("What did PAUL BRIDDOCK say?", lexical, passages).tolist() == [30]


def test_a_common_phrase_in_lower_case_is_not_the_name_a_passage_capitalises():
    texts = [*FILLER, "The Health and Social Care Act set up clinical commissioning groups."]
    lexical, passages = _collection(texts)
    question = "what does the council pay for social care act now"
    assert named_rows(question, lexical, passages, known=known).tolist() == []
    assert named_rows(question.title(), lexical, passages, known=known).tolist() == [30]


def test_one_capitalised_word_is_not_a_name():
    texts = [*FILLER, "Birmingham City Council chief executive Mark Rogers spoke."]
    lexical, passages = _collection(texts)
    assert named_rows("What is the weather in Birmingham?", lexical, passages).tolist() == []
    assert named_rows("What did Birmingham City Council say?", lexical, passages).tolist() == [30]


def test_an_acronym_the_glossary_defines_is_vocabulary_not_a_name():
    texts = [*FILLER, "Voluntary sector engagement is best between NAVCA members and CCGs."]
    lexical, passages = _collection(texts)

    def defined(term: str) -> bool:
        return term.rstrip("s") == "CCG"

    assert named_rows("How many CCGs are there?", lexical, passages, defined).tolist() == []
    assert named_rows("What do NAVCA members say?", lexical, passages, defined).tolist() == [30]


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
        ("who is paul briddock", "HFMA policy director Paul Briddock said"),
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


def test_a_name_may_open_with_a_number_but_not_with_a_year():
    texts = [
        *FILLER,
        "Both campaign group 38 Degrees and Healthwatch raised concerns.",
        "In 2016 Healthwatch England asked for more say.",
    ]
    lexical, passages = _collection(texts)
    assert named_rows("Who are 38 Degrees?", lexical, passages).tolist() == [30]
    assert named_rows("What happened in 2016 Healthwatch?", lexical, passages).tolist() == []


def test_a_number_inside_a_name_keeps_it_whole():
    texts = [*FILLER, "Even the Radio 4 Today programme covers its reports."]
    lexical, passages = _collection(texts)
    assert named_rows("Does Radio 4 Today cover it?", lexical, passages).tolist() == [30]
    # The tail of a year is not a number of a name.
    assert named_rows("What did the 2012 Act do?", lexical, passages).tolist() == []


def test_the_words_of_a_name_nothing_writes_are_unwritten():
    texts = [*FILLER, "Both 38 Degrees and the Nuffield Trust reviewed the plans."]
    lexical, passages = _collection(texts)
    captions = "Ten reflections / Chris Hopson"

    def unwritten(question: str) -> list[str]:
        names = unwritten_names(question, lexical, passages, captions)
        return sorted(p for n in names for p, u in zip(n.pieces, n.unwritten, strict=True) if u)

    assert unwritten("What did Jeremy Hunt say about the plans?") == ["hunt", "jeremy"]
    assert unwritten("What did Jeremy Hunt's team say?") == ["hunt", "jeremy", "s"]
    # Two names the collection writes, run together; a document's author.
    assert unwritten("38 Degrees Nuffield Trust reviews") == []
    assert unwritten("What is Chris Hopson's view?") == []
    # Half a name written elsewhere is not the name: "Nuffield Review" is another body.
    assert unwritten("What did the Nuffield Review find?") == ["nuffield", "review"]
    # One capitalised word says nothing; nor do the capitals of a shouted question.
    assert unwritten("What did Hunt say?") == []
    assert unwritten("WHAT DID JEREMY HUNT SAY?") == []
    assert unwritten("What Did Jeremy Hunt Say?") == []


def test_only_the_tokens_of_the_name_itself_count_as_unwritten():
    name = NameRun(("county", "stroke", "alliance"), (True, True, True))
    # "What did the County Stroke Alliance say about the stroke unit?", word by token.
    words = ["what", "did", "the", "county", "stroke", "all", "all", "say", "the", "stroke"]
    words[5:7] = ["alliance", "alliance"]  # one word in two pieces
    assert unwritten_mask([name], words).tolist() == [
        *[False] * 3,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert not unwritten_mask([name], ["stroke", "alliance"]).any()


def test_a_year_nothing_writes_is_unwritten_like_a_name():
    texts = [*FILLER, "In 2016 the plans were published for 2017/18."]
    lexical, passages = _collection(texts)

    def unwritten(question: str) -> list[str]:
        names = unwritten_names(question, lexical, passages, "")
        return sorted(p for n in names for p, u in zip(n.pieces, n.unwritten, strict=True) if u)

    assert unwritten("How many beds were lost since 2010?") == ["2010"]
    assert unwritten("What was spent in 2019/20?") == ["20", "2019"]
    assert unwritten("What happened in 2016?") == []
    assert unwritten("WHAT IS THE BUDGET FOR 2017/18?") == []
    assert unwritten("WHAT IS THE BUDGET FOR 2011?") == ["2011"]
