"""The Slack app manifests in the repo match what the app listens for, with least privilege."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stpbot.slack.app import BOT_SCOPES
from stpbot.slack.listeners.commands import COMMAND
from stpbot.slack.server import EVENTS_PATH, REDIRECT_PATH

MANIFESTS = sorted((Path(__file__).parent.parent / "manifests").glob("slack-*.yaml"))
SCOPES = {
    "app_mentions:read",
    "chat:write",
    "commands",
    "files:read",
    "im:history",
    "reactions:write",
}


def test_every_mode_has_a_manifest():
    names = [m.name for m in MANIFESTS]
    assert names == ["slack-http.yaml", "slack-oauth.yaml", "slack-socket-mode.yaml"]


def test_oauth_installs_ask_for_the_manifest_scopes():
    assert set(BOT_SCOPES) == SCOPES


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_matches_the_app(path):
    manifest = yaml.safe_load(path.read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == SCOPES
    settings = manifest["settings"]
    events = set(settings["event_subscriptions"]["bot_events"])
    oauth = path.name == "slack-oauth.yaml"
    revocations = {"app_uninstalled", "tokens_revoked"} if oauth else set()
    assert events == {"app_mention", "message.im", "app_home_opened"} | revocations
    redirects = manifest["oauth_config"].get("redirect_urls", [])
    assert [url.endswith(REDIRECT_PATH) for url in redirects] == ([True] if oauth else [])
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
