"""What the bot answered and what users thought of it, in a local SQLite file or in the
PostgreSQL database that replicas share.

Every answer shown in chat gets a short id; its buttons (helpful, more, share)
carry only that id. Votes store a salted hash of the user id, never the id, and
the salt is kept apart from the hashes: given as a setting (which replicas sharing
PostgreSQL must do, so that they hash alike), or in a file of its own beside the
SQLite file, readable by its owner only. Whoever holds the database and a
member list cannot then tell who voted what without the salt as well.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from stpbot.state.database import Database, SqliteDatabase

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    frontend TEXT NOT NULL,
    kind TEXT NOT NULL,
    question TEXT NOT NULL,
    previous TEXT,
    page_offset INTEGER NOT NULL,
    passage_ids TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT NOT NULL REFERENCES answers(id),
    user_hash TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (answer_id, user_hash)
);
"""


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """An answer as shown: enough to show it again, page on, or judge it later."""

    id: str
    frontend: str
    kind: str
    question: str
    previous: str | None
    offset: int
    passage_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    """A not-helpful vote with its question, for the summary's review list."""

    question: str
    kind: str
    passage_ids: tuple[str, ...]
    created: float


@dataclass(frozen=True, slots=True)
class FeedbackSummary:
    answers: int
    helpful: int
    not_helpful: int
    by_kind: dict[str, tuple[int, int]]  # kind -> (helpful, not helpful)
    recent_unhelpful: tuple[Verdict, ...]

    @property
    def votes(self) -> int:
        return self.helpful + self.not_helpful


def salt_file(database: Path) -> Path:
    """Where the salt lives when no setting gives it: beside the database."""
    return database.with_name(database.name + ".salt")


class FeedbackStore:
    """The answer log and votes; safe to share between threads, processes and replicas.

    `where` is a SQLite file (a path) or a shared `Database`. `salt` (a setting)
    hashes the user ids; without it, a SQLite store makes a salt file beside its
    file once, mode 0600, and a shared database refuses to start.
    """

    def __init__(self, where: Path | Database, salt: str | None = None) -> None:
        if not isinstance(where, Path):
            if not salt:
                raise ValueError("a shared feedback database needs the salt as a setting")
            self.database: Database = where
            self._salt = salt
            return
        self.database = SqliteDatabase(where, SCHEMA)
        with self.database.transaction() as db:
            # Stores from before the salt moved out kept it in the database: it moves to
            # the file, so earlier votes keep their hashes, and leaves the database.
            row = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
            self._salt = salt or _salt_from_file(salt_file(where), row[0] if row else None)
            db.execute("DELETE FROM meta WHERE key = 'salt'")

    def user_hash(self, user: str) -> str:
        return hashlib.sha256(f"{self._salt}:{user}".encode()).hexdigest()[:32]

    def record(
        self,
        *,
        frontend: str,
        kind: str,
        question: str,
        passage_ids: list[str],
        previous: str | None = None,
        offset: int = 0,
    ) -> str:
        """Log an answer about to be shown; returns its id for the message's buttons."""
        answer_id = uuid.uuid4().hex[:20]
        with self.database.transaction() as db:
            db.execute(
                "INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    answer_id,
                    time.time(),
                    frontend,
                    kind,
                    question,
                    previous,
                    offset,
                    json.dumps(passage_ids),
                ),
            )
        return answer_id

    def get(self, answer_id: str) -> AnswerRecord | None:
        with self.database.transaction() as db:
            row = db.execute(
                "SELECT id, frontend, kind, question, previous, page_offset, passage_ids"
                " FROM answers WHERE id = ?",
                (answer_id,),
            ).fetchone()
        if row is None:
            return None
        answer_id, frontend, kind, question, previous, offset, ids = row
        return AnswerRecord(
            answer_id, frontend, kind, question, previous, offset, tuple(json.loads(ids))
        )

    def vote(self, answer_id: str, user: str, helpful: bool) -> bool:
        """Store (or change) a user's vote on an answer; False if the answer is unknown."""
        with self.database.transaction() as db:
            if db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone() is None:
                return False
            db.execute(
                "INSERT INTO votes VALUES (?, ?, ?, ?) ON CONFLICT (answer_id, user_hash)"
                " DO UPDATE SET helpful = excluded.helpful, created = excluded.created",
                (answer_id, self.user_hash(user), int(helpful), time.time()),
            )
        return True

    def summary(self, recent: int = 10) -> FeedbackSummary:
        """Totals, per-kind counts and the latest not-helpful questions to review."""
        with self.database.transaction() as db:
            answers = db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            by_kind: dict[str, tuple[int, int]] = {}
            for kind, good, bad in db.execute(
                "SELECT a.kind, SUM(v.helpful), SUM(1 - v.helpful)"
                " FROM votes v JOIN answers a ON a.id = v.answer_id GROUP BY a.kind"
            ):
                by_kind[kind] = (int(good), int(bad))
            rows = db.execute(
                "SELECT a.question, a.kind, a.passage_ids, v.created"
                " FROM votes v JOIN answers a ON a.id = v.answer_id"
                " WHERE v.helpful = 0 ORDER BY v.created DESC LIMIT ?",
                (recent,),
            ).fetchall()
        return FeedbackSummary(
            answers=answers,
            helpful=sum(g for g, _ in by_kind.values()),
            not_helpful=sum(b for _, b in by_kind.values()),
            by_kind=by_kind,
            recent_unhelpful=tuple(Verdict(q, k, tuple(json.loads(p)), c) for q, k, p, c in rows),
        )


def _salt_from_file(path: Path, earlier: str | None) -> str:
    """The salt in `path`, written there first (owner-only) if the file is new."""
    fresh = earlier or secrets.token_hex(16)
    with contextlib.suppress(FileExistsError):
        # O_EXCL: of workers starting together, one writes and the rest read its salt.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(fresh)
            file.flush()
            os.fsync(file.fileno())
    for _ in range(100):
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
        time.sleep(0.01)  # another worker is between creating the file and writing it
    raise OSError(f"the feedback salt file {path} is empty")
