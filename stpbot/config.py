"""Settings from the environment (prefix `STPBOT_`) and an optional `.env` file.

Only the CLI and the app factories read these; everything below takes plain arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from stpbot.defaults import (
    DEFAULT_BACKEND,
    DEFAULT_MODEL,
    DEFAULT_THRESHOLD,
    DEFAULT_TOKEN_PASSAGES,
    MAX_FILE_MB,
    MAX_PAGES,
    MAX_QUESTION_CHARS,
    MODEL_CACHE,
    PARSE_MEMORY_MB,
    PARSE_SECONDS,
    Backend,
)


class Settings(BaseSettings):
    """Every setting the bot reads; see the README's settings table."""

    model_config = SettingsConfigDict(
        env_prefix="STPBOT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    knowledge_dir: Path = Path("knowledge")
    index_dir: Path = Path("index")
    embedding_model: str = DEFAULT_MODEL
    embedding_backend: Backend = DEFAULT_BACKEND
    # Where ONNX exports of the model are kept; by default next to the index.
    model_cache: Path | None = None
    relevance_threshold: float = Field(DEFAULT_THRESHOLD, ge=0.0, le=1.0)
    max_question_chars: int = Field(MAX_QUESTION_CHARS, ge=10)
    # Indexes of at most this many passages keep token states for late interaction.
    token_passages: int = Field(DEFAULT_TOKEN_PASSAGES, ge=0)
    max_file_mb: float = Field(MAX_FILE_MB, gt=0)
    max_pages: int = Field(MAX_PAGES, ge=1)
    parse_seconds: float = Field(PARSE_SECONDS, gt=0)
    parse_memory_mb: int = Field(PARSE_MEMORY_MB, ge=256)
    feedback_db: Path = Path("state/feedback.sqlite3")
    # Salts the hashed user ids of votes; unset: a salt file beside feedback_db.
    feedback_salt: SecretStr | None = None
    # Events already answered and each thread's last question, shared by worker processes.
    memory_db: Path = Path("state/memory.sqlite3")
    # PostgreSQL shared by every replica (postgresql://user@host/db); unset: the SQLite
    # files above. A URL may carry a password, so it is kept out of logs and reprs.
    database_url: SecretStr | None = None
    log_level: str = Field("INFO", pattern="(?i)^(debug|info|warning|error)$")
    admin_users: Annotated[list[str], NoDecode] = Field(default_factory=list)
    slack_api_url: str = "https://slack.com/api/"
    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "STPBOT_SLACK_BOT_TOKEN")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "STPBOT_SLACK_APP_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "STPBOT_SLACK_SIGNING_SECRET"),
    )

    # OAuth mode, for one app installed in many workspaces (instead of SLACK_BOT_TOKEN).
    slack_client_id: str | None = Field(
        None, validation_alias=AliasChoices("SLACK_CLIENT_ID", "STPBOT_SLACK_CLIENT_ID")
    )
    slack_client_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_CLIENT_SECRET", "STPBOT_SLACK_CLIENT_SECRET")
    )
    # Where Slack sends users back after they approve; unset: the manifest's redirect URL.
    slack_redirect_uri: str | None = None
    # Each workspace's tokens in OAuth mode (without a database URL).
    slack_installations_db: Path = Path("state/slack-installations.sqlite3")

    teams_app_id: str | None = None
    teams_app_password: SecretStr | None = None
    teams_tenant_id: str | None = None
    teams_allow_unauthenticated: bool = False
    teams_openid_metadata_url: str = (
        "https://login.botframework.com/v1/.well-known/openidconfiguration"
    )

    @property
    def model_cache_dir(self) -> Path:
        """The folder for ONNX exports: `model_cache`, or `models/` inside the index folder."""
        return self.model_cache or self.index_dir / MODEL_CACHE

    @field_validator(
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "teams_app_id",
        "teams_app_password",
        "teams_tenant_id",
        "database_url",
        "slack_client_id",
        "slack_client_secret",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `SLACK_APP_TOKEN=` in a .env file means "not set", not "the empty token".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("admin_users", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        # "U012ABC,U034DEF" or a single id; spaces around commas are forgiven.
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def slack_oauth(self) -> bool:
        """Whether the Slack app installs into workspaces through OAuth."""
        return bool(self.slack_client_id and self.slack_client_secret)
