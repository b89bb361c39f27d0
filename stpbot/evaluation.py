"""Retrieval quality on a labelled question set (JSONL: question, expect)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from stpbot.errors import StpbotError

if TYPE_CHECKING:
    from stpbot.answers import Answer

# Ranks looked at for MRR; the bot shows three.
DEPTH = 10


class LabelledQuestion(BaseModel):
    id: str | None = None
    question: str
    expect: str | None


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """How one question fared: the rank of the first passage holding `expect`."""

    item: LabelledQuestion
    answered: bool
    rank: int | None  # 1-based; None when not found in the top DEPTH

    @property
    def correct(self) -> bool:
        if self.item.expect is None:
            return not self.answered
        return self.rank == 1


@dataclass(frozen=True, slots=True)
class Report:
    results: list[QuestionResult]

    def _in_scope(self) -> list[QuestionResult]:
        return [o for o in self.results if o.item.expect is not None]

    def _out_of_scope(self) -> list[QuestionResult]:
        return [o for o in self.results if o.item.expect is None]

    def recall(self, k: int) -> float:
        scoped = self._in_scope()
        return sum(o.rank is not None and o.rank <= k for o in scoped) / max(1, len(scoped))

    @property
    def mrr(self) -> float:
        scoped = self._in_scope()
        return sum(1 / o.rank for o in scoped if o.rank) / max(1, len(scoped))

    @property
    def abstention(self) -> float:
        """Share of out-of-scope questions the bot declined to answer."""
        out = self._out_of_scope()
        return sum(not o.answered for o in out) / max(1, len(out))

    @property
    def answered_in_scope(self) -> float:
        scoped = self._in_scope()
        return sum(o.answered for o in scoped) / max(1, len(scoped))

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
    except FileNotFoundError as exc:
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


def score(item: LabelledQuestion, answer: Answer) -> QuestionResult:
    rank = None
    if item.expect is not None:
        want = normalise(item.expect)
        rank = next(
            (i for i, q in enumerate(answer.quotes, start=1) if want in normalise(q.text)), None
        )
    return QuestionResult(item=item, answered=answer.answered, rank=rank)
