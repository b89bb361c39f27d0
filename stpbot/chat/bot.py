"""What the bot does with a chat message or command, whatever the chat platform.

Slack and Teams listeners turn their events into calls here and render the
replies; everything a second frontend would need lives in this module.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stpbot.answers import Answer
from stpbot.chat.commands import Command, Kind
from stpbot.chat.replies import (
    AnswerReply,
    ComparisonReply,
    DefinitionReply,
    HelpReply,
    Refusal,
    Reply,
    ReportLearned,
    SourcesReply,
    SummaryReply,
    TopicsReply,
)
from stpbot.defaults import MB
from stpbot.errors import DocumentError, QuestionError
from stpbot.ingest import LOADERS, NOT_DOCUMENTS
from stpbot.ingest.limits import Limits
from stpbot.state.memory import ConversationLog, Conversations, EventLog, SeenEvents
from stpbot.wording import (
    ADD_HELP,
    ADD_HELP_NO_UPLOADS,
    GONE,
    NOT_ADMIN,
    NOT_ADMIN_ADD,
    REINDEX_BUSY,
    THANKS,
    VOTE_EXPIRED,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from stpbot.chat.live_engine import LiveEngine
    from stpbot.chat.replies import ReindexOutcome, ReindexProgress
    from stpbot.state.feedback import FeedbackStore
    from stpbot.topics import Topic

PAGE = 3
MAX_PASSAGES = 12


def safe_filename(name: str) -> str:
    """A plain file name for the knowledge folder: no folders, no hidden files, no odd
    characters, and never one of the folder's configuration files."""
    base = Path(name.replace("\\", "/")).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-")[:100] or "report"
    if f"{stem}{suffix}".lower() in NOT_DOCUMENTS:
        stem = f"{stem}-report"
    return f"{stem}{suffix}"


def _write_atomically(target: Path, data: bytes) -> None:
    """Replace `target` with `data` in one step: a reader sees the old file or the new."""
    staging = target.with_name(f".{target.name}.upload")
    staging.write_bytes(data)
    staging.replace(target)


@dataclass(frozen=True, slots=True)
class Health:
    """The body of `GET /healthz` on every server: the live index, and whether a
    rebuild is under way."""

    status: str
    documents: int
    passages: int
    built_at: str
    reindexing: bool


def _refusal(error: QuestionError) -> Refusal:
    text = str(error)
    return Refusal(text[:1].upper() + text[1:] + ".")


