"""OAuth mode: one app installed in many workspaces, each answered with its own token.

The Slack app is served over HTTP on loopback; Slack's Web API (oauth.v2.access
included) is the recording fake; the browser's side of the install is plain HTTP.
"""

from __future__ import annotations

import base64
import http.client
import subprocess
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support import (
    BOT_USER,
    free_port,
    slack_server_command,
    slack_server_env,
    slack_settings,
)
from tests.support.slack import SlackServer, mention, section_texts

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret-do-not-log"
TOKEN_T2 = "xoxb-second-workspace-token"
QUESTION = "why were patients absent from STP governance?"


def _get(url, path, cookie=None):
    """A browser's GET, without following redirects: (status, headers, body)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    body = response.read().decode(errors="replace")
    headers = {k.lower(): v for k, v in response.getheaders()}
    connection.close()
    return response.status, headers, body


def _oauth_app(fake, tmp_path, built, embedder, database=None):
    from stpbot.chat.bot import ChatBot
    from stpbot.chat.live_engine import LiveEngine
    from stpbot.slack.app import create_app, installation_store
    from stpbot.slack.deps import Deps
    from stpbot.state.feedback import FeedbackStore

    settings = slack_settings(
        fake,
        tmp_path,
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_installations_db=tmp_path / "installs.sqlite3",
    )
    knowledge, index = built
    live = LiveEngine(knowledge_dir=knowledge, index_dir=index, embedder=embedder)
    live.open()
    installations = installation_store(settings, database)
    bot = ChatBot(
        live,
        FeedbackStore(tmp_path / "f.sqlite3"),
        frontend="slack",
        also_admin=installations.installed_by,
    )
    deps = Deps(bot)
    app = create_app(settings, bot, deps=deps, installations=installations)
    return SlackServer(app, deps, fake), installations


def _install(server, fake, code, team, token, installer):
    """The whole install as a browser goes through it; returns the callback's response."""
    fake.grant(code, team, token, installer)
    status, headers, _ = _get(server.url, "/slack/install")
    assert status == 302
    consent = urlsplit(headers["location"])
    query = parse_qs(consent.query)
    assert consent.netloc == "slack.com" and consent.path == "/oauth/v2/authorize"
    assert query["client_id"] == [CLIENT_ID]
    assert set(query["scope"][0].split(",")) >= {"app_mentions:read", "chat:write", "commands"}
    cookie = headers["set-cookie"].split(";")[0]
    state = query["state"][0]
    return _get(server.url, f"/slack/oauth_redirect?code={code}&state={state}", cookie)


def _posted_with(fake, token):
    return [
        args
        for method, args, headers in fake.calls
        if method == "chat.postMessage" and headers.get("Authorization") == f"Bearer {token}"
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def oauth_slack(request, fake_slack, tmp_path, built, embedder):
    database = None
    if request.param == "postgresql":
        from stpbot.state.postgres import PostgresDatabase

        database = PostgresDatabase(request.getfixturevalue("database_url"))
    server, installations = _oauth_app(fake_slack, tmp_path, built, embedder, database)
    yield server, installations
    server.close()


def test_a_second_workspace_installs_and_is_answered_with_its_own_token(oauth_slack, fake_slack):
    server, installations = oauth_slack
    status, _, body = _install(server, fake_slack, "code-t2", "T0002", TOKEN_T2, "UINSTALL2")
    assert status == 200 and "Thank you!" in body  # Bolt's success page
    [(args, headers)] = [(a, h) for m, a, h in fake_slack.calls if m == "oauth.v2.access"]
    credentials = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert args["code"] == "code-t2" and headers["Authorization"] == f"Basic {credentials}"
    assert installations.workspaces() == 1
    server.event(mention(f"<@{BOT_USER}> {QUESTION}", ts="1700006000.1"), "EvOA1", team="T0002")
    fake_slack.wait_for(lambda calls: _posted_with(fake_slack, TOKEN_T2), timeout=60)
    answer = _posted_with(fake_slack, TOKEN_T2)[0]
    assert answer["thread_ts"] == "1700006000.1"
    assert "could not find" not in section_texts(answer["blocks"])
    # The installer is that workspace's admin; nobody else there is.
    status, body, _ = server.command("reindex", user="U0000009", team="T0002")
    assert "Only the bot's admins" in body
    status, body, _ = server.command("reindex", user="UINSTALL2", team="T0002")
    assert "Rebuilding the index" in body


def test_an_uninstalled_workspace_loses_its_tokens_and_is_not_answered(oauth_slack, fake_slack):
    server, installations = oauth_slack
    _install(server, fake_slack, "code-t3", "T0003", "xoxb-third", "UINSTALL3")
    assert installations.find_bot(enterprise_id=None, team_id="T0003") is not None
    uninstall = {"type": "app_uninstalled", "event_ts": "1700006100.1"}
    assert server.event(uninstall, "EvOA2", team="T0003")[0] == 200
    deadline = time.monotonic() + 10
    while installations.find_bot(enterprise_id=None, team_id="T0003") is not None:
        assert time.monotonic() < deadline, "the uninstalled workspace kept its token"
        time.sleep(0.05)
    assert installations.workspaces() == 0
    server.event(mention(f"<@{BOT_USER}> {QUESTION}", ts="1700006101.1"), "EvOA3", team="T0003")
    time.sleep(1.0)
    assert not _posted_with(fake_slack, "xoxb-third")


def test_a_forged_or_replayed_install_callback_stores_nothing(oauth_slack, fake_slack):
    server, installations = oauth_slack
    fake_slack.grant("code-t4", "T0004", "xoxb-fourth", "UINSTALL4")
    status, _, _ = _get(server.url, "/slack/oauth_redirect?code=code-t4&state=made-up")
    assert status == 400
    assert not fake_slack.of("oauth.v2.access")  # the code was never exchanged
    status, _, _ = _install(server, fake_slack, "code-t5", "T0005", "xoxb-fifth", "UINSTALL5")
    assert status == 200
    assert installations.workspaces() == 1


@pytest.mark.slow
def test_serve_runs_in_oauth_mode_without_a_bot_token(fake_slack, built, tmp_path):
    knowledge, index = built
    port = free_port()
    env = slack_server_env(
        fake_slack.url,
        knowledge,
        index,
        tmp_path,
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        STPBOT_SLACK_INSTALLATIONS_DB=str(tmp_path / "installs.sqlite3"),
    )
    process = subprocess.Popen(
        slack_server_command(port), env=env, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, headers, _ = _get(url, "/slack/install")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        assert status == 302 and "client_id=1111.2222" in headers["location"]
    finally:
        process.terminate()
        _, log = process.communicate(timeout=30)
    assert CLIENT_SECRET not in log
