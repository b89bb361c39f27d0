"""Bolt listeners, one module per kind of request; each has `register(app)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stpbot.slack.listeners import actions, commands, events, uploads

if TYPE_CHECKING:
    from slack_bolt import App


def register(app: App) -> None:
    # Bolt runs only the first listener that matches: the narrow file_share one goes
    # before the catch-all for direct messages.
    uploads.register(app)
    events.register(app)
    commands.register(app)
    actions.register(app)
