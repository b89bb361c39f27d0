"""Download a file a user shared with the bot, with the bot token, from Slack only."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import IO, TYPE_CHECKING
from urllib.parse import urlsplit

from stpbot.errors import StpbotError

if TYPE_CHECKING:
    from http.client import HTTPMessage

SLACK_FILE_HOSTS = frozenset({"files.slack.com"})
# Plain HTTP only ever to this machine: the Web API test double in the tests.
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class DownloadError(StpbotError):
    """A shared file could not be fetched."""


def _refusal(url: str, allowed_hosts: frozenset[str]) -> str | None:
    """Why the token may not be sent to `url`, or None when it may."""
    parts = urlsplit(url)
    if parts.hostname not in allowed_hosts or parts.scheme not in ("https", "http"):
        return "the file is not on Slack's file servers"
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        return "refusing to send the token over plain HTTP"
    return None


class _RedirectsOnSlack(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only where the token may go: Slack's hosts, over HTTPS."""

    def __init__(self, allowed_hosts: frozenset[str]) -> None:
        self.allowed_hosts = allowed_hosts

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        refusal = _refusal(newurl, self.allowed_hosts)
        if refusal is not None:
            raise DownloadError(f"Slack redirected the download elsewhere; {refusal}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(url: str, token: str, allowed_hosts: frozenset[str], max_bytes: int) -> bytes:
    """The file's bytes. The token is only ever sent to Slack's own file hosts, over
    HTTPS (or to a loopback test double), redirects included."""
    refusal = _refusal(url, allowed_hosts)
    if refusal is not None:
        raise DownloadError(refusal)
    opener = urllib.request.build_opener(_RedirectsOnSlack(allowed_hosts))
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with opener.open(request, timeout=60) as response:
            data: bytes = response.read(max_bytes + 1)
            content_type = response.headers.get("Content-Type", "")
    except (urllib.error.URLError, OSError) as exc:
        raise DownloadError(f"downloading the file failed ({type(exc).__name__})") from exc
    if len(data) > max_bytes:
        raise DownloadError("the file is larger than the size limit")
    if content_type.startswith("text/html") and not url.lower().endswith((".html", ".htm")):
        # Slack answers a file request without the files:read scope with its login page.
        raise DownloadError("Slack sent a web page instead of the file (is files:read granted?)")
    return data
