"""Run the Slack app: HTTP mode (Events API on `/slack/events`, `GET /healthz`) on a
threaded WSGI server, or Socket Mode over Slack's WebSocket."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from slack_bolt import App
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger("stpbot.slack")

EVENTS_PATH = "/slack/events"
# OAuth mode: the "Add to Slack" link, and where Slack sends the user back with a code.
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
HEALTH_PATH = "/healthz"
MAX_BODY = 1_000_000  # Slack's payloads are a few kB; anything near this is not Slack.
SERVER_THREADS = 16
CONNECTION_LIMIT = 2000
IDLE_SECONDS = 30

_TIMESTAMP = re.compile(r"^\d{1,12}$")
_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _reply(start_response: StartResponse, status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def wsgi_app(
    app: App, signing_secret: str, health: Callable[[], dict[str, Any]]
) -> WSGIApplication:
    """Bolt behind a guard that answers 401 for any missing, malformed or wrong
    signature (Bolt alone turns a malformed timestamp into a 500)."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk.signature import SignatureVerifier

    bolt = SlackRequestHandler(app, path=EVENTS_PATH)
    verifier = SignatureVerifier(signing_secret)

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return _reply(start_response, "200 OK", health())
        if path in (INSTALL_PATH, REDIRECT_PATH) and method == "GET":
            # A browser, not Slack, asks for these: Bolt's OAuth flow checks the
            # one-time state instead of a signature (404 when OAuth is off).
            environ["wsgi.input"] = io.BytesIO(b"")
            return bolt(environ, start_response)
        if path != EVENTS_PATH:
            return _reply(start_response, "404 Not Found", {"error": "not found"})
        if method != "POST":
            return _reply(start_response, "405 Method Not Allowed", {"error": "POST only"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            log.warning("refused a request to %s: body of %s bytes", path, length)
            return _reply(start_response, "413 Content Too Large", {"error": "body too large"})
        body = environ["wsgi.input"].read(length)
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not (
            _TIMESTAMP.match(timestamp)
            and _SIGNATURE.match(signature)
            and _utf8(body)  # Slack signs UTF-8; the verifier would raise on anything else
            and verifier.is_valid(body, timestamp, signature)
        ):
            # One line per refusal, nothing of the request: it is unauthenticated.
            log.warning("refused an unsigned or wrongly signed request to %s", path)
            return _reply(start_response, "401 Unauthorized", {"error": "invalid request"})
        environ["wsgi.input"] = io.BytesIO(body)
        return bolt(environ, start_response)

    return application


def _connection_limit() -> int:
    """CONNECTION_LIMIT, or fewer where the process may not open that many files."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return CONNECTION_LIMIT
    # Leave room for the index, the model, logs and SQLite files.
    return max(100, min(CONNECTION_LIMIT, soft - 128))


def _waitress_options() -> dict[str, Any]:
    """How every waitress server of the bot reads requests, alone or in a worker."""
    return {
        "threads": SERVER_THREADS,
        "ident": "stpbot",
        "clear_untrusted_proxy_headers": True,
        # Refused by waitress from the headers, before any of an oversized body is
        # spooled (its default is 1 GB).
        "max_request_body_size": MAX_BODY,
        # Slow clients each hold a connection, not a thread (waitress reads requests
        # whole before a thread sees them), so what they can exhaust is connections:
        # allow many (poll, not select, past 1,024 descriptors) and close idle ones
        # soon. A buffering proxy in front is still the real defence (README).
        "connection_limit": _connection_limit(),
        "asyncore_use_poll": True,
        "channel_timeout": IDLE_SECONDS,
    }


def http_server(application: WSGIApplication, host: str, port: int) -> Any:
    """A waitress server (threaded, production-grade) for `application`; call `.run()`."""
    from waitress.server import create_server

    return create_server(application, host=host, port=port, **_waitress_options())


def socket_mode_handler(app: App, app_token: str) -> SocketModeHandler:
    """Socket Mode: no public URL, Slack pushes events over a WebSocket."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token, concurrency=SERVER_THREADS)


def prefork_server(load: Callable[[], WSGIApplication], host: str, port: int, workers: int) -> Any:
    """A gunicorn arbiter with `workers` processes, each calling `load()` after the fork
    (so each has its own model, index and threads); call `.run()`.

    Answers are CPU-bound, so a second core is only used by a second process.
    """
    from gunicorn.app.base import BaseApplication

    class Prefork(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            settings = {
                "bind": f"{host}:{port}",
                "workers": workers,
                # waitress inside each worker: gunicorn's own threaded worker gives a
                # thread to a connection at its first byte, so 32 slow clients held
                # every thread of two workers.
                "worker_class": "stpbot.slack.prefork.WaitressWorker",
                "preload_app": False,
                # Loading the model and index takes seconds; the default 30 s is too tight
                # for a cold disk, and a worker is only "silent" while it loads.
                "timeout": 120,
                "graceful_timeout": 30,
                "proc_name": "stpbot-slack",
                "accesslog": None,  # request lines would carry Slack ids; the bot logs its own
                "loglevel": "warning",
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> WSGIApplication:
            from gunicorn.errors import AppImportError

            from stpbot.errors import StpbotError

            try:
                return load()
            except StpbotError as exc:
                # gunicorn prints this one line and stops, instead of a traceback per retry.
                raise AppImportError(f"Error: {exc}") from exc

        def run(self) -> None:
            import signal

            from gunicorn.arbiter import Arbiter
            from gunicorn.errors import HaltServer

            arbiter = Arbiter(self)
            try:
                arbiter.run()
            except HaltServer as exc:
                # When two workers fail to load at once, gunicorn's own shutdown raises
                # this again, past its handler: the workers' one-line error is enough.
                arbiter.kill_workers(signal.SIGKILL)
                raise SystemExit(exc.exit_status) from None
            except RuntimeError as exc:  # as gunicorn's own run() does
                print(f"Error: {exc}", file=sys.stderr)
                raise SystemExit(1) from None

    return Prefork()
