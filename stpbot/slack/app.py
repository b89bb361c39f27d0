"""The Slack app factory: a Bolt `App` wired to the bot, its listeners and limits."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from stpbot.slack import listeners
from stpbot.slack.deps import Deps, install
from stpbot.slack.files import SLACK_FILE_HOSTS
from stpbot.slack.server import INSTALL_PATH, REDIRECT_PATH

if TYPE_CHECKING:
    from slack_bolt import App

    from stpbot.chat.bot import ChatBot
    from stpbot.config import Settings
    from stpbot.slack.installations import DatabaseInstallationStore
    from stpbot.state.database import Database

log = logging.getLogger("stpbot.slack")


# The bot scopes of manifests/slack-http.yaml, asked for when a workspace installs the app.
BOT_SCOPES = (
    "app_mentions:read",
    "chat:write",
    "commands",
    "files:read",
    "im:history",
    "reactions:write",
)


def installation_store(
    settings: Settings, database: Database | None = None
) -> DatabaseInstallationStore | None:
    """In OAuth mode, where each workspace's tokens are kept: `database` (PostgreSQL,
    shared by replicas) or the SQLite file of the settings; None in token mode."""
    if not settings.slack_oauth:
        return None
    from stpbot.slack.installations import DatabaseInstallationStore

    assert settings.slack_client_id is not None
    where = database or settings.slack_installations_db
    return DatabaseInstallationStore(where, settings.slack_client_id)


def create_app(
    settings: Settings,
    bot: ChatBot,
    *,
    socket_mode: bool = False,
    deps: Deps | None = None,
    installations: DatabaseInstallationStore | None = None,
) -> App:
    """A Bolt app answering from `bot`; HTTP mode verifies Slack's signatures.

    With `installations` (OAuth mode) it serves `/slack/install` and the redirect, and
    answers each workspace with that workspace's token. `deps` lets a caller keep a
    handle on the answer workers (to drain them on shutdown).
    """
    from slack_bolt import App
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
    )

    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    client = WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )
    deps = deps or Deps(bot)
    app = App(
        client=client,
        signing_secret=secret,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        listener_executor=deps.listeners,
        raise_error_for_unhandled_request=False,
        oauth_settings=_oauth_settings(settings, installations) if installations else None,
    )
    if installations is not None:
        # app_uninstalled and tokens_revoked delete that workspace's tokens.
        app.enable_token_revocation_listeners()
    api_host = urlsplit(settings.slack_api_url).hostname
    deps.file_hosts = SLACK_FILE_HOSTS | ({api_host} if api_host else set())
    install(app, deps)
    listeners.register(app)
    app.error(log_error)
    return app


def _oauth_settings(settings: Settings, installations: DatabaseInstallationStore) -> Any:
    from slack_bolt.oauth.oauth_settings import OAuthSettings

    from stpbot.slack.installations import DatabaseOAuthStateStore

    assert settings.slack_client_id and settings.slack_client_secret
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        # Straight to Slack's consent screen: the install link is the whole page.
        install_page_rendering_enabled=False,
        installation_store=installations,
        state_store=DatabaseOAuthStateStore(installations.database),
    )


def log_error(error: Exception, body: dict[str, Any]) -> None:
    """Listener failures are logged by kind only: payloads carry user text."""
    log.error(
        "listener failed on a %s request: %s",
        body.get("type", "?"),
        type(error).__name__,
        exc_info=error if log.isEnabledFor(logging.DEBUG) else None,
    )
