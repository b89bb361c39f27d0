"""The Slack app manifests in the repo match what the app listens for, with least privilege."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stpbot.slack.listeners.commands import COMMAND
from stpbot.slack.server import EVENTS_PATH

MANIFESTS = sorted((Path(__file__).parent.parent / "manifests").glob("slack-*.yaml"))
SCOPES = {
    "app_mentions:read",
    "chat:write",
    "commands",
    "files:read",
    "im:history",
    "reactions:write",
}


def test_both_modes_have_a_manifest():
    assert [m.name for m in MANIFESTS] == ["slack-http.yaml", "slack-socket-mode.yaml"]


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_matches_the_app(path):
    manifest = yaml.safe_load(path.read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == SCOPES
    settings = manifest["settings"]
    events = set(settings["event_subscriptions"]["bot_events"])
    assert events == {"app_mention", "message.im", "app_home_opened"}
    assert settings["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    socket = settings["socket_mode_enabled"]
    assert socket is path.name.endswith("socket-mode.yaml")
    urls = [
        command.get("url"),
        settings["event_subscriptions"].get("request_url"),
        settings["interactivity"].get("request_url"),
    ]
    if socket:
        assert urls == [None, None, None]
    else:
        assert all(url.endswith(EVENTS_PATH) for url in urls)
