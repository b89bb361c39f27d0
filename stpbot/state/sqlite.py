"""SQLite files that several worker processes share: created once, then short connections."""

from __future__ import annotations

import fcntl
import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

# Seconds a statement waits for another process's write to finish.
BUSY_TIMEOUT = 10


def create(path: Path, schema: str) -> None:
    """Make `path` a WAL-mode database holding `schema` (idempotent), one process at a time.

    Workers start together, and switching a new file to WAL does not wait on the
    busy timeout: two at once failed with "database is locked" in 2-9 % of trials
    with six processes. A lock file beside the database lets one set up at a time.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        with closing(connect(path)) as db:
            # WAL lets workers read while one writes; it is kept in the file.
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(schema)


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode; open one per call, from any thread or process."""
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    db.execute("PRAGMA synchronous=NORMAL")
    return db
