"""What the bot does with a chat message or command, whatever the chat platform.

Slack and Teams listeners turn their events into calls here and render the
replies; everything a second frontend would need lives in this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from stpbot.commands import Command, Kind
from stpbot.errors import QuestionError
from stpbot.memory import Conversations

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from stpbot.answers import Answer, Comparison, Summary
    from stpbot.engine import SourceInfo
    from stpbot.feedback import FeedbackStore
    from stpbot.host import EngineHost, ReindexOutcome, ReindexProgress
    from stpbot.topics import Topic

PAGE = 3
MAX_PASSAGES = 12


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
class HelpReply:
    unknown: str | None
    admin: bool
    incomplete: Kind | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """A polite no: the question is too long, the user is not an admin, and so on."""

    message: str


Reply = AnswerReply | SummaryReply | ComparisonReply | TopicsReply | SourcesReply | HelpReply
Outcome = Reply | Refusal

NOT_ADMIN = "Only the bot's admins can rebuild the index. Ask one of them to run it."
REINDEX_BUSY = "A rebuild is already running; its message will show when it is done."
GONE = "That answer has expired. Please ask the question again."


def _refusal(error: QuestionError) -> Refusal:
    text = str(error)
    return Refusal(text[:1].upper() + text[1:] + ".")


class ChatBot:
    """The bot's behaviour in chat: answers, pages, summaries, votes and admin jobs."""

    def __init__(
        self,
        host: EngineHost,
        feedback: FeedbackStore,
        *,
        frontend: str,
        admins: Collection[str] = (),
    ) -> None:
        self.host = host
        self.feedback = feedback
        self.frontend = frontend
        self.admins = frozenset(admins)
        self.conversations = Conversations()

    def is_admin(self, user: str) -> bool:
        return user in self.admins

    @property
    def topics(self) -> tuple[Topic, ...]:
        return tuple(self.host.engine.topics)

    def _page(
        self, question: str, previous: str | None, offset: int, kind: str = "ask"
    ) -> AnswerReply:
        engine = self.host.engine
        answer = engine.ask(question, k=min(offset + PAGE + 1, MAX_PASSAGES), previous=previous)
        page = answer.quotes[offset : offset + PAGE]
        shown = type(answer)(question=answer.question, quotes=page)
        record = self.feedback.record(
            frontend=self.frontend,
            kind=kind,
            question=answer.question,
            passage_ids=[q.passage_id for q in page],
            previous=previous,
            offset=offset,
        )
        has_more = len(answer.quotes) > offset + PAGE and offset + PAGE < MAX_PASSAGES
        return AnswerReply(shown, record, offset, has_more, tuple(engine.topics))

    def ask(self, question: str, conversation: str | None = None) -> AnswerReply | Refusal:
        """Answer a question; in a known conversation, earlier questions give it context."""
        previous = self.conversations.previous(conversation) if conversation else None
        try:
            reply = self._page(question, previous, 0)
        except QuestionError as exc:
            return _refusal(exc)
        if conversation and reply.answer.answered:
            self.conversations.remember(conversation, reply.answer.question)
        return reply

    def more(self, record_id: str) -> AnswerReply | Refusal:
        """The next page of quotes after an answer shown earlier."""
        record = self.feedback.get(record_id)
        if record is None or record.kind != "ask":
            return Refusal(GONE)
        return self._page(record.question, record.previous, record.offset + len(record.passage_ids))

    def summary(self, topic: str) -> SummaryReply | Refusal:
        try:
            summary = self.host.engine.summary(topic)
        except QuestionError as exc:
            return _refusal(exc)
        ids = [q.passage_id for g in summary.groups for q in g.quotes]
        record = self.feedback.record(
            frontend=self.frontend, kind="summary", question=topic, passage_ids=ids
        )
        return SummaryReply(summary, record, self.topics)

    def compare(self, topic: str) -> ComparisonReply | Refusal:
        try:
            comparison = self.host.engine.compare(topic)
        except QuestionError as exc:
            return _refusal(exc)
        ids = [q.passage_id for q in comparison.rows]
        record = self.feedback.record(
            frontend=self.frontend, kind="compare", question=topic, passage_ids=ids
        )
        return ComparisonReply(comparison, record, self.topics)

    def sources(self) -> SourcesReply:
        engine = self.host.engine
        manifest = engine.index.manifest
        return SourcesReply(
            tuple(engine.sources()), manifest.built_at, manifest.passage_count, self.topics
        )

    def help(
        self, user: str, unknown: str | None = None, incomplete: Kind | None = None
    ) -> HelpReply:
        return HelpReply(unknown, self.is_admin(user), incomplete)

    def run(self, command: Command, user: str) -> Outcome:
        """Carry out any command but `reindex`, which reports progress (`reindex`)."""
        if command.kind is Kind.ASK:
            return self.ask(command.argument)
        if command.kind is Kind.SUMMARY:
            return self.summary(command.argument)
        if command.kind is Kind.COMPARE:
            return self.compare(command.argument)
        if command.kind is Kind.TOPICS:
            return TopicsReply(self.topics)
        if command.kind is Kind.SOURCES:
            return self.sources()
        return self.help(user, command.unknown, command.incomplete)

    def replay(self, record_id: str) -> Outcome:
        """Show an earlier answer again (to share it), with the same quotes."""
        record = self.feedback.get(record_id)
        if record is None:
            return Refusal(GONE)
        if record.kind == "summary":
            return self.summary(record.question)
        if record.kind == "compare":
            return self.compare(record.question)
        return self._page(record.question, record.previous, record.offset)

    def vote(self, record_id: str, user: str, helpful: bool) -> bool:
        return self.feedback.vote(record_id, user, helpful)

    def reindex_refusal(self, user: str) -> Refusal | None:
        """Why `user` may not start a rebuild now, or None if they may."""
        if not self.is_admin(user):
            return Refusal(NOT_ADMIN)
        if self.host.reindexing:
            return Refusal(REINDEX_BUSY)
        return None

    def reindex(
        self,
        user: str,
        progress: Callable[[ReindexProgress], None],
        done: Callable[[ReindexOutcome], None],
    ) -> Refusal | None:
        """Start a background rebuild for an admin; a refusal for anyone else or if busy."""
        refusal = self.reindex_refusal(user)
        if refusal is not None:
            return refusal
        if not self.host.start_reindex(progress, done):
            return Refusal(REINDEX_BUSY)
        return None