class ChatBot:
    """The bot's behaviour in chat: answers, pages, summaries, votes and admin jobs."""

    def __init__(
        self,
        live: LiveEngine,
        feedback: FeedbackStore,
        *,
        frontend: str,
        admins: Collection[str] = (),
        conversations: ConversationLog | None = None,
        events: EventLog | None = None,
        uploads: bool | None = None,
        also_admin: Callable[[str], bool] | None = None,
    ) -> None:
        self.live = live
        self.feedback = feedback
        self.frontend = frontend
        # Whether reports sent to the bot are taken (Slack and Teams both do); a
        # frontend that cannot take them does not offer it.
        self.uploads = True if uploads is None else uploads
        self.admins = frozenset(admins)
        # Admins a frontend knows of itself: in Slack's OAuth mode, whoever installed the
        # app in their workspace.
        self.also_admin = also_admin
        self.conversations = conversations or Conversations()
        # Deliveries already handled: a platform's retry, or the same event sent to
        # another worker or replica, is answered once.
        self.events = events or SeenEvents()

    def is_admin(self, user: str) -> bool:
        return user in self.admins or bool(self.also_admin and self.also_admin(user))

    @property
    def topics(self) -> tuple[Topic, ...]:
        return tuple(self.live.engine.topics)

    def _page(
        self, question: str, previous: str | None, offset: int, kind: str = "ask"
    ) -> AnswerReply:
        engine = self.live.engine
        answer = engine.ask(question, k=min(offset + PAGE + 1, MAX_PASSAGES), previous=previous)
        page = answer.quotes[offset : offset + PAGE]
        shown = Answer(question=answer.question, quotes=page)
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
            summary = self.live.engine.summary(topic)
        except QuestionError as exc:
            return _refusal(exc)
        ids = [q.passage_id for g in summary.groups for q in g.quotes]
        record = self.feedback.record(
            frontend=self.frontend, kind="summary", question=topic, passage_ids=ids
        )
        return SummaryReply(summary, record, self.topics)

    def compare(self, topic: str) -> ComparisonReply | Refusal:
        try:
            comparison = self.live.engine.compare(topic)
        except QuestionError as exc:
            return _refusal(exc)
        ids = [q.passage_id for q in comparison.rows]
        record = self.feedback.record(
            frontend=self.frontend, kind="compare", question=topic, passage_ids=ids
        )
        return ComparisonReply(comparison, record, self.topics)

    def health(self) -> Health:
        """What a health check reports, the same for every frontend."""
        manifest = self.live.engine.index.manifest
        return Health(
            status="ok",
            documents=len(manifest.documents),
            passages=manifest.passage_count,
            built_at=manifest.built_at,
            reindexing=self.live.reindexing,
        )

    def sources(self) -> SourcesReply:
        engine = self.live.engine
        manifest = engine.index.manifest
        return SourcesReply(
            tuple(engine.sources()), manifest.built_at, manifest.passage_count, self.topics
        )

    def define(self, term: str) -> DefinitionReply:
        """The glossary's entry for `term`, or the terms it holds."""
        glossary = self.live.engine.glossary
        terms = tuple(sorted((e.term for e in glossary.entries), key=str.lower))
        return DefinitionReply(" ".join(term.split())[:100], glossary.lookup(term), terms)

    def help(
        self, user: str, unknown: str | None = None, incomplete: Kind | None = None
    ) -> HelpReply:
        return HelpReply(unknown, self.is_admin(user), incomplete)

    def run(self, command: Command, user: str) -> Reply:
        """Carry out any command but `reindex`, which reports progress (`reindex`)."""
        if command.kind is Kind.ADD:
            if not self.is_admin(user):
                return Refusal(NOT_ADMIN_ADD)
            return Refusal(ADD_HELP if self.uploads else ADD_HELP_NO_UPLOADS)
        if command.kind is Kind.ASK:
            return self.ask(command.argument)
        if command.kind is Kind.SUMMARY:
            return self.summary(command.argument)
        if command.kind is Kind.COMPARE:
            return self.compare(command.argument)
        if command.kind is Kind.TOPICS:
            return TopicsReply(self.topics)
        if command.kind is Kind.DEFINE:
            return self.define(command.argument)
        if command.kind is Kind.SOURCES:
            return self.sources()
        return self.help(user, command.unknown, command.incomplete)

    def replay(self, record_id: str) -> Reply:
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

    def vote_reply(self, record_id: str, user: str, helpful: bool) -> str:
        """Store a vote and say thanks (or that the answer has expired)."""
        if not self.vote(record_id, user, helpful):
            return VOTE_EXPIRED
        return THANKS[helpful]

    @property
    def upload_limit(self) -> int:
        """The most bytes an added report may have."""
        return (self.live.limits or Limits()).max_bytes

    def add_refusal(self, user: str, filename: str, size: int) -> Refusal | None:
        """Why this upload cannot be added, or None if it can."""
        if not self.is_admin(user):
            return Refusal(NOT_ADMIN_ADD)
        if self.live.busy():
            return Refusal(REINDEX_BUSY)
        if Path(filename).suffix.lower() not in LOADERS:
            kinds = ", ".join(sorted(LOADERS))
            return Refusal(f"I cannot read {filename}: I read {kinds} files.")
        limit = self.upload_limit
        if size > limit:
            return Refusal(f"{filename} is {size / MB:,.1f} MB; the limit is {limit / MB:,.0f} MB.")
        return None

    def add_report(
        self,
        user: str,
        filename: str,
        data: bytes,
        progress: Callable[[ReindexProgress], None],
        done: Callable[[ReportLearned | Refusal], None],
    ) -> Refusal | None:
        """Save an uploaded report into the knowledge folder and reindex in the background;
        `done` gets what was learned, or why nothing was (the folder is then as it was)."""
        refusal = self.add_refusal(user, filename, len(data))
        if refusal is not None:
            return refusal
        name = safe_filename(filename)
        # Read first, at arm's length and under the same limits as a build: a file the
        # bot cannot use never touches the knowledge folder (it may replace a briefing).
        problem = self._unusable(name, data)
        if problem is not None:
            done(Refusal(f"I could not use {name} ({problem}), so nothing was changed."))
            return None
        target = self.live.knowledge_dir / name
        previous = target.read_bytes() if target.exists() else None

        def put_back() -> None:
            """The knowledge folder as it was before this upload."""
            if previous is None:
                target.unlink(missing_ok=True)
            else:
                _write_atomically(target, previous)

        def finished(outcome: ReindexOutcome) -> None:
            if outcome.report is None:
                put_back()
                done(Refusal(f"The rebuild failed, so nothing was added: {outcome.error}"))
                return
            manifest = outcome.report.manifest
            skip = next((s for s in manifest.skipped if s.path == name), None)
            entry = next((d for d in manifest.documents if d.source.path == name), None)
            if entry is None:
                put_back()
                if previous is not None:  # the briefing it replaced goes back in the index
                    self.live.start_reindex(None, lambda _: None)
                reason = skip.reason if skip else "it holds no readable text"
                done(Refusal(f"I could not use {name} ({reason}), so nothing was changed."))
                return
            done(
                ReportLearned(
                    name=name,
                    title=entry.source.title,
                    pages=entry.pages,
                    passages=entry.passages,
                    sample_question=self._sample_question(entry.source.id, entry.source.title),
                    replaced=previous is not None,
                )
            )

        if not self.live.start_reindex(
            progress, finished, prepare=lambda: _write_atomically(target, data)
        ):
            return Refusal(REINDEX_BUSY)
        return None

    def _unusable(self, name: str, data: bytes) -> str | None:
        """Why the bot could not read `data` as the report `name`, or None."""
        from stpbot.chunk.chunking import chunk_document
        from stpbot.ingest.isolation import load_isolated

        with tempfile.TemporaryDirectory(prefix="stpbot-upload-") as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            for _, result in load_isolated([path], Path(folder), chunk_document, self.live.limits):
                if isinstance(result, DocumentError):
                    return str(result).removeprefix(f"{name}: ")
        return None

    def _sample_question(self, doc_id: str, title: str) -> str:
        """A question the new report answers: what it says about its first section."""
        index = self.live.engine.index
        rows = index.document_rows().get(doc_id, range(0))
        heading = next((h for h in (index.passages[r].heading for r in rows) if h), None)
        if heading:
            return f"What does “{title}” say about {heading.rstrip('?:.').lower()}?"
        return f"What does “{title}” say?"

    def reindex_refusal(self, user: str) -> Refusal | None:
        """Why `user` may not start a rebuild now, or None if they may."""
        if not self.is_admin(user):
            return Refusal(NOT_ADMIN)
        if self.live.busy():
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
        if not self.live.start_reindex(progress, done):
            return Refusal(REINDEX_BUSY)
        return None
