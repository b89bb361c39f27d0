"""Where an app installed in many workspaces keeps each workspace's tokens and the OAuth
flow's one-time states: slack_sdk's store interfaces on the bot's own database, so a
SQLite file on one host and PostgreSQL across replicas behave the same."""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from stpbot.state.database import Database, SqliteDatabase

if TYPE_CHECKING:
    from logging import Logger

# The same tables as PostgreSQL's migration 2 (state/postgres.py).
SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_installations (
    client_id TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    installed_at REAL NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (client_id, enterprise_id, team_id, user_id)
);
CREATE TABLE IF NOT EXISTS slack_oauth_states (state TEXT PRIMARY KEY, expires_at REAL NOT NULL);
"""
# Slack's own default: a user has ten minutes between "Add to Slack" and the redirect.
STATE_SECONDS = 600

log = logging.getLogger("stpbot.slack.oauth")


def _database(where: Path | Database) -> Database:
    return SqliteDatabase(where, SCHEMA) if isinstance(where, Path) else where


def _plain(value: Any) -> Any:
    return value.timestamp() if isinstance(value, datetime) else value


class DatabaseInstallationStore(InstallationStore):
    """Each workspace's installation (its bot token, and who installed it), newest first."""

    def __init__(self, where: Path | Database, client_id: str) -> None:
        self.database = _database(where)
        self.client_id = client_id

    @property
    def logger(self) -> Logger:
        return log

    def save(self, installation: Installation) -> None:
        data = {k: _plain(v) for k, v in installation.to_dict_for_copying().items()}
        with self.database.transaction() as db:
            db.execute(
                "INSERT INTO slack_installations"
                " (client_id, enterprise_id, team_id, user_id, installed_at, data)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (client_id, enterprise_id, team_id, user_id)"
                " DO UPDATE SET installed_at = excluded.installed_at, data = excluded.data",
                (
                    self.client_id,
                    installation.enterprise_id or "",
                    "" if installation.is_enterprise_install else installation.team_id or "",
                    installation.user_id,
                    installation.installed_at,
                    json.dumps(data),
                ),
            )

    def save_bot(self, bot: Bot) -> None:
        # Only token rotation saves a bot alone; the manifest leaves rotation off.
        raise NotImplementedError("token rotation is not enabled for this app")

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        sql = (
            "SELECT data FROM slack_installations"
            " WHERE client_id = ? AND enterprise_id = ? AND team_id = ?"
        )
        params: list[Any] = [
            self.client_id,
            enterprise_id or "",
            "" if is_enterprise_install else team_id or "",
        ]
        if user_id is not None:
            sql += " AND user_id = ?"
            params.append(user_id)
        with self.database.transaction() as db:
            row = db.execute(sql + " ORDER BY installed_at DESC LIMIT 1", params).fetchone()
        return Installation(**json.loads(row[0])) if row else None

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = self.find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return found.to_bot() if found and found.bot_token else None

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The workspace's bot token is revoked (or the app removed): forget the workspace."""
        self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        sql = (
            "DELETE FROM slack_installations"
            " WHERE client_id = ? AND enterprise_id = ? AND team_id = ?"
        )
        params: list[Any] = [self.client_id, enterprise_id or "", team_id or ""]
        if user_id is not None:
            sql += " AND user_id = ?"
            params.append(user_id)
        with self.database.transaction() as db:
            db.execute(sql, params)

    def installed_by(self, user_id: str) -> bool:
        """Whether `user_id` installed the app in some workspace: that workspace's admin."""
        with self.database.transaction() as db:
            row = db.execute(
                "SELECT 1 FROM slack_installations WHERE client_id = ? AND user_id = ? LIMIT 1",
                (self.client_id, user_id),
            ).fetchone()
        return row is not None

    def workspaces(self) -> int:
        with self.database.transaction() as db:
            row = db.execute(
                "SELECT count(DISTINCT enterprise_id || ':' || team_id)"
                " FROM slack_installations WHERE client_id = ?",
                (self.client_id,),
            ).fetchone()
        return int(row[0])


class DatabaseOAuthStateStore(OAuthStateStore):
    """One-time states of the install flow: each consumed once, within ten minutes, on
    whichever replica the redirect reaches."""

    def __init__(self, where: Path | Database, expiration_seconds: float = STATE_SECONDS) -> None:
        self.database = _database(where)
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> Logger:
        return log

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        now = time.time()
        with self.database.transaction() as db:
            db.execute("DELETE FROM slack_oauth_states WHERE expires_at < ?", (now,))
            db.execute(
                "INSERT INTO slack_oauth_states (state, expires_at) VALUES (?, ?)",
                (state, now + self.expiration_seconds),
            )
        return state

    def consume(self, state: str) -> bool:
        with self.database.transaction() as db:
            cursor = db.execute(
                "DELETE FROM slack_oauth_states WHERE state = ? AND expires_at >= ?",
                (state, time.time()),
            )
            return bool(cursor.rowcount == 1)
