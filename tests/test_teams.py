"""The Teams app over its real protocol: Activity JSON posted to /api/messages on
loopback, Bot Framework JWTs signed with a test key from a loopback key endpoint,
replies recorded by a fake Bot Connector."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.fakes.teams import (
    APP_ID,
    FakeConnector,
    FakeFileHost,
    KeyServer,
    file_attachment,
    outbound_token,
)

QUESTION = "why were patients absent from STP governance?"


class TeamsServer:
    def __init__(self, bot, **options):
        from stpbot.teams.app import create_app
        from stpbot.teams.server import http_server, run

        self.app, web = create_app(bot, **options)
        self.server = http_server(web, "127.0.0.1", 0)
        self.thread = threading.Thread(
            target=lambda: asyncio.run(run(self.app, self.server)), daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def post(self, activity, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            self.url + "/api/messages", data=json.dumps(activity).encode(), headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def close(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def connector():
    fake = FakeConnector()
    yield fake
    fake.close()


@pytest.fixture
def keys():
    server = KeyServer()
    yield server
    server.close()


@pytest.fixture
def teams_bot(built, embedder, tmp_path):
    from stpbot.chat.bot import ChatBot
    from stpbot.chat.live_engine import LiveEngine
    from stpbot.state.feedback import FeedbackStore

    knowledge, index = built
    live = LiveEngine(knowledge_dir=knowledge, index_dir=index, embedder=embedder)
    live.open()
    return ChatBot(
        live, FeedbackStore(tmp_path / "f.sqlite3"), frontend="teams", admins=["aad-admin"]
    )


@pytest.fixture
def secured(teams_bot, keys):
    """The default configuration: app id and credentials, every request JWT-checked."""
    server = TeamsServer(
        teams_bot,
        app_id=APP_ID,
        app_password=None,
        tenant_id=None,
        allow_unauthenticated=False,
        openid_metadata_url=keys.metadata_url,
        token=outbound_token,
    )
    yield server
    server.close()


@pytest.fixture
def dev(teams_bot):
    """Local development mode: no app id, requests not authenticated."""
    server = TeamsServer(
        teams_bot, app_id=None, app_password=None, tenant_id=None, allow_unauthenticated=True
    )
    yield server
    server.close()


def card_of(activity):
    (attachment,) = activity["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def card_text(card):
    return json.dumps(card, ensure_ascii=False)


# --- security --------------------------------------------------------------------


def test_unsigned_and_forged_requests_are_401_and_nothing_is_sent(secured, connector, keys):
    activity = personal_message(QUESTION, connector.url)
    assert secured.post(activity)[0] == 401
    assert secured.post(activity, token="not.a.jwt")[0] == 401
    assert secured.post(activity, token=keys.token(connector.url, aud="someone-else"))[0] == 401
    assert secured.post(activity, token=keys.token(connector.url, iss="https://evil"))[0] == 401
    assert (
        secured.post(activity, token=keys.token(connector.url, exp=int(time.time()) - 3600))[0]
        == 401
    )
    time.sleep(0.5)
    assert connector.sent == []


def test_a_signed_request_is_answered_with_a_token(secured, connector, keys):
    status, _ = secured.post(
        personal_message(QUESTION, connector.url), token=keys.token(connector.url)
    )
    assert status == 200
    path, headers, activity = connector.wait(1)[0]
    assert path == "/v3/conversations/a:personal-chat/activities"
    assert headers["Authorization"].startswith("Bearer ey")
    assert "absent from STP governance" in card_text(card_of(activity))


def test_development_mode_replies_without_a_token_whatever_the_environment(
    teams_bot, connector, monkeypatch
):
    # The SDK reads these if we let it; only STPBOT_TEAMS_* may configure the bot.
    monkeypatch.setenv("CLIENT_ID", "99999999-8888-7777-6666-555555555555")
    monkeypatch.setenv("CLIENT_SECRET", "from-the-environment")
    server = TeamsServer(
        teams_bot, app_id=None, app_password=None, tenant_id=None, allow_unauthenticated=True
    )
    try:
        assert server.post(personal_message(QUESTION, connector.url))[0] == 200
        _, headers, reply = connector.wait(1)[0]
    finally:
        server.close()
    assert "Authorization" not in headers
    assert "absent from STP governance" in card_text(card_of(reply))


# --- behaviour -------------------------------------------------------------------


def test_personal_message_gets_quotes_with_highlight_and_attribution(dev, connector):
    assert dev.post(personal_message(QUESTION, connector.url))[0] == 200
    card = card_of(connector.wait(1)[0][2])
    first = card["body"][1]
    runs = first["items"][0]["inlines"]
    bold = [r["text"] for r in runs if r.get("weight") == "Bolder"]
    assert any("absent from STP governance" in t for t in bold)
    attribution = "".join(r["text"] for r in first["items"][1]["inlines"])
    assert "King" in attribution and "para " in attribution
    assert [a["title"] for a in card["actions"]] == [
        "👍 Helpful",
        "👎 Not helpful",
        "More passages",
    ]


def test_channel_mention_is_answered_in_its_thread(dev, connector):
    activity = channel_mention(f"<at>stpbot</at> {QUESTION}", connector.url)
    assert dev.post(activity)[0] == 200
    path, _, reply = connector.wait(1)[0]
    assert path == "/v3/conversations/19:team@thread.tacv2;messageid=1700000000001/activities"
    assert "absent from STP governance" in card_text(card_of(reply))


def test_follow_up_in_a_channel_thread(dev, connector):
    dev.post(channel_mention("<at>stpbot</at> how secret were the plans?", connector.url))
    dev.post(channel_mention("<at>stpbot</at> who criticised that?", connector.url, id_="m2"))
    follow = connector.wait(2)[1][2]
    assert "could not find" not in card_text(card_of(follow))


def test_votes_go_to_the_shared_feedback_store_and_more_pages_on(dev, connector, teams_bot):
    dev.post(personal_message(QUESTION, connector.url))
    card = card_of(connector.wait(1)[0][2])
    record = card["actions"][0]["data"]["record"]
    dev.post(card_submit({"stp": "not_helpful", "record": record}, connector.url, id_="s1"))
    assert connector.wait(2)[1][2]["text"] == "Thanks for saying; this helps us improve the bot."
    summary = teams_bot.feedback.summary()
    assert summary.not_helpful == 1 and summary.recent_unhelpful[0].question == QUESTION
    dev.post(card_submit({"stp": "more", "record": record}, connector.url, id_="s2"))
    more = card_of(connector.wait(3)[2][2])
    assert "More passages for:" in card_text(more) and '"4. "' in card_text(more)


def test_commands_mirror_slash_commands(dev, connector):
    for i, text in enumerate(
        ["summary local government", "compare engagement", "topics", "sources"]
    ):
        dev.post(personal_message(text, connector.url, id_=f"c{i}"))
    sent = [a for _, _, a in connector.wait(4)]
    texts = [card_text(card_of(a)) for a in sent]
    assert any("Summary:" in t for t in texts) and any("Compare:" in t for t in texts)
    assert any("Topics the briefings cover" in t for t in texts)
    assert any("The briefings I quote from" in t for t in texts)


def test_nothing_found_long_question_and_help_match_slack(dev, connector):
    from stpbot.render.slack import NOT_FOUND

    dev.post(
        personal_message("what is the best recipe for lemon drizzle?", connector.url, id_="n1")
    )
    dev.post(personal_message("why " * 600, connector.url, id_="n2"))
    dev.post(personal_message("help", connector.url, id_="n3"))
    found, long, helped = (a for _, _, a in connector.wait(3))
    assert NOT_FOUND in card_text(card_of(found)) and "engagement" in card_text(card_of(found))
    assert long["text"] == "The question is 2,399 characters long; the limit is 2,000."
    assert "summary <topic>" in helped["text"] and "reindex" not in helped["text"]


def test_reindex_is_for_admins_by_aad_object_id(dev, connector):
    dev.post(personal_message("reindex", connector.url, id_="r1"))
    assert "Only the bot's admins" in connector.wait(1)[0][2]["text"]
    dev.post(personal_message("help", connector.url, id_="r2", aad="aad-admin"))
    assert "reindex" in connector.wait(2)[1][2]["text"]


def test_admin_reindex_edits_one_message_in_place_as_it_goes(
    workspace, embedder, tmp_path, connector
):
    from stpbot.chat.bot import ChatBot
    from stpbot.chat.live_engine import LiveEngine
    from stpbot.state.feedback import FeedbackStore

    knowledge, index = workspace
    live = LiveEngine(knowledge_dir=knowledge, index_dir=index, embedder=embedder)
    live.open()
    paragraphs = (f"Paragraph {i} on how councils and patients shaped the STP." for i in range(300))
    (knowledge / "new.md").write_text("# A new report\n\n" + "\n\n".join(paragraphs))
    bot = ChatBot(
        live, FeedbackStore(tmp_path / "f.sqlite3"), frontend="teams", admins=["aad-admin"]
    )
    server = TeamsServer(
        bot, app_id=None, app_password=None, tenant_id=None, allow_unauthenticated=True
    )
    try:
        server.post(personal_message("reindex", connector.url, id_="x1", aad="aad-admin"))
        sent, updated = connector.wait_until(
            lambda s, u: any("Index rebuilt" in body.get("text", "") for _, body in u), timeout=120
        )
    finally:
        server.close()
    (_, _, first), *others = sent
    assert "Rebuilding the index" in first["text"] and not others  # one message, edited
    assert all(p.endswith("/activities/act-1") for p, _ in updated)
    final = updated[-1][1]["text"]
    assert "Index rebuilt" in final and "Added 1" in final and "new" in final
    assert len(live.engine.index.manifest.documents) == 6


def test_teams_admins_are_told_how_to_add_a_report_where_they_are(dev, connector):
    dev.post(personal_message("add", connector.url, id_="a1", aad="aad-admin"))
    text = connector.wait(1)[0][2]["text"]
    assert "personal chat in Teams" in text and "knowledge folder" in text


@pytest.fixture
def file_host(tmp_path, monkeypatch):
    host = FakeFileHost(tmp_path)
    # The SDK's HTTP client trusts the test CA, as a real one trusts SharePoint's.
    monkeypatch.setenv("SSL_CERT_FILE", host.ca_file)
    yield host
    host.close()


@pytest.fixture
def teams_workspace(workspace, embedder, tmp_path, file_host):
    from stpbot.chat.bot import ChatBot
    from stpbot.chat.live_engine import LiveEngine
    from stpbot.state.feedback import FeedbackStore

    knowledge, index = workspace
    live = LiveEngine(knowledge_dir=knowledge, index_dir=index, embedder=embedder)
    live.open()
    bot = ChatBot(
        live, FeedbackStore(tmp_path / "f.sqlite3"), frontend="teams", admins=["aad-admin"]
    )
    server = TeamsServer(
        bot, app_id=None, app_password=None, tenant_id=None, allow_unauthenticated=True
    )
    yield server, knowledge
    server.close()


def sent_file(name, url, service_url, aad="aad-admin", id_="file-1"):
    activity = personal_message("", service_url, id_=id_, aad=aad)
    activity["attachments"] = [file_attachment(name, url)]
    return activity


def test_an_admin_adds_a_report_by_sending_it_in_a_personal_chat(
    teams_workspace, connector, file_host
):
    from tests.support.reports import ALLOTMENTS

    server, knowledge = teams_workspace
    url = file_host.serve(
        "wessex-survey.md", f"# Wessex gardening survey\n\n{ALLOTMENTS}\n".encode()
    )
    server.post(sent_file("wessex-survey.md", url, connector.url))
    sent, updated = connector.wait_until(
        lambda s, u: any("answer from it" in body.get("text", "") for _, body in u), timeout=120
    )
    assert "Reading wessex-survey.md" in sent[0][2]["text"] and len(sent) == 1
    assert all(p.endswith("/activities/act-1") for p, _ in updated)  # one message, edited
    assert "Added “Wessex gardening survey”" in updated[-1][1]["text"]
    assert (knowledge / "wessex-survey.md").exists()
    # The pre-authorised URL was fetched as it is: no bot token went to the storage host.
    ((path, headers),) = file_host.requests
    assert "tempauth=" in path and "authorization" not in {h.lower() for h in headers}
    server.post(
        personal_message(
            "what did the Wessex survey find about allotments?", connector.url, id_="q9"
        )
    )
    answer = connector.wait(2)[1][2]
    assert "allotments gave older residents" in card_text(card_of(answer))


def test_reports_from_others_are_refused_before_anything_is_fetched(
    teams_workspace, connector, file_host
):
    server, knowledge = teams_workspace
    url = file_host.serve("notes.md", b"# Notes\n\nSomething.\n")
    server.post(sent_file("notes.md", url, connector.url, aad="aad-user-1"))
    assert "Only the bot's admins can add reports" in connector.wait(1)[0][2]["text"]
    assert file_host.requests == [] and not (knowledge / "notes.md").exists()


def test_an_unreadable_report_changes_nothing_and_says_why(teams_workspace, connector, file_host):
    server, knowledge = teams_workspace
    before = sorted(p.name for p in knowledge.iterdir())
    url = file_host.serve("scan.pdf", b"%PDF-1.4 not really a pdf")
    server.post(sent_file("scan.pdf", url, connector.url))
    _, updated = connector.wait_until(
        lambda s, u: any("nothing was changed" in body.get("text", "") for _, body in u), timeout=60
    )
    assert "I could not use scan.pdf" in updated[-1][1]["text"]
    assert sorted(p.name for p in knowledge.iterdir()) == before


def test_an_activity_sent_again_is_answered_once(dev, connector):
    # Teams resends an activity, same id, when the bot took over 15 s to take it.
    first = personal_message(QUESTION, connector.url, id_="slow-1")
    assert dev.post(first)[0] == 200
    connector.wait(1)
    assert dev.post(first)[0] == 200
    assert dev.post(personal_message("help", connector.url, id_="next-1"))[0] == 200
    sent = connector.wait(2)
    time.sleep(0.5)
    assert len(connector.sent) == 2
    assert "absent from STP governance" in card_text(card_of(sent[0][2]))
    assert "summary <topic>" in sent[1][2]["text"]


def test_unknown_fields_are_ignored(dev, connector):
    activity = personal_message(QUESTION, connector.url)
    activity["futureField"] = {"nested": [1, 2, 3]}
    activity["from"]["somethingNew"] = True
    activity["conversation"]["newProperty"] = "x"
    assert dev.post(activity)[0] == 200
    assert "absent from STP governance" in card_text(card_of(connector.wait(1)[0][2]))


def test_health_needs_no_auth_and_has_the_shape_slacks_has(secured, slack):
    with urllib.request.urlopen(secured.url + "/healthz", timeout=10) as response:
        teams = json.loads(response.read())
    with urllib.request.urlopen(slack.url + "/healthz", timeout=10) as response:
        slacks = json.loads(response.read())
    assert teams["status"] == "ok" and teams["documents"] == 5 and teams["passages"] > 0
    assert (
        set(teams) == set(slacks) == {"status", "documents", "passages", "built_at", "reindexing"}
    )


# --- activities as Teams sends them -------------------------------------------------


def personal_message(text, service_url, id_="m1", aad="aad-user-1"):
    return {
        "type": "message",
        "id": id_,
        "timestamp": "2026-11-23T10:00:00.000Z",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:user-1", "name": "Alex", "aadObjectId": aad},
        "conversation": {
            "id": "a:personal-chat",
            "conversationType": "personal",
            "tenantId": "tenant-1",
        },
        "recipient": {"id": "28:" + APP_ID, "name": "stpbot"},
        "textFormat": "plain",
        "locale": "en-GB",
        "text": text,
        "channelData": {"tenant": {"id": "tenant-1"}},
    }


def channel_mention(text, service_url, id_="m1"):
    activity = personal_message(text, service_url, id_=id_)
    activity["conversation"] = {
        "id": "19:team@thread.tacv2;messageid=1700000000001",
        "conversationType": "channel",
        "isGroup": True,
        "tenantId": "tenant-1",
    }
    activity["entities"] = [
        {
            "type": "mention",
            "text": "<at>stpbot</at>",
            "mentioned": {"id": "28:" + APP_ID, "name": "stpbot"},
        }
    ]
    activity["channelData"] = {
        "teamsChannelId": "19:team@thread.tacv2",
        "tenant": {"id": "tenant-1"},
    }
    return activity


def card_submit(value, service_url, id_="s1"):
    activity = personal_message("", service_url, id_=id_)
    activity.pop("text")
    activity["value"] = value
    return activity


def _raw_post(url, body, headers):
    """POST as a client that sends its headers and the first 64 kB, then reads the answer:
    a refusal must come without the rest of the body being sent."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(url)
    head = f"POST /api/messages HTTP/1.1\r\nHost: test\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "Connection: close\r\n\r\n"
    with socket.create_connection((where.hostname, where.port), timeout=30) as conn:
        conn.sendall(head.encode() + body[:65536])
        if len(body) <= 65536:
            conn.shutdown(socket.SHUT_WR)
        answer = conn.recv(4096)
    return int(answer.split(b" ", 2)[1])


