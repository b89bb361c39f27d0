"""Shared state on PostgreSQL, for replicas on several hosts: a connection pool, the
schema the bot migrates itself on start, and cluster-wide advisory locks.

The stores (memory.py, feedback.py) write SQLite-style `?` placeholders; this module
hands psycopg its `%s` form, so each statement is written once for both engines.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from stpbot.errors import StpbotError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import psycopg
    from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)

# Advisory lock keys: one namespace per purpose, any 64-bit integer PostgreSQL accepts.
MIGRATION_LOCK = 0x5354_5042_0001  # "STPB" 1: replicas starting at once migrate in turn
BUILD_LOCK = 0x5354_5042_0002  # one index build at a time across every replica
CONNECT_SECONDS = 10

# Each step runs once, in order, inside the migration lock; a step is never edited after
# release (a new one is appended), so every database reaches the same schema.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE seen_events (id TEXT PRIMARY KEY, at DOUBLE PRECISION NOT NULL);
    CREATE INDEX seen_events_at ON seen_events (at);
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY, question TEXT NOT NULL, at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX conversations_at ON conversations (at);
    CREATE TABLE answers (
        id TEXT PRIMARY KEY,
        created DOUBLE PRECISION NOT NULL,
        frontend TEXT NOT NULL,
        kind TEXT NOT NULL,
        question TEXT NOT NULL,
        previous TEXT,
        page_offset INTEGER NOT NULL,
        passage_ids TEXT NOT NULL
    );
    CREATE TABLE votes (
        answer_id TEXT NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
        user_hash TEXT NOT NULL,
        helpful INTEGER NOT NULL,
        created DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (answer_id, user_hash)
    );
    """,
    # Slack installations per workspace and OAuth states (slack/installations.py).
    """
    CREATE TABLE slack_installations (
        client_id TEXT NOT NULL,
        enterprise_id TEXT NOT NULL,
        team_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        installed_at DOUBLE PRECISION NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (client_id, enterprise_id, team_id, user_id)
    );
    CREATE TABLE slack_oauth_states (
        state TEXT PRIMARY KEY, expires_at DOUBLE PRECISION NOT NULL
    );
    """,
)

_PLACEHOLDER = re.compile(r"\?")


class _Connection:
    """A psycopg connection that takes the stores' `?` placeholders."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self._connection.execute(_PLACEHOLDER.sub("%s", sql), params)


def describe(url: str) -> str:
    """The database's host and name, for messages: never its password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:
        return "the configured database"
    host = parts.get("host") or "localhost"
    return f"{parts.get('dbname') or parts.get('user') or 'postgres'} on {host}"


class PostgresDatabase:
    """A pool of connections to one PostgreSQL database, migrated to this code's schema."""

    def __init__(self, url: str, *, max_size: int = 8) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool

        self.name = describe(url)
        # One direct connection first: the pool would only say it timed out, and the
        # person starting the bot needs the reason (wrong password, no such database).
        try:
            with psycopg.connect(url, connect_timeout=CONNECT_SECONDS) as first:
                migrate(first)
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StpbotError(f"cannot use the database {self.name}: {reason}") from exc
        self._pool: ConnectionPool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            check=ConnectionPool.check_connection,  # survive a database restart
            timeout=CONNECT_SECONDS,
            name="stpbot",
        )
        self._pool.open(wait=True, timeout=CONNECT_SECONDS)
        self._locks: list[AdvisoryLock] = []

    @contextmanager
    def transaction(self) -> Iterator[_Connection]:
        with self._pool.connection() as connection:
            yield _Connection(connection)

    def lock(self, key: int) -> AdvisoryLock:
        lock = AdvisoryLock(self._pool, key)
        self._locks.append(lock)
        return lock

    def close(self) -> None:
        """Release any lock still held, and every connection."""
        for lock in self._locks:
            lock.release()
        self._pool.close()


def migrate(connection: psycopg.Connection[Any]) -> int:
    """Bring the schema up to this code's version, one replica at a time; returns it."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        connection.execute(
            "CREATE TABLE IF NOT EXISTS stpbot_schema ("
            " version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        row = connection.execute("SELECT max(version) FROM stpbot_schema").fetchone()
        current = int(row[0]) if row and row[0] is not None else 0
        if current > len(MIGRATIONS):
            raise StpbotError(
                f"the database schema is at version {current}, newer than this stpbot "
                f"knows ({len(MIGRATIONS)}); upgrade stpbot before starting it"
            )
        for version, step in enumerate(MIGRATIONS[current:], start=current + 1):
            connection.execute(step)
            connection.execute("INSERT INTO stpbot_schema (version) VALUES (%s)", (version,))
            log.info("database schema migrated to version %d", version)
    return len(MIGRATIONS)


class AdvisoryLock:
    """A cluster-wide lock held by one pooled connection: released by `release`, or by
    PostgreSQL itself if the replica holding it dies."""

    def __init__(self, pool: ConnectionPool, key: int) -> None:
        self._pool = pool
        self._key = key
        self._held: psycopg.Connection[Any] | None = None

    def acquire(self) -> bool:
        """Take the lock if no replica holds it; never waits."""
        if self._held is not None:
            return False
        connection = self._pool.getconn()
        try:
            connection.autocommit = True
            row = connection.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        except Exception:
            self._pool.putconn(connection)
            raise
        if not (row and row[0]):
            self._pool.putconn(connection)
            return False
        self._held = connection
        return True

    def release(self) -> None:
        connection, self._held = self._held, None
        if connection is None:
            return
        try:
            connection.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
        except Exception as exc:  # the session is gone, and the lock with it
            log.warning("could not release a database lock: %s", type(exc).__name__)
        # Pooled connections run transactions; the pool discards a broken one.
        with suppress(Exception):
            connection.autocommit = False
        self._pool.putconn(connection)
