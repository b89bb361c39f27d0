"""The gate's constants chosen on labelled questions, and cross-validated so that a
choice cannot hide in-sample: each fold's questions are scored under a gate chosen on
the other folds only."""

from __future__ import annotations

import random
from dataclasses import dataclass

from stpbot.evaluation import QuestionResult, Report
from stpbot.retrieve.gate import Gate

# The thresholds the gate is chosen among: supports in steps of 0.01.
THRESHOLDS = tuple(round(0.20 + 0.01 * i, 2) for i in range(71))
REPEATS = 5  # cross-validation is repeated with this many shuffles and averaged


def choose_gate(results: list[QuestionResult]) -> Gate:
    """The gate that answers the most in-scope and declines the most out-of-scope
    questions; of equal ones, the median, not the edge of the best region."""
    import numpy as np

    support = np.array([r.signals.support for r in results])
    scope = np.array([r.in_scope for r in results])
    cuts = np.array(THRESHOLDS)[:, None]
    answered = support >= cuts  # answered[t, i]: would threshold t answer question i?
    inside = answered[:, scope].mean(axis=1) if scope.any() else np.zeros(len(THRESHOLDS))
    outside = (~answered[:, ~scope]).mean(axis=1) if (~scope).any() else 0.0
    score = inside + outside
    best = np.flatnonzero(score >= score.max() - 1e-9)
    return Gate(threshold=float(THRESHOLDS[int(best[len(best) // 2])]))


def _folds(results: list[QuestionResult], k: int, seed: int) -> list[list[int]]:
    """Indices of `results` in `k` folds, stratified by set and by scope."""
    strata: dict[tuple[str, bool], list[int]] = {}
    for i, result in enumerate(results):
        strata.setdefault((result.set_name, result.in_scope), []).append(i)
    folds: list[list[int]] = [[] for _ in range(k)]
    shuffle = random.Random(seed)
    at = 0
    for key in sorted(strata):
        members = strata[key]
        shuffle.shuffle(members)
        for i in members:
            folds[at % k].append(i)
            at += 1
    return folds


@dataclass(frozen=True, slots=True)
class CrossValidation:
    """Metrics of questions scored under gates chosen without them, averaged over repeats."""

    k: int
    metrics: dict[str, float]
    gates: list[Gate]  # every fold's choice, to show how much it moves


def cross_validate(results: list[QuestionResult], k: int) -> CrossValidation:
    """K-fold cross-validated metrics of choosing the gate on the rest (see module doc)."""
    if k < 2 or k > len(results):
        raise ValueError(f"cross-validation needs 2 to {len(results)} folds, not {k}")
    runs: list[dict[str, float | int]] = []
    gates: list[Gate] = []
    for seed in range(REPEATS):
        held_out: list[QuestionResult] = []
        for fold in _folds(results, k, seed):
            inside = set(fold)
            gate = choose_gate([r for i, r in enumerate(results) if i not in inside])
            gates.append(gate)
            held_out.extend(results[i].gated(gate) for i in fold)
        runs.append(Report(held_out).metrics())
    keys = [key for key, value in runs[0].items() if isinstance(value, float)]
    mean = {key: round(sum(float(run[key]) for run in runs) / len(runs), 4) for key in keys}
    return CrossValidation(k, mean, gates)
