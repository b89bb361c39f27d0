"""Shared fixtures: one real index of the bundled briefings, built once per session.

Tests use the real bundled model offline; nothing is mocked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from stpbot.chunk.chunking import Passage

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
# One ONNX export of the model serves every test and every `stpbot` process they start
# (an export takes seconds; the fingerprint check redoes it if the model changes).
MODEL_CACHE = REPO / ".pytest_cache" / "stpbot-models"
os.environ.setdefault("STPBOT_MODEL_CACHE", str(MODEL_CACHE))
STATE = Path(tempfile.mkdtemp(prefix="stpbot-test-state-"))
KNOWLEDGE = REPO / "knowledge"
EVAL_FILE = REPO.parent / "shared" / "eval" / "questions.jsonl"


def make_passage(
    text: str, *sentences: tuple[int, int], number: int = 0, doc_id: str = "doc"
) -> Passage:
    """A passage of `text` as the chunker would make it (one sentence unless given)."""
    return Passage(
        id=f"{doc_id}#p{number}",
        doc_id=doc_id,
        text=text,
        start=0,
        end=len(text),
        paragraph=number,
        heading=None,
        sentences=sentences or ((0, len(text)),),
    )


def cli_environment(*strip: str, **overrides: str) -> dict[str, str]:
    """This process's environment without any STPBOT_ (or other `strip`) settings,
    but with the shared model cache, for a `stpbot` subprocess."""
    prefixes = ("STPBOT_", *strip)
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        HF_HUB_OFFLINE="1",
        STPBOT_MODEL_CACHE=str(MODEL_CACHE),
        # A served bot's SQLite files go to a scratch folder, never the working copy.
        STPBOT_FEEDBACK_DB=str(STATE / "feedback.sqlite3"),
        STPBOT_MEMORY_DB=str(STATE / "memory.sqlite3"),
    )
    env.update(overrides)
    return env


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_table():
    """(pid, parent pid, CPU seconds used) of every process, read from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        yield int(stat.parent.name), int(fields[1]), (int(fields[11]) + int(fields[12])) / tick


def slack_server_env(fake_url, knowledge, index, state, **extra):
    """The environment of a served Slack bot talking to the fake Web API at `fake_url`."""
    return cli_environment(
        "SLACK_",
        STPBOT_KNOWLEDGE_DIR=str(knowledge),
        STPBOT_INDEX_DIR=str(index),
        STPBOT_FEEDBACK_DB=str(state / "feedback.sqlite3"),
        STPBOT_MEMORY_DB=str(state / "memory.sqlite3"),
        STPBOT_SLACK_API_URL=fake_url + "/api/",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        **extra,
    )


def slack_server_command(port, *extra):
    """`stpbot serve slack --http` on 127.0.0.1:`port`, as deployed."""
    http = ["--http", "--host", "127.0.0.1", "--port", str(port)]
    return [stpbot_executable(), "serve", "slack", *http, *extra]


@pytest.fixture(scope="session")
def embedder():
    from stpbot.embedding import open_embedder

    return open_embedder(cache_dir=MODEL_CACHE)


@pytest.fixture(scope="session")
def built(tmp_path_factory, embedder):
    """A copy of knowledge/ and an index built from it: (knowledge_dir, index_dir)."""
    from stpbot.index.build import build_index

    root = tmp_path_factory.mktemp("built")
    knowledge = root / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    index = root / "index"
    build_index(knowledge, index, embedder)
    return knowledge, index


@pytest.fixture(scope="session")
def engine(built, embedder):
    from stpbot.engine import Engine

    knowledge, index = built
    return Engine.open(knowledge_dir=knowledge, index_dir=index, embedder=embedder)


@pytest.fixture
def workspace(tmp_path, built):
    """A private, writable copy of the built knowledge and index folders."""
    knowledge, index = built
    shutil.copytree(knowledge, tmp_path / "knowledge")
    shutil.copytree(index, tmp_path / "index")
    return tmp_path / "knowledge", tmp_path / "index"


