"""Retrieval quality on labelled question sets (JSONL: question, expect)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from stpbot.errors import StpbotError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from stpbot.retrieve.gate import Gate, Signals
    from stpbot.retrieve.hits import Assessment

# Ranks looked at for MRR; the bot shows three.
DEPTH = 10


class LabelledQuestion(BaseModel):
    id: str | None = None
    question: str
    expect: str | None


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """How one question fared: where the first passage holding `expect` ranks among those
    the bot would show, what the gate saw, and whether it answered."""

    item: LabelledQuestion
    rank: int | None  # 1-based, before the gate; None when not in the top DEPTH
    signals: Signals
    answered: bool
    set_name: str = ""

    @property
    def in_scope(self) -> bool:
        return self.item.expect is not None

    @property
    def correct(self) -> bool:
        if not self.in_scope:
            return not self.answered
        return self.answered and self.rank == 1

    def shown_at(self, k: int) -> bool:
        """Whether the expected passage is among the first `k` the bot shows."""
        return self.answered and self.rank is not None and self.rank <= k

    def gated(self, gate: Gate) -> QuestionResult:
        """The same question under another gate."""
        return replace(self, answered=gate.clears(self.signals))


@dataclass(frozen=True, slots=True)
class Report:
    results: list[QuestionResult]

    def _in_scope(self) -> list[QuestionResult]:
        return [o for o in self.results if o.in_scope]

    def _out_of_scope(self) -> list[QuestionResult]:
        return [o for o in self.results if not o.in_scope]

    def recall(self, k: int) -> float:
        """Share of in-scope questions answered with the expected passage in the top `k`."""
        scoped = self._in_scope()
        return sum(o.shown_at(k) for o in scoped) / max(1, len(scoped))

    @property
    def mrr(self) -> float:
        scoped = self._in_scope()
        return sum(1 / o.rank for o in scoped if o.rank and o.answered) / max(1, len(scoped))

    @property
    def abstention(self) -> float:
        """Share of out-of-scope questions the bot declined to answer."""
        out = self._out_of_scope()
        return sum(not o.answered for o in out) / max(1, len(out))

    @property
    def answered_in_scope(self) -> float:
        scoped = self._in_scope()
        return sum(o.answered for o in scoped) / max(1, len(scoped))

    def gated(self, gate: Gate) -> Report:
        """The same questions under another gate."""
        return Report([o.gated(gate) for o in self.results])

    def of_set(self, name: str) -> Report:
        return Report([o for o in self.results if o.set_name == name])

    def metrics(self) -> dict[str, float | int]:
        return {
            "questions": len(self.results),
            "in_scope": len(self._in_scope()),
            "out_of_scope": len(self._out_of_scope()),
            "recall@1": round(self.recall(1), 4),
            "recall@3": round(self.recall(3), 4),
            "mrr": round(self.mrr, 4),
            "answered_in_scope": round(self.answered_in_scope, 4),
            "abstention_accuracy": round(self.abstention, 4),
        }


_QUOTES = str.maketrans("’‘“”", "''\"\"")


def normalise(text: str) -> str:
    """Lower case, straight quotes, single spaces: how `expect` is matched."""
    text = text.lower().translate(_QUOTES)
    return re.sub(r"\s+", " ", text).strip()


def load_questions(path: Path) -> list[LabelledQuestion]:
    """Parse a JSONL question file; raises `StpbotError` naming the first bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise StpbotError(f"question file {path} does not exist") from exc
    except UnicodeDecodeError as exc:
        raise StpbotError(f"question file {path} is not UTF-8 text") from exc
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(LabelledQuestion.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise StpbotError(f"{path}:{number} is not a question record: {exc}") from exc
    if not items:
        raise StpbotError(f"question file {path} holds no questions")
    return items


def score(
    item: LabelledQuestion, found: Assessment, gate: Gate, set_name: str = ""
) -> QuestionResult:
    """How `item` fared, from the engine's assessment of its question, under `gate`."""
    rank = None
    if item.expect is not None:
        want = normalise(item.expect)
        texts = (hit.passage.text for hit in found.hits)
        rank = next((i for i, text in enumerate(texts, start=1) if want in normalise(text)), None)
    return QuestionResult(item, rank, found.signals, gate.clears(found.signals), set_name)


def pooled(reports: Iterable[Report]) -> Report:
    """One report of every question in `reports`."""
    return Report([result for report in reports for result in report.results])
