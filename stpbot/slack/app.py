"""The Slack app factory: a Bolt `App` wired to the bot, its listeners and limits."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from stpbot.slack import listeners
from stpbot.slack.deps import Deps, install
from stpbot.slack.files import SLACK_FILE_HOSTS

if TYPE_CHECKING:
    from slack_bolt import App

    from stpbot.chat.bot import ChatBot
    from stpbot.config import Settings

log = logging.getLogger("stpbot.slack")


def create_app(
    settings: Settings, bot: ChatBot, *, socket_mode: bool = False, deps: Deps | None = None
) -> App:
    """A Bolt app answering from `bot`; HTTP mode verifies Slack's signatures.

    `deps` lets a caller keep a handle on the answer workers (to drain them on shutdown).
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
    deps = deps or Deps(bot, seen=bot.events)
    app = App(
        client=client,
        signing_secret=secret,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        listener_executor=deps.listeners,
        raise_error_for_unhandled_request=False,
    )
    api_host = urlsplit(settings.slack_api_url).hostname
    deps.file_hosts = SLACK_FILE_HOSTS | ({api_host} if api_host else set())
    install(app, deps)
    listeners.register(app)
    app.error(log_error)
    return app


def log_error(error: Exception, body: dict[str, Any]) -> None:
    """Listener failures are logged by kind only: payloads carry user text."""
    log.error(
        "listener failed on a %s request: %s",
        body.get("type", "?"),
        type(error).__name__,
        exc_info=error if log.isEnabledFor(logging.DEBUG) else None,
    )