def stpbot_executable() -> str:
    """The installed `stpbot` console script next to this interpreter."""
    candidate = Path(sys.executable).parent / "stpbot"
    return str(candidate) if candidate.exists() else shutil.which("stpbot") or "stpbot"


@pytest.fixture
def run_cli():
    """Run the real `stpbot` entry point in a subprocess; returns CompletedProcess."""

    def run(*args, knowledge=None, index=None, stdin=None, cwd=None, env=None):
        full_env = cli_environment()
        if knowledge is not None:
            full_env["STPBOT_KNOWLEDGE_DIR"] = str(knowledge)
        if index is not None:
            full_env["STPBOT_INDEX_DIR"] = str(index)
        full_env.update(env or {})
        return subprocess.run(
            [stpbot_executable(), *args],
            input=stdin,
            check=False,
            capture_output=True,
            text=True,
            cwd=cwd,
            env=full_env,
            timeout=300,
        )

    return run


# --- Slack: a recording fake of the Web API, signed requests, the app served on loopback ---

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token-do-not-log"
BOT_USER = "UBOT0001"
ADMIN = "UADMIN01"


class FakeSlack:
    """Slack's Web API and response_url endpoints on 127.0.0.1, recording every call.

    `calls` holds (method, args, headers); `fail_next(method, ...)` queues one failure.
    """

    def __init__(self):
        import itertools
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.calls = []
        self.files = {}  # name -> bytes, served at /files/<name> to the bot token only
        self._cond = threading.Condition()
        self._failures = {}
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                fake._handle(self)

            def do_GET(self):
                fake._serve_file(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def response_url(self, name="r1"):
        return f"{self.url}/response/{name}"

    def share_file(self, name, data):
        """Make `data` downloadable as Slack serves shared files; returns its URL."""
        self.files[name] = data
        return f"{self.url}/files/{name}"

    def _serve_file(self, handler):
        name = handler.path.rsplit("/", 1)[-1]
        self._record("files.download", {"name": name}, handler.headers)
        if handler.headers.get("Authorization") != f"Bearer {BOT_TOKEN}" or name not in self.files:
            body = b"<html>Sign in to Slack</html>"  # what Slack answers without access
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
        else:
            body = self.files[name]
            handler.send_response(200)
            handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def fail_next(self, method, status=200, body=None, headers=None):
        self._failures.setdefault(method, []).append((status, body, headers or {}))

    def _handle(self, handler):
        import json
        from urllib.parse import parse_qsl

        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0)).decode()
        if "json" in (handler.headers.get("Content-Type") or ""):
            args = json.loads(raw or "{}")
        else:
            args = dict(parse_qsl(raw))
            for key in ("blocks", "view"):
                if isinstance(args.get(key), str):
                    args[key] = json.loads(args[key])
        path = handler.path.split("?")[0]
        method = "response_url" if path.startswith("/response/") else path.rsplit("/", 1)[-1]
        if method == "response_url":
            args["__response"] = path.rsplit("/", 1)[-1]  # which response_url was used
        failures = self._failures.get(method)
        if failures:
            status, body, headers = failures.pop(0)
            self._record(method + "!failed", args, handler.headers)
            self._send(handler, status, body or {"ok": False, "error": "ratelimited"}, headers)
            return
        self._record(method, args, handler.headers)
        self._send(handler, 200, self._result(method, args))

    def _record(self, method, args, headers):
        with self._cond:
            self.calls.append((method, args, dict(headers)))
            self._cond.notify_all()

    def _result(self, method, args):
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": BOT_USER,
                "bot_id": "BBOT0001",
                "team_id": "T0001",
                "user": "stpbot",
                "team": "Test",
                "url": "https://test.slack.com/",
            }
        if method in ("chat.postMessage", "chat.update"):
            channel = args.get("channel", "")
            if channel.startswith("U"):
                channel = "D" + channel[1:]  # a message to a user lands in their DM
            ts = args.get("ts") or f"1700000000.{next(self._ts):06d}"
            args.setdefault("__ts", ts)  # what Slack answered, for tests to follow up on
            return {"ok": True, "channel": channel, "ts": ts, "message": {"ts": ts}}
        if method == "response_url":
            return {"ok": True}
        return {"ok": True}

    @staticmethod
    def _send(handler, status, body, headers=None):
        import json

        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    def methods(self):
        with self._cond:
            return [m for m, _, _ in self.calls]

    def of(self, method):
        with self._cond:
            return [args for m, args, _ in self.calls if m == method]

    def wait_for(self, predicate, timeout=30.0):
        """Wait until predicate(calls) is true; returns the calls, or fails the test."""
        import time

        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.calls):
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(
                        f"Slack never saw the expected calls; got {[m for m, _, _ in self.calls]}"
                    )
                self._cond.wait(left)
            return list(self.calls)

    def wait_count(self, method, count, timeout=30.0):
        self.wait_for(lambda calls: sum(m == method for m, _, _ in calls) >= count, timeout)
        return self.of(method)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_slack():
    fake = FakeSlack()
    yield fake
    fake.close()


