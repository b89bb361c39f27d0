"""What retrieval hands on: scored passages (`Hit`), a pool that makes them lazily, and
a question's assessment (its best passages and the gate's signals)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import numpy as np

    from stpbot.chunk.chunking import Passage
    from stpbot.documents import Source
    from stpbot.retrieve.gate import Signals


@dataclass(frozen=True, slots=True, eq=False)
class Hit:
    """A passage scored for one query, with the sentence that matched best."""

    passage: Passage
    source: Source
    score: float
    dense: float
    lexical: float
    row: int
    # Cosine of each sentence alone (empty for a one-sentence passage), and the
    # question's words: enough to pick the highlight when, and only if, it is shown.
    sentence_scores: np.ndarray | tuple[float, ...] = ()
    words: frozenset[str] = frozenset()

    @property
    def highlight(self) -> tuple[int, int]:
        spans = self.passage.sentences
        if len(spans) < 2 or len(self.sentence_scores) != len(spans):
            return spans[0]
        best, choice = -1.0, spans[0]
        for (a, b), sim in zip(spans, map(float, self.sentence_scores), strict=True):
            # Shared words break near-ties in favour of the sentence a reader expects.
            overlap = len(self.words & words_of(self.passage.text[a:b])) / max(1, len(self.words))
            if sim + 0.1 * overlap > best:
                best, choice = sim + 0.1 * overlap, (a, b)
        return choice

    @property
    def highlight_text(self) -> str:
        a, b = self.highlight
        return self.passage.text[a:b]


def words_of(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2)


class Pool:
    """Candidate passages, best first; each becomes a Hit the first time it is looked at.

    `support` measures how much of the question a passage (by its position in the
    pool) matches, for the gate; it is asked of the first only.
    """

    def __init__(
        self,
        rows: np.ndarray,
        dense: np.ndarray,
        make: Callable[[int], Hit],
        support: Callable[[int], float],
    ) -> None:
        self.rows = rows
        self.dense = dense
        self._make = make
        self._support = support
        self._made: list[Hit] = []

    def __len__(self) -> int:
        return int(self.rows.size)

    def signals(self) -> Signals:
        from stpbot.retrieve.gate import Signals

        if not self.rows.size:
            return Signals(support=0.0, dense=-1.0)
        return Signals(support=self._support(0), dense=float(self.dense.max()))

    def __iter__(self) -> Iterator[Hit]:
        for i in range(len(self)):
            if i == len(self._made):
                self._made.append(self._make(i))
            yield self._made[i]


@dataclass(frozen=True, slots=True)
class Assessment:
    """A question's best passages before the gate, and the signals the gate reads."""

    hits: list[Hit]
    signals: Signals
