"""The answer gate: whether the briefings answer a question at all, or the bot declines.

One signal, the question's support: how much of what the question says the best
passage matches, word by word. Each question word is matched against the passage's
words (and the passage's before it, which often names who or what it means) by late
interaction, and weighed by its information in English (information.py), so that the
words that carry the question decide. "How do patients apply for NHS continuing
healthcare funding?" finds passages as close in meaning as a reworded in-scope question
does, because "NHS" and "funding" match; but nothing in them matches "continuing
healthcare", and those words weigh the most. A rare name needs no rule of its own: its
pieces match the passage that holds it exactly and weigh as much as any word can.

The dense cosine of the best passage is kept beside it for reports; it does not decide.
"""

from __future__ import annotations

from dataclasses import dataclass

from stpbot.defaults import DEFAULT_THRESHOLD


@dataclass(frozen=True, slots=True)
class Signals:
    """What the gate looks at for one question."""

    support: float  # share of the question's information the best passage matches
    dense: float  # the best passage's cosine (its best view), for reports


@dataclass(frozen=True, slots=True)
class Gate:
    """Answer when the best passage matches enough of what the question says."""

    threshold: float = DEFAULT_THRESHOLD

    def clears(self, signals: Signals) -> bool:
        """Whether to answer at all."""
        return signals.support >= self.threshold