def test_oversized_and_malformed_bodies_are_refused_before_the_sdk_parses_them(
    secured, dev, connector, keys, caplog
):
    import logging

    caplog.set_level(logging.INFO)
    nested = b"[" + b"[]," * 10_000_000 + b"[]]"  # 30 MB of lists, as the review sent
    json_type = {"Content-Type": "application/json"}
    forged = {**json_type, "Authorization": "Bearer not-a-real-token"}
    started = time.monotonic()
    assert _raw_post(secured.url, nested, json_type) == 401  # no token: not even read
    assert _raw_post(secured.url, nested, forged) == 413
    assert _raw_post(dev.url, nested, json_type) == 413
    assert time.monotonic() - started < 10
    for body in (b"[1, 2]", b'"text"', b"{not json", b"\xff\xfe"):
        assert _raw_post(dev.url, body, json_type) == 400, body
        assert _raw_post(secured.url, body, forged) == 400, body
    assert not any(r.exc_info for r in caplog.records)
    refusals = [r for r in caplog.records if "refused a request" in r.getMessage()]
    assert len(refusals) == 11
    assert connector.sent == []
    # A real activity still goes through, with a token.
    activity = personal_message(QUESTION, connector.url)
    assert secured.post(activity, keys.token(connector.url))[0] in (200, 201, 202)


def test_message_text_is_a_short_plain_line_and_the_card_carries_the_quotes(dev, connector):
    assert dev.post(personal_message(QUESTION, connector.url))[0] == 200
    assert dev.post(personal_message("what is the best lemon drizzle?", connector.url, "m2"))[0]
    assert dev.post(personal_message("help", connector.url, "m3"))[0] == 200
    answer, not_found, helped = (body for _, _, body in connector.wait(3))
    assert answer["textFormat"] == "plain"
    assert answer["text"] == f"3 quotes from the briefings on: {QUESTION}"
    assert "most obviously absent" not in answer["text"]  # the quote is in the card only
    assert not_found["text"].startswith("Nothing in the briefings on: ")
    assert "I could not find this" in card_text(card_of(not_found))
    assert helped["textFormat"] == "plain" and "attachments" not in helped
