"""Download a file a user shared with the bot, with the bot token, from Slack only."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit

from stpbot.errors import StpbotError

SLACK_FILE_HOSTS = frozenset({"files.slack.com"})


class DownloadError(StpbotError):
    """A shared file could not be fetched."""


def download(url: str, token: str, allowed_hosts: frozenset[str], max_bytes: int) -> bytes:
    """The file's bytes. The token is only ever sent to Slack's own file hosts, over
    HTTPS (or to the configured API host, for a local test double)."""
    parts = urlsplit(url)
    if parts.hostname not in allowed_hosts or parts.scheme not in ("https", "http"):
        raise DownloadError("the file is not on Slack's file servers")
    if parts.scheme == "http" and parts.hostname in SLACK_FILE_HOSTS:
        raise DownloadError("refusing to send the token over plain HTTP")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
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