def slack_settings(fake, tmp_path, **extra):
    from stpbot.config import Settings

    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.url + "/api/",
        admin_users=[ADMIN],
        feedback_db=tmp_path / "feedback.sqlite3",
        memory_db=tmp_path / "memory.sqlite3",
        **extra,
    )


class SlackServer:
    """The real Slack app (`create_app` + WSGI guard + waitress) on a loopback port."""

    def __init__(self, app, deps, fake):
        import threading

        from stpbot.slack.server import http_server, wsgi_app

        self.app, self.deps, self.bot, self.fake = app, deps, deps.bot, fake
        bot = deps.bot
        health = lambda: {"status": "ok", "passages": bot.live.engine.index.manifest.passage_count}  # noqa: E731
        self.server = http_server(wsgi_app(app, SIGNING_SECRET, health), "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self._closing = False
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            self.server.run()
        except OSError:
            if not self._closing:  # closing the socket under select() is expected
                raise

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

    def event(self, event, event_id, headers=None):
        import json

        envelope = {
            "token": "legacy-verification-token",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1700000000,
            "authorizations": [
                {"enterprise_id": None, "team_id": "T0001", "user_id": BOT_USER, "is_bot": True}
            ],
            "is_ext_shared_channel": False,
        }
        return self.post(json.dumps(envelope), "application/json", headers)

    def command(self, text, user="U0000001", channel="C0000001", response="r1"):
        from urllib.parse import urlencode

        form = {
            "token": "legacy-verification-token",
            "team_id": "T0001",
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

    def close(self):
        # Let queued answers finish before the fake Slack goes away.
        self.deps.workers.shutdown(wait=True)
        self._closing = True
        self.server.close()


def serve_slack(fake, tmp_path, knowledge, index, embedder):
    from stpbot.chat.bot import ChatBot
    from stpbot.chat.feedback import FeedbackStore
    from stpbot.chat.live_engine import LiveEngine
    from stpbot.slack.app import create_app
    from stpbot.slack.deps import Deps

    settings = slack_settings(fake, tmp_path)
    live = LiveEngine(knowledge_dir=knowledge, index_dir=index, embedder=embedder)
    live.open()
    bot = ChatBot(
        live, FeedbackStore(settings.feedback_db), frontend="slack", admins=settings.admin_users
    )
    deps = Deps(bot)
    return SlackServer(create_app(settings, bot, deps=deps), deps, fake)


@pytest.fixture
def slack(fake_slack, tmp_path, built, embedder):
    """The Slack app served over HTTP on loopback, answering from the bundled briefings."""
    knowledge, index = built
    server = serve_slack(fake_slack, tmp_path, knowledge, index, embedder)
    yield server
    server.close()


@pytest.fixture
def slack_workspace(fake_slack, tmp_path, workspace, embedder):
    """Like `slack`, over a private copy of knowledge/ and index/ that tests may change."""
    knowledge, index = workspace
    server = serve_slack(fake_slack, tmp_path, knowledge, index, embedder)
    yield server, knowledge
    server.close()
