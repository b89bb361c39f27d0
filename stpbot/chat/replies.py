"""What the bot replies in chat, as data: the renderers of each platform draw these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stpbot.answers import Answer, Comparison, Summary
    from stpbot.chat.commands import Kind
    from stpbot.engine import SourceInfo
    from stpbot.glossary import Entry
    from stpbot.index.build import BuildReport
    from stpbot.topics import Topic


@dataclass(frozen=True, slots=True)
class AnswerReply:
    """A page of quotes answering a question; `offset` is the number of quotes before it."""

    answer: Answer
    record_id: str
    offset: int
    has_more: bool
    topics: tuple[Topic, ...]


@dataclass(frozen=True, slots=True)
class SummaryReply:
    summary: Summary
    record_id: str
    topics: tuple[Topic, ...]


@dataclass(frozen=True, slots=True)
class ComparisonReply:
    comparison: Comparison
    record_id: str
    topics: tuple[Topic, ...]


@dataclass(frozen=True, slots=True)
class TopicsReply:
    topics: tuple[Topic, ...]


@dataclass(frozen=True, slots=True)
class SourcesReply:
    """What the bot knows: its documents and when the index was built."""

    sources: tuple[SourceInfo, ...]
    built_at: str
    passages: int
    topics: tuple[Topic, ...]


@dataclass(frozen=True, slots=True)
class DefinitionReply:
    """A glossary entry, or (`entry` None) the terms the glossary does hold."""

    asked: str
    entry: Entry | None
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HelpReply:
    unknown: str | None
    admin: bool
    incomplete: Kind | None = None


@dataclass(frozen=True, slots=True)
class ReportLearned:
    """What the bot learned from a report an admin added in chat."""

    name: str
    title: str
    pages: int | None
    passages: int
    sample_question: str
    replaced: bool


@dataclass(frozen=True, slots=True)
class Refusal:
    """A polite no: the question is too long, the user is not an admin, and so on."""

    message: str


@dataclass(frozen=True, slots=True)
class ReindexProgress:
    """How far a reindex has got: vectors embedded of the total to embed."""

    done: int
    total: int

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


@dataclass(frozen=True, slots=True)
class ReindexOutcome:
    """How a reindex ended: a report, or the one-line reason it failed."""

    report: BuildReport | None
    error: str | None
    seconds: float


# Everything a command can reply; what the renderers of each platform draw.
Reply = (
    AnswerReply
    | SummaryReply
    | ComparisonReply
    | TopicsReply
    | SourcesReply
    | DefinitionReply
    | HelpReply
    | Refusal
)
