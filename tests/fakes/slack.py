"""A recording fake of Slack's Web API and response_url endpoints."""

from __future__ import annotations

import pytest

from tests.support import BOT_TOKEN, BOT_USER

# serve_forever's poll interval: shutdown() waits up to this long for the loop to see it.
POLL = 0.02


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
        self._grants = {}  # OAuth code -> (team id, bot token, installing user)
        self.teams = {BOT_TOKEN: "T0001"}  # bot token -> its workspace, for auth.test
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
        self.thread = threading.Thread(target=self.server.serve_forever, args=(POLL,), daemon=True)
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

    def grant(self, code, team_id, token, installer):
        """Let `code` be exchanged once (oauth.v2.access) for a bot token of `team_id`."""
        self._grants[code] = (team_id, token, installer)

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
        self._send(handler, 200, self._result(method, args, handler.headers))

    def _record(self, method, args, headers):
        with self._cond:
            self.calls.append((method, args, dict(headers)))
            self._cond.notify_all()

    def _result(self, method, args, headers=None):
        if method == "oauth.v2.access":
            return self._exchange(args, (headers or {}).get("Authorization", ""))
        if method == "auth.test":
            token = (headers or {}).get("Authorization", "").removeprefix("Bearer ")
            token = args.get("token") or token
            return {
                "ok": True,
                "user_id": BOT_USER,
                "bot_id": "BBOT0001",
                "team_id": self.teams.get(token, "T0001"),
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

    def _exchange(self, args, authorization):
        """oauth.v2.access as Slack answers it for a bot install; a code works once, for
        an app that authenticates (HTTP Basic: client id and secret)."""
        import base64

        scheme, _, encoded = authorization.partition(" ")
        client = base64.b64decode(encoded).decode() if scheme == "Basic" else ""
        if not client.partition(":")[2]:
            return {"ok": False, "error": "invalid_client_id"}
        grant = self._grants.pop(args.get("code"), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        team_id, token, installer = grant
        self.teams[token] = team_id
        return {
            "ok": True,
            "app_id": "A0001",
            "authed_user": {"id": installer},
            "scope": "app_mentions:read,chat:write,commands,files:read,im:history,reactions:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": BOT_USER,
            "team": {"id": team_id, "name": f"Workspace {team_id}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

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
