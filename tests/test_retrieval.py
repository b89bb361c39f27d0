"""Retrieval quality and answer shape on the real index of the bundled briefings."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from stpbot.errors import QuestionError
from stpbot.evaluation import DEPTH, Report, load_questions, score
from stpbot.retrieve.shortlist import top_positive

# Phrases that only page furniture uses; no quote may ever contain them.
FURNITURE = re.compile(
    r"cookie|newsletter|sign up|signing up|mailing list|unsubscribe|login to access|"
    r"leave a reply|add a comment|post a comment|fill out all fields|prevent spam|"
    r"required fields|will not be (published|displayed)|read more about|categories:",
    re.IGNORECASE,
)


def test_eval_meets_the_quality_bar(engine, shared_eval):
    items = load_questions(shared_eval / "questions.jsonl")
    gate = engine.retriever.gate
    report = Report([score(item, engine.assess(item.question, k=DEPTH), gate) for item in items])
    assert report.recall(1) >= 0.85
    assert report.recall(3) >= 0.95
    assert report.abstention == 1.0
    assert report.answered_in_scope == 1.0


def test_no_passage_in_the_index_is_boilerplate(engine):
    offenders = [p.text for p in engine.index.passages if FURNITURE.search(p.text)]
    assert offenders == []


def test_answer_quotes_verbatim_with_highlight_and_attribution(engine):
    answer = engine.ask("When were STPs submitted?")
    assert answer.answered
    top = answer.quotes[0]
    assert "submitted on 21 October" in top.highlight_text
    assert top.highlight_text in top.text
    assert top.source.title.startswith("Ten quick reflections")
    assert top.locator == "para 1"
    # Verbatim: the quote is a span of the source paragraph it names.
    passage = next(p for p in engine.index.passages if p.id == top.passage_id)
    assert passage.text == top.text


@pytest.mark.parametrize(
    "question",
    ["What is the recipe for a Victoria sponge cake?", "How do I reset my Slack password?"],
)
def test_out_of_scope_questions_get_no_quotes(engine, question):
    answer = engine.ask(question)
    assert not answer.answered
    assert answer.quotes == ()


def test_top_three_span_documents_unless_one_is_named(engine):
    answer = engine.ask("What does effective engagement of local communities require?")
    docs = [q.source.id for q in answer.quotes[:3]]
    assert max(docs.count(d) for d in docs) <= 2
    named = engine.ask("What does NAVCA say about the voluntary sector and STPs?")
    assert all(q.source.publisher == "NAVCA" for q in named.quotes[:3])


def test_no_two_quotes_are_the_same_text(engine):
    answer = engine.ask("Why were patients and the public absent from STPs?", k=10)
    texts = [q.text for q in answer.quotes]
    assert len(texts) == len(set(texts))


def test_empty_and_overlong_questions_are_refused(engine):
    with pytest.raises(QuestionError, match="empty"):
        engine.ask("   ")
    with pytest.raises(QuestionError, match="limit is 2,000"):
        engine.ask("why " * 1000)


def test_summary_of_a_catalogue_topic_is_diverse_and_grouped(engine):
    summary = engine.summary("local government")
    assert summary.topic_id == "local-government"
    assert len(summary.groups) >= 2
    ids = [g.source.id for g in summary.groups]
    assert len(ids) == len(set(ids))  # one group per source
    quotes = [q.text for g in summary.groups for q in g.quotes]
    assert len(quotes) == len(set(quotes))
    assert any("council" in q.lower() for q in quotes)


def test_summary_of_free_text_and_of_nonsense(engine):
    assert engine.summary("management consultants").found
    assert not engine.summary("boiling point of water at sea level").found


def test_comparison_gives_one_quote_per_organisation(engine):
    comparison = engine.compare("voluntary-sector")
    orgs = [q.source.organisation for q in comparison.rows]
    assert len(orgs) >= 2
    assert len(orgs) == len(set(orgs))
    assert comparison.rows[0].score >= comparison.rows[-1].score


@pytest.mark.parametrize("size", [0, 10, 500, 20_000, 200_003])
@pytest.mark.parametrize("zeros", [0.0, 0.75, 0.9999])
def test_top_positive_finds_the_same_passages_as_a_full_sort(size, zeros):
    rng = np.random.default_rng(size)
    scores = rng.random(size).astype(np.float32)
    scores[rng.random(size) < zeros] = 0
    scores[rng.random(size) < 0.01] = 0.5  # ties
    found = top_positive(scores, 64)
    positive = np.flatnonzero(scores > 0)
    assert len(found) == min(64, positive.size) == len(set(found.tolist()))
    assert (scores[found] > 0).all()
    if positive.size:
        best = np.sort(scores[positive])[::-1][: len(found)]
        assert np.array_equal(np.sort(scores[found])[::-1], best)


def test_top_positive_sees_the_best_scores_in_the_last_partial_block():
    scores = np.random.default_rng(1).random(100_000 + 37).astype(np.float32) * 0.5
    scores[-37:] = 0.9  # past the last whole block of 64
    found = top_positive(scores, 64)
    assert set(range(100_000, 100_037)) <= set(found.tolist())
    assert np.array_equal(np.sort(scores[found]), np.sort(scores)[-64:])


def _pooled(engine, paths):
    from stpbot.evaluation import pooled

    gate = engine.retriever.gate
    return pooled(
        Report(
            [score(i, engine.assess(i.question, k=DEPTH), gate, p.name) for i in load_questions(p)]
        )
        for p in paths
    )


def test_the_shared_sets_pooled_hold_their_measured_figures(engine, shared_eval):
    # The figures of docs/benchmarks.md ("Quality"), less about one question each (90
    # in scope, 25 out): an install's int8 export may move a question across an edge.
    report = _pooled(engine, [shared_eval / "questions.jsonl", shared_eval / "paraphrases.jsonl"])
    assert report.recall(1) >= 0.77
    assert report.recall(3) >= 0.83
    assert report.answered_in_scope >= 0.92
    assert report.abstention >= 0.92
    assert report.of_set("questions.jsonl").recall(3) >= 0.95


@pytest.mark.parametrize(
    ("name", "floors"),
    [
        # 46 in scope and 15 out: one question is 0.022 and 0.067.
        ("own-paraphrases.jsonl", (0.65, 0.80, 0.91, 0.8)),
        # 35 in scope and 12 out, written before the changes they check: 0.029 and 0.083.
        ("own-paraphrases-2.jsonl", (0.74, 0.85, 0.91, 0.5)),
        # 35 in scope and 15 out, written by a helper that saw only the briefings, after
        # the ninth round's changes and never tuned on: 0.029 and 0.067.
        ("own-paraphrases-3.jsonl", (0.48, 0.77, 0.82, 0.8)),
    ],
)
def test_our_own_paraphrases_which_nothing_was_tuned_on(engine, name, floors):
    report = _pooled(engine, [Path(__file__).parent / "data" / name])
    recall1, recall3, answered, declined = floors
    assert report.recall(1) >= recall1
    assert report.recall(3) >= recall3
    assert report.answered_in_scope >= answered
    assert report.abstention >= declined
