"""The state a served bot keeps between requests, opened in one place: events already
answered, each conversation's last question, the answer log and votes, and the lock
that lets one index build run at a time.

Without a database URL it is today's SQLite files beside the process, which worker
processes on one host share. With one, every replica on every host shares it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from stpbot.state.feedback import FeedbackStore
from stpbot.state.memory import SharedConversations, SharedSeenEvents
from stpbot.errors import StpbotError

if TYPE_CHECKING:
    from pathlib import Path

    from stpbot.state.database import BuildLock
    from stpbot.state.postgres import PostgresDatabase


@dataclass
class SharedState:
    """What a bot process shares with its siblings (and, on PostgreSQL, other replicas)."""

    seen: SharedSeenEvents
    conversations: SharedConversations
    feedback: FeedbackStore
    # A cluster-wide build lock; None on SQLite, where one host's file lock suffices.
    build_lock: BuildLock | None = None
    database: PostgresDatabase | None = None

    def close(self) -> None:
        if self.database is not None:
            self.database.close()


def open_state(
    *,
    database_url: str | None,
    memory_db: Path,
    feedback_db: Path,
    salt: str | None,
) -> SharedState:
    """The SQLite files, or the PostgreSQL database at `database_url` (migrated first)."""
    if not database_url:
        return SharedState(
            seen=SharedSeenEvents(memory_db),
            conversations=SharedConversations(memory_db),
            feedback=FeedbackStore(feedback_db, salt),
        )
    from stpbot.state.postgres import BUILD_LOCK, PostgresDatabase

    if not salt:
        # Replicas must hash user ids alike, and the salt must not sit beside the votes.
        raise StpbotError(
            "STPBOT_FEEDBACK_SALT must be set when STPBOT_DATABASE_URL is: every replica "
            "hashes voters' ids with it (for example: openssl rand -hex 16)"
        )
    database = PostgresDatabase(database_url)
    return SharedState(
        seen=SharedSeenEvents(database),
        conversations=SharedConversations(database),
        feedback=FeedbackStore(database, salt),
        build_lock=database.lock(BUILD_LOCK),
        database=database,
    )
