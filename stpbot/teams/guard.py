"""What reaches the Teams SDK: bounded, authenticated-looking JSON objects only.

The SDK parses an activity before it checks the token, with no size limit: an
unauthenticated 30 MB body of nested lists held the event loop for seconds and a
body that is not an object ended in a 500 and a traceback. This ASGI guard answers
those in 4xx first, reading no more of a body than the limit.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    Scope = dict[str, Any]
    Message = dict[str, Any]
    Receive = Callable[[], Awaitable[Message]]
    Send = Callable[[Message], Awaitable[None]]
    ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("stpbot.teams")

MESSAGES_PATH = "/api/messages"
# Activities are a few kB (files arrive as links, not bytes); this leaves room to spare.
MAX_BODY = 256 * 1024


async def _refuse(send: Send, status: int, reason: str) -> None:
    # One line per refusal, nothing of the request: it is not authenticated yet.
    log.warning("refused a request to %s: %s", MESSAGES_PATH, reason)
    body = json.dumps({"error": reason}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class ActivityGuard:
    """Refuse, before the SDK sees them, bodies over `max_bytes`, posts without a bearer
    token (unless `require_token` is off) and bodies that are not a JSON object."""

    def __init__(self, app: ASGIApp, require_token: bool = True, max_bytes: int = MAX_BODY):
        self.app = app
        self.require_token = require_token
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != MESSAGES_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if self.require_token and not headers.get(b"authorization", b"").startswith(b"Bearer "):
            await _refuse(send, 401, "no bearer token")
            return
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            await _refuse(send, 413, "body too large")
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await _refuse(send, 413, "body too large")
                return
            if not message.get("more_body"):
                break
        try:
            activity = json.loads(body)
        except ValueError:
            activity = None
        if not isinstance(activity, dict):
            await _refuse(send, 400, "the body is not a JSON object")
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()  # a disconnect, if the client goes
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
