"""The answer gate: whether the briefings answer a question at all, or the bot declines.

Two signals, because neither alone tells a near-domain question from one the
briefings answer: how close in meaning the best passage is (the dense cosine), and
how much of the question's vocabulary the collection knows at all. "How long should
I wait in A&E?" finds passages about the NHS as close in meaning as a reworded
in-scope question does, but its content words ("wait", "A&E") occur nowhere in the
briefings. A rare name the question writes out in full passes on its own
(proper_names.py): the model knows little of names.
"""

from __future__ import annotations

from dataclasses import dataclass

from stpbot.defaults import DEFAULT_MIN_COVERAGE, DEFAULT_THRESHOLD


@dataclass(frozen=True, slots=True)
class Signals:
    """What the gate looks at for one question."""

    dense: float  # the best passage's cosine (its best view)
    coverage: float  # share of the question's content words the collection holds
    named: bool  # a passage holds a rare name the question mentions


@dataclass(frozen=True, slots=True)
class Gate:
    """Answer when a passage is close enough in meaning and the collection knows enough of
    the question's words, or when the question names a rare person or body it holds."""

    threshold: float = DEFAULT_THRESHOLD
    min_coverage: float = DEFAULT_MIN_COVERAGE

    def clears(self, signals: Signals) -> bool:
        """Whether to answer at all."""
        if signals.named:
            return True
        return signals.dense >= self.threshold and signals.coverage >= self.min_coverage
