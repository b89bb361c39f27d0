"""The answer gate, and choosing its constants without fooling ourselves: a grid chosen
in-sample, and cross-validation that scores each question under a gate chosen without it."""

from __future__ import annotations

import json

import pytest

from stpbot.calibration import _folds, choose_gate, cross_validate
from stpbot.evaluation import LabelledQuestion, QuestionResult, Report
from stpbot.retrieve.gate import Gate, Signals
from tests.support import engine_over

REPORT = """\
---
title: Engagement on the local plan
publisher: Wessex Healthwatch
---
Residents were not consulted on the plan before it was published in the autumn.

The council asked for a formal consultation on the proposed hospital changes.
"""


REPORT_WITH_A_NAME = """\
---
title: The hospital plan
publisher: Wessex Healthwatch
---
The trust will consult residents on moving the stroke unit to the county hospital.

The chief executive, Dame Alice Pemberton-Smyth, said the move would save lives.

Parking at the county hospital will be free for patients' visitors from the spring.
"""


def test_the_gate_reads_support_and_not_the_cosine():
    gate = Gate(threshold=0.5)
    assert gate.clears(Signals(support=0.6, dense=0.2))
    assert not gate.clears(Signals(support=0.4, dense=0.9))  # close in meaning, unmatched


def _engine(tmp_path, embedder, text):
    return engine_over(tmp_path, embedder, {"plan.md": text})


def test_a_near_domain_question_whose_key_words_nothing_matches_is_declined(tmp_path, embedder):
    engine = _engine(tmp_path, embedder, REPORT)
    inside = engine.assess("Were residents consulted on the plan?")
    outside = engine.assess("How long should patients wait for an ambulance on a weekend?")
    assert inside.signals.support > outside.signals.support
    assert engine.ask("Were residents consulted on the plan?").answered
    assert not engine.ask("How long should patients wait for an ambulance on a weekend?").answered


def test_a_rare_name_is_matched_word_for_word_and_carries_the_question(tmp_path, embedder):
    engine = _engine(tmp_path, embedder, REPORT_WITH_A_NAME)
    for question in ("What did Alice Pemberton-Smyth say?", "what did pemberton-smyth say"):
        answer = engine.ask(question)
        assert answer.answered, question
        assert "Pemberton-Smyth" in answer.quotes[0].text
    # The same shape of question about someone the report never names is declined.
    assert not engine.ask("What did Rupert Attenborough-Clegg say?").answered
    # Near the report's subject, but its key words are nowhere in it.
    assert not engine.ask("What are the purdah rules for the consultation?").answered


def test_a_name_the_briefings_never_write_counts_as_unmatched(tmp_path, embedder):
    engine = _engine(tmp_path, embedder, REPORT_WITH_A_NAME)
    gate = engine.retriever.gate
    about = "What did {} say about the stroke unit?"
    assert gate.clears(engine.assess(about.format("Dame Alice Pemberton-Smyth")).signals)
    # A body the report never names, in words it uses: "county" and "stroke" match.
    assert not gate.clears(engine.assess(about.format("the County Stroke Alliance")).signals)
    # Typed in capitals, a question's capitals tell nothing: it is not declined for them.
    shouted = about.format("Dame Alice Pemberton-Smyth").upper()
    assert gate.clears(engine.assess(shouted).signals)


QUOTE_RUNNING_ON = """\
---
title: The hospital plan
publisher: Wessex Healthwatch
---
The chief executive, Dame Alice Pemberton-Smyth, said: ‘We have listened to residents.

‘We will publish the plan in full next month and hold open meetings in every town.’

She added: ‘Nobody will lose a service without a full public consultation first.’

Parking at the county hospital will be free for visitors from the spring.
"""


def test_a_quote_running_on_counts_as_its_speaker_s_words_at_the_gate(tmp_path, embedder):
    # The third paragraph is hers, though neither it nor the one before names her.
    engine = _engine(tmp_path, embedder, QUOTE_RUNNING_ON)
    question = "what did pemberton-smyth promise about losing services"
    answer = engine.ask(question)
    assert answer.answered
    assert answer.quotes[0].text.startswith("She added: ‘Nobody will lose a service")


def _result(expect, support, set_name="a", rank=1):
    item = LabelledQuestion(question="q", expect=expect)
    return QuestionResult(item, rank if expect else None, Signals(support, 0.5), True, set_name)


def test_the_chosen_gate_is_the_middle_of_the_best_region_not_its_edge():
    # In scope at support 0.50 and above, out of scope at 0.40 and below: every cut
    # from 0.41 to 0.50 separates them; the choice is the middle, not 0.41 or 0.50.
    results = [_result("x", d) for d in (0.50, 0.55, 0.60)]
    results += [_result(None, d) for d in (0.30, 0.35, 0.40)]
    gate = choose_gate(results)
    assert 0.44 <= gate.threshold <= 0.47
    report = Report(results).gated(gate)
    assert report.answered_in_scope == 1.0 and report.abstention == 1.0


def test_folds_are_stratified_by_set_and_scope_and_repeatable():
    results = [_result("x", 0.5, "a") for _ in range(10)]
    results += [_result(None, 0.3, "a") for _ in range(5)]
    results += [_result("x", 0.5, "b") for _ in range(5)]
    folds = _folds(results, 5, seed=1)
    assert sorted(i for fold in folds for i in fold) == list(range(20))
    for fold in folds:
        assert sum(results[i].item.expect is None for i in fold) == 1
        assert sum(results[i].set_name == "b" for i in fold) == 1
    assert folds == _folds(results, 5, seed=1)


def test_cross_validation_is_no_better_than_in_sample_on_noise():
    import random

    draw = random.Random(7)
    results = [_result("x", draw.uniform(0.3, 0.6)) for _ in range(40)]
    results += [_result(None, draw.uniform(0.3, 0.6)) for _ in range(40)]
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
    assert "gate in use: support >= " in table.stdout
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
