"""Keyword search: the one-query tokenizer agrees with the batch one the index uses."""

from __future__ import annotations

import json

import numpy as np

from stpbot.index.lexical import LexicalIndex, query_tokens, tokenize
from tests.support import KNOWLEDGE

ODD = [
    "",
    "   ",
    "The NHS's 'five year forward view' (5YFV), 2016/17!",
    "Café naïve coöperation — STPs’ footprints; e-mail, A&E, GP-led",
    "ΑΒΓ δέλτα 東京 x y zz",
]


def test_query_tokens_match_the_index_tokenizer_on_every_briefing_line_and_question():
    texts = [
        line for path in KNOWLEDGE.glob("*.md") for line in path.read_text("utf-8").splitlines()
    ]
    texts += ODD
    assert len(texts) > 200
    assert [query_tokens(t) for t in texts] == tokenize(texts)


def test_scores_rank_the_passage_with_the_rare_word_first():
    index = LexicalIndex.build(
        ["Beds were cut in the acute hospital.", "Pharmacists joined the board.", "Beds."]
    )
    scores = index.scores(query_tokens("which pharmacists joined?"))
    assert scores.argmax() == 1 and scores[0] == scores[2] == 0
    assert not index.scores(query_tokens("zebra")).any()


def test_scores_equal_bm25s_own_for_every_question(engine, shared_eval):
    lexical = engine.retriever.index.lexical
    questions = [
        json.loads(line)["question"]
        for path in sorted(shared_eval.glob("*.jsonl"))
        for line in path.open(encoding="utf-8")
    ]
    questions += ["plans plans plans", "public engagement in the STP footprint", *ODD]
    for question in questions:
        tokens = [t for t in query_tokens(question) if t in lexical._model.vocab_dict]
        ours = lexical.scores(query_tokens(question))
        theirs = lexical._model.get_scores(tokens) if tokens else 0 * ours
        assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-6), question
