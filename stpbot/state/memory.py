"""Short-lived, bounded memories a chat bot needs: events already handled, and the
last question asked in each conversation (for follow-ups).

Each comes in two kinds with the same methods: in this process (tests, a single
worker) or in a shared database (a SQLite file every worker process of one host
shares, or PostgreSQL for replicas on several), so an event Slack redelivers to
another worker or replica is still answered once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from cachetools import TTLCache

from stpbot.state.database import Database, SqliteDatabase

# Slack retries a missed event at once, after about a minute and after about five.
SEEN_SECONDS = 15 * 60
CONVERSATION_SECONDS = 24 * 60 * 60
# Expired rows are swept on every this-many writes, so the file stays small.
SWEEP_EVERY = 500

# Seconds now, as the memories read it: a test passes a fake clock to skip time.
Clock = Callable[[], float]


class EventLog(Protocol):
    def first_time(self, event_id: str) -> bool: ...


class ConversationLog(Protocol):
    def previous(self, conversation: str) -> str | None: ...

    def remember(self, conversation: str, question: str) -> None: ...


class SeenEvents:
    """Event ids handled recently, so a redelivered event is answered only once."""

    def __init__(
        self, ttl: float = SEEN_SECONDS, maxsize: int = 100_000, clock: Clock = time.monotonic
    ) -> None:
        self._seen: TTLCache[str, bool] = TTLCache(maxsize=maxsize, ttl=ttl, timer=clock)
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        """True the first time an id is offered, False for every repeat within the TTL."""
        with self._lock:
            if event_id in self._seen:
                return False
            self._seen[event_id] = True
            return True


class Conversations:
    """The latest question per conversation (a Slack thread, a Teams chat)."""

    def __init__(
        self,
        ttl: float = CONVERSATION_SECONDS,
        maxsize: int = 50_000,
        clock: Clock = time.monotonic,
    ) -> None:
        self._last: TTLCache[str, str] = TTLCache(maxsize=maxsize, ttl=ttl, timer=clock)
        self._lock = threading.Lock()

    def previous(self, conversation: str) -> str | None:
        with self._lock:
            return self._last.get(conversation)

    def remember(self, conversation: str, question: str) -> None:
        with self._lock:
            self._last[conversation] = question


_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_events (id TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, question TEXT NOT NULL, at REAL NOT NULL
);
"""


class _SharedMemory:
    def __init__(self, where: Path | Database, clock: Clock) -> None:
        # A path is a SQLite file of this host; PostgreSQL comes as a `Database`.
        self.database = SqliteDatabase(where, _SCHEMA) if isinstance(where, Path) else where
        # Wall-clock time: rows are shared by processes, which share no monotonic clock.
        self.clock = clock
        self._writes = 0

    def _sweep_due(self) -> bool:
        self._writes += 1
        return self._writes % SWEEP_EVERY == 1


class SharedSeenEvents(_SharedMemory):
    """`SeenEvents` in a database shared by every worker process (and replica)."""

    def __init__(
        self, where: Path | Database, ttl: float = SEEN_SECONDS, clock: Clock = time.time
    ) -> None:
        super().__init__(where, clock)
        self.ttl = ttl

    def first_time(self, event_id: str) -> bool:
        """True for exactly one caller per id within the TTL, across processes."""
        now = self.clock()
        with self.database.transaction() as db:
            if self._sweep_due():
                db.execute("DELETE FROM seen_events WHERE at < ?", (now - self.ttl,))
            # A stale row (older than the TTL) is replaced, which counts as a first time.
            cursor = db.execute(
                "INSERT INTO seen_events (id, at) VALUES (?, ?) "
                "ON CONFLICT (id) DO UPDATE SET at = excluded.at WHERE seen_events.at < ?",
                (event_id, now, now - self.ttl),
            )
            return cursor.rowcount == 1


class SharedConversations(_SharedMemory):
    """`Conversations` in a database shared by every worker process (and replica)."""

    def __init__(
        self, where: Path | Database, ttl: float = CONVERSATION_SECONDS, clock: Clock = time.time
    ) -> None:
        super().__init__(where, clock)
        self.ttl = ttl

    def previous(self, conversation: str) -> str | None:
        with self.database.transaction() as db:
            row = db.execute(
                "SELECT question FROM conversations WHERE id = ? AND at >= ?",
                (conversation, self.clock() - self.ttl),
            ).fetchone()
        return str(row[0]) if row else None

    def remember(self, conversation: str, question: str) -> None:
        now = self.clock()
        with self.database.transaction() as db:
            if self._sweep_due():
                db.execute("DELETE FROM conversations WHERE at < ?", (now - self.ttl,))
            db.execute(
                "INSERT INTO conversations (id, question, at) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET question = excluded.question, at = excluded.at",
                (conversation, question, now),
            )
