"""Bolt listeners, one module per kind of request; each has `register(app)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stpbot.slack.listeners import actions, commands, events

if TYPE_CHECKING:
    from slack_bolt import App


def register(app: App) -> None:
    events.register(app)
    commands.register(app)
    actions.register(app)
