"""The real Slack app served over HTTP on loopback, and signed requests to it."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import asdict

from tests.support import BOT_USER, SIGNING_SECRET, slack_settings

QUESTION = "why were patients absent from STP governance?"


def section_texts(blocks):
    """Every text of the blocks as a reader sees it: mrkdwn without its zero-width
    spaces, rich-text quotes joined."""
    texts = []
    for block in blocks:
        if block.get("text"):
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), str):
                texts.append(element["text"])
            if block["type"] == "rich_text":
                texts.append("".join(part.get("text", "") for part in element["elements"]))
    return "\n".join(texts).replace("\u200b", "")


def quotes_of(blocks):
    """The quotes of a reply as shown: each rich-text block quote's parts joined."""
    return [
        "".join(part["text"] for part in block["elements"][0]["elements"])
        for block in blocks
        if block["type"] == "rich_text"
    ]


def bold_parts(blocks):
    return [
        part["text"]
        for block in blocks
        if block["type"] == "rich_text"
        for part in block["elements"][0]["elements"]
        if part.get("style", {}).get("bold")
    ]


def buttons(blocks):
    return {
        e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]
    }


# --- payloads as Slack sends them -------------------------------------------------


def mention(text, ts, thread_ts=None, channel="C0000001", user="U0000001"):
    event = {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "team": "T0001",
        "blocks": [],
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def direct_message(text, user="U0000001", ts="1700000900.000900"):
    return {
        "type": "message",
        "channel": "D0000001",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
        "team": "T0001",
    }


def block_action(action_id, value, user="U0000001", ephemeral=True, response="r2"):
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "someone", "team_id": "T0001"},
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000002",
            "channel_id": "C0000001",
            "is_ephemeral": ephemeral,
        },
        "trigger_id": "1.2.4",
        "team": {"id": "T0001", "domain": "test"},
        "channel": {"id": "C0000001", "name": "engagement"},
        "response_url": f"__RESPONSE__{response}",
        "actions": [
            {
                "action_id": action_id,
                "block_id": f"stp_actions_{value}",
                "text": {"type": "plain_text", "text": "button"},
                "value": value,
                "type": "button",
                "action_ts": "1700000000.1",
            }
        ],
    }


class SlackClient:
    """Slack's side of the HTTP protocol: signed events, commands and button presses,
    sent to the app at `url`, with response URLs on the fake Web API."""

    def __init__(self, url, fake):
        self.url, self.fake = url, fake

    def health(self):
        import json
        import urllib.request

        with urllib.request.urlopen(self.url + "/healthz", timeout=10) as response:
            return json.loads(response.read())

    def post(self, body, content_type, headers=None, sign=True, timestamp=None):
        """POST to /slack/events, signed as Slack signs (v0:timestamp:body).

        Returns (status, body, seconds taken).
        """
        import hashlib
        import hmac
        import time
        import urllib.error
        import urllib.request

        data = body.encode()
        sent = {"Content-Type": content_type}
        if sign:
            ts = str(int(time.time()) if timestamp is None else timestamp)
            base = f"v0:{ts}:{body}".encode()
            digest = hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
            sent.update({"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest})
        sent.update(headers or {})
        request = urllib.request.Request(self.url + "/slack/events", data=data, headers=sent)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode(), time.perf_counter() - started
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), time.perf_counter() - started

    def event(self, event, event_id, headers=None, team="T0001"):
        import json

        envelope = {
            "token": "legacy-verification-token",
            "team_id": team,
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1700000000,
            "authorizations": [
                {"enterprise_id": None, "team_id": team, "user_id": BOT_USER, "is_bot": True}
            ],
            "is_ext_shared_channel": False,
        }
        return self.post(json.dumps(envelope), "application/json", headers)

    def command(self, text, user="U0000001", channel="C0000001", response="r1", team="T0001"):
        from urllib.parse import urlencode

        form = {
            "token": "legacy-verification-token",
            "team_id": team,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "engagement",
            "user_id": user,
            "user_name": "someone",
            "command": "/stp",
            "text": text,
            "api_app_id": "A0001",
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(response),
            "trigger_id": "1.2.3",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def action(self, payload):
        import json
        from urllib.parse import urlencode

        body = json.dumps(payload).replace("__RESPONSE__", self.fake.url + "/response/")
        return self.post(urlencode({"payload": body}), "application/x-www-form-urlencoded")


class SlackServer(SlackClient):
    """The real Slack app (`create_app` + WSGI guard + waitress) on a loopback port."""

    def __init__(self, app, deps, fake):
        import threading

        from stpbot.slack.server import http_server, wsgi_app

        self.app, self.deps, self.bot = app, deps, deps.bot
        bot = deps.bot
        health = lambda: asdict(bot.health())  # noqa: E731  as `serve slack` wires it
        self.server = http_server(wsgi_app(app, SIGNING_SECRET, health), "127.0.0.1", 0)
        super().__init__(f"http://127.0.0.1:{self.server.effective_port}", fake)
        self._closing = False
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            self.server.run()
        except OSError:
            if not self._closing:  # closing the socket under select() is expected
                raise

    def settle(self, timeout=30.0):
        """Wait until every request sent so far has been handled and answered: after
        it, an answer that was going to be sent twice would have been."""
        assert self.deps.drain(timeout), "the app was still busy after {timeout} s"

    def close(self):
        # Let queued answers finish before the fake Slack goes away.
        self.deps.workers.shutdown(wait=True)
        self._closing = True
        self.server.close()


def serve_slack(fake, tmp_path, knowledge, index, embedder):
    from stpbot.chat.bot import ChatBot
    from stpbot.chat.live_engine import LiveEngine
    from stpbot.slack.app import create_app
    from stpbot.slack.deps import Deps
    from stpbot.state.feedback import FeedbackStore

    settings = slack_settings(fake, tmp_path)
    live = LiveEngine(knowledge_dir=knowledge, index_dir=index, embedder=embedder)
    live.open()
    bot = ChatBot(
        live, FeedbackStore(settings.feedback_db), frontend="slack", admins=settings.admin_users
    )
    deps = Deps(bot)
    return SlackServer(create_app(settings, bot, deps=deps), deps, fake)


class SlowClients:
    """`count` connections that trickle a request's headers and never finish them."""

    def __init__(self, url: str, count: int) -> None:
        from urllib.parse import urlsplit

        where = urlsplit(url)
        self.address = (where.hostname, where.port)
        self.count = count
        self.stop = threading.Event()
        self.conns: list[socket.socket] = []
        self.threads: list[threading.Thread] = []

    def _trickle(self) -> None:
        try:
            conn = socket.create_connection(self.address, timeout=5)
        except OSError:
            return
        self.conns.append(conn)
        try:
            for byte in b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
                if self.stop.wait(0.5):
                    return
                conn.send(bytes([byte]))
        except OSError:
            pass

    def __enter__(self) -> SlowClients:
        self.threads = [
            threading.Thread(target=self._trickle, daemon=True) for _ in range(self.count)
        ]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(5)
        for conn in self.conns:
            conn.close()


def assert_answering(slack) -> None:
    """`/healthz` and a signed `/stp help` both answer, each within a second."""
    import urllib.request

    started = time.monotonic()
    with urllib.request.urlopen(slack.url + "/healthz", timeout=5) as response:
        assert response.status == 200
    assert time.monotonic() - started < 1
    status, _, seconds = slack.command("help")
    assert status == 200 and seconds < 1
