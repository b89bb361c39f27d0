"""The Teams app factory: the SDK's App on a FastAPI app, with `/healthz`."""

from __future__ import annotations

import logging
import os
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from stpbot.teams.guard import ActivityGuard
from stpbot.teams.handlers import on_message

if TYPE_CHECKING:
    from fastapi import FastAPI
    from microsoft_teams.apps import App

    from stpbot.chat.bot import ChatBot

log = logging.getLogger("stpbot.teams")

SDK_CREDENTIAL_VARIABLES = ("CLIENT_ID", "CLIENT_SECRET", "TENANT_ID", "MANAGED_IDENTITY_CLIENT_ID")
BOT_FRAMEWORK_METADATA = "https://login.botframework.com/v1/.well-known/openidconfiguration"


def create_app(
    bot: ChatBot,
    *,
    app_id: str | None,
    app_password: str | None,
    tenant_id: str | None,
    allow_unauthenticated: bool,
    openid_metadata_url: str = BOT_FRAMEWORK_METADATA,
    token: Any = None,
) -> tuple[App, FastAPI]:
    """The Teams app and the FastAPI app that serves `/api/messages` and `/healthz`.

    Activities already handled are remembered in `bot.events`; `token` (an SDK token
    provider) stands in for Entra ID in tests on loopback.
    """
    from fastapi import FastAPI
    from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
    from microsoft_teams.apps import App, FastAPIAdapter

    # Our STPBOT_TEAMS_* settings are the only configuration: the SDK would otherwise
    # fall back to CLIENT_ID / CLIENT_SECRET / TENANT_ID from the environment (and from
    # a .env it loads on import), so a stray variable could change who the bot is.
    for name in SDK_CREDENTIAL_VARIABLES:
        if os.environ.pop(name, None) is not None:
            log.warning("ignoring %s from the environment; set STPBOT_TEAMS_* instead", name)
    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    options: dict[str, Any] = {
        "client_id": app_id,
        "tenant_id": tenant_id,
        # Always explicit: the SDK would otherwise read it from the environment.
        "dangerously_allow_unauthenticated_requests": allow_unauthenticated,
        "cloud": with_overrides(PUBLIC, openid_metadata_url=openid_metadata_url),
        "http_server_adapter": FastAPIAdapter(app=web),
    }
    if token is not None:
        options["token"] = token
    elif app_password:
        options["client_secret"] = app_password
    app = App(**options)
    app.on_message(on_message(bot))

    web.add_middleware(ActivityGuard, require_token=not allow_unauthenticated)

    @web.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return asdict(bot.health())

    return app, web
