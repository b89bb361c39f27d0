"""`stpbot package teams`: the zip to upload to Teams (manifest.json and icons)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer

from stpbot.cli.common import console, load_settings
from stpbot.errors import StpbotError

app = typer.Typer(help="Build app packages for chat platforms.", no_args_is_help=True)

Url = Annotated[str, typer.Option(help="An https:// address Teams shows users")]


@app.command("teams")
def teams(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Where to write the zip")] = Path("stpbot-teams.zip"),
    app_id: Annotated[
        str | None, typer.Option(help="The bot's app (client) id [env: STPBOT_TEAMS_APP_ID]")
    ] = None,
    version: Annotated[str, typer.Option(help="The app's version (x.y.z)")] = "1.0.0",
    developer: Annotated[str, typer.Option(help="Who publishes the app")] = "stpbot",
    website_url: Url = "https://github.com/stpbot/stpbot",
    privacy_url: Url = "https://github.com/stpbot/stpbot#privacy",
    terms_url: Url = "https://github.com/stpbot/stpbot#terms",
) -> None:
    """Write the Teams app package: upload it in Teams (Apps → Manage your apps → Upload)."""
    from stpbot.teams.package import build_package

    app_id = app_id or load_settings(ctx).teams_app_id
    if not app_id:
        raise StpbotError("the app id is needed: --app-id or STPBOT_TEAMS_APP_ID")
    try:
        uuid.UUID(app_id)
    except ValueError as exc:
        raise StpbotError(f"app id {app_id!r} is not a GUID (the bot's Microsoft app id)") from exc
    for name, url in (("website", website_url), ("privacy", privacy_url), ("terms", terms_url)):
        if not url.startswith("https://"):
            raise StpbotError(f"the {name} URL must start with https://")
    path = build_package(
        out,
        app_id,
        version=version,
        developer=developer,
        website=website_url,
        privacy=privacy_url,
        terms=terms_url,
    )
    console(stderr=True).print(
        f"wrote {path} (manifest.json, color.png, outline.png)", markup=False
    )
