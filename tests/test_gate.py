"""The answer gate, and choosing its constants without fooling ourselves: a grid chosen
in-sample, and cross-validation that scores each question under a gate chosen without it."""

from __future__ import annotations

import json

import pytest

from stpbot.calibration import _folds, choose_gate, cross_validate
from stpbot.evaluation import LabelledQuestion, QuestionResult, Report
from stpbot.retrieve.gate import Gate, Signals

REPORT = """\
---
title: Engagement on the local plan
publisher: Wessex Healthwatch
---
Residents were not consulted on the plan before it was published in the autumn.

The council asked for a formal consultation on the proposed hospital changes.
"""


def test_the_gate_needs_meaning_and_vocabulary_or_a_rare_name():
    gate = Gate(threshold=0.45, min_coverage=0.6)
    assert gate.clears(Signals(dense=0.50, coverage=0.8, named=False))
    assert not gate.clears(Signals(dense=0.50, coverage=0.4, named=False))  # words unknown
    assert not gate.clears(Signals(dense=0.40, coverage=1.0, named=False))  # too far off
    assert gate.clears(Signals(dense=0.20, coverage=0.2, named=True))  # a rare name


def test_words_the_briefings_never_use_decline_a_near_domain_question(tmp_path, embedder):
    from stpbot.engine import Engine
    from stpbot.index.build import build_index

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "plan.md").write_text(REPORT, encoding="utf-8")
    build_index(knowledge, tmp_path / "index", embedder)
    engine = Engine.open(
        knowledge_dir=knowledge,
        index_dir=tmp_path / "index",
        embedder=embedder,
        gate=Gate(threshold=0.30, min_coverage=0.6),
    )
    inside = engine.assess("Were residents consulted on the plan?")
    outside = engine.assess("How long should patients wait for an ambulance on a weekend?")
    assert inside.signals.coverage == 1.0 and outside.signals.coverage < 0.6
    assert engine.ask("Were residents consulted on the plan?").answered
    assert not engine.ask("How long should patients wait for an ambulance on a weekend?").answered


def _result(expect, dense, coverage, set_name="a", rank=1):
    item = LabelledQuestion(question="q", expect=expect)
    return QuestionResult(
        item, rank if expect else None, Signals(dense, coverage, False), True, set_name
    )


def test_the_chosen_gate_is_the_middle_of_the_best_region_not_its_edge():
    # In scope at cosine 0.50 and above, out of scope at 0.40 and below: every cut
    # from 0.41 to 0.50 separates them; the choice is the middle, not 0.41 or 0.50.
    results = [_result("x", d, 1.0) for d in (0.50, 0.55, 0.60)]
    results += [_result(None, d, 1.0) for d in (0.30, 0.35, 0.40)]
    gate = choose_gate(results)
    assert 0.44 <= gate.threshold <= 0.47
    report = Report(results).gated(gate)
    assert report.answered_in_scope == 1.0 and report.abstention == 1.0


def test_coverage_is_used_only_when_it_separates():
    results = [_result("x", 0.6, c) for c in (0.8, 0.9, 1.0)]
    results += [_result(None, 0.6, c) for c in (0.2, 0.3, 0.5)]  # as close in meaning
    gate = choose_gate(results)
    assert 0.5 < gate.min_coverage <= 0.8
    assert Report(results).gated(gate).abstention == 1.0


def test_folds_are_stratified_by_set_and_scope_and_repeatable():
    results = [_result("x", 0.5, 1, "a") for _ in range(10)]
    results += [_result(None, 0.3, 1, "a") for _ in range(5)]
    results += [_result("x", 0.5, 1, "b") for _ in range(5)]
    folds = _folds(results, 5, seed=1)
    assert sorted(i for fold in folds for i in fold) == list(range(20))
    for fold in folds:
        assert sum(results[i].item.expect is None for i in fold) == 1
        assert sum(results[i].set_name == "b" for i in fold) == 1
    assert folds == _folds(results, 5, seed=1)


def test_cross_validation_is_no_better_than_in_sample_on_noise():
    import random

    draw = random.Random(7)
    results = [_result("x", draw.uniform(0.3, 0.6), draw.random()) for _ in range(40)]
    results += [_result(None, draw.uniform(0.3, 0.6), draw.random()) for _ in range(40)]
    inside = Report(results).gated(choose_gate(results))
    validated = cross_validate(results, 5)
    in_sample = inside.answered_in_scope + inside.abstention
    held_out = validated.metrics["answered_in_scope"] + validated.metrics["abstention_accuracy"]
    assert held_out < in_sample  # tuning on noise looks good only in-sample
    assert len(validated.gates) == 5 * 5
    with pytest.raises(ValueError, match="folds"):
        cross_validate(results, 1)


def test_eval_prints_a_line_per_file_a_pooled_line_and_the_cross_validated_one(
    run_cli, built, tmp_path
):
    knowledge, index = built
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(
        '{"question": "When were STPs submitted?", "expect": "submitted on 21 October"}\n'
        '{"question": "What is the boiling point of water?", "expect": null}\n'
    )
    second.write_text(
        '{"question": "Who is Rhion Jones?", "expect": "leading authority on Public"}\n'
        '{"question": "Who won the football World Cup in 2018?", "expect": null}\n'
    )
    args = ["eval", str(first), str(second), "--cv", "2"]
    table = run_cli(*args, knowledge=knowledge, index=index)
    assert table.returncode == 0, table.stderr
    names = [line.split()[0] for line in table.stdout.splitlines()[1:5]]
    assert names == ["first.jsonl", "second.jsonl", "pooled", "pooled,"]
    assert "gate in use: cosine >= " in table.stdout
    data = json.loads(run_cli(*args, "--json", knowledge=knowledge, index=index).stdout)
    assert set(data["sets"]) == {
        "first.jsonl",
        "second.jsonl",
        "pooled",
        "pooled, 2-fold CV",
        "pooled, gate chosen in-sample",
    }
    assert data["sets"]["pooled"]["questions"] == 4
    assert data["sets"]["pooled"]["recall@1"] == 1.0
