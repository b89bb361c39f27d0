"""Where the bot's shared state lives, behind one small interface: a SQLite file beside
the process (the default), or a PostgreSQL database every replica shares
(`postgres.py`). The stores above write their SQL once, with `?` placeholders, in the
subset both engines speak.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing, contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from stpbot.state import sqlite as shared_sqlite

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Cursor: ...


class Database(Protocol):
    """Short transactions on a database that other threads and processes share."""

    def transaction(self) -> Any:
        """A context manager giving a `Connection`; its writes commit together on exit."""
        ...


class BuildLock(Protocol):
    """A lock every replica of the bot sees (a PostgreSQL advisory lock)."""

    def acquire(self) -> bool:
        """Take it if free; never waits."""
        ...

    def release(self) -> None: ...


def wait_for(lock: BuildLock, seconds: float) -> bool:
    """Take `lock` as soon as its holder lets go; False if `seconds` pass first."""
    import time

    deadline = time.monotonic() + seconds
    while not lock.acquire():
        if time.monotonic() > deadline:
            return False
        time.sleep(1.0)
    return True


class SqliteDatabase:
    """One SQLite file in WAL mode, holding `schema`; a fresh connection per transaction,
    so no connection is shared across threads or worker processes."""

    def __init__(self, path: Path, schema: str) -> None:
        self.path = path
        shared_sqlite.create(path, schema)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=shared_sqlite.BUSY_TIMEOUT)) as db, db:
            db.execute("PRAGMA synchronous=NORMAL")
            yield db
