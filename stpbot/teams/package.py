"""The Teams app package: manifest.json and two icons, zipped for upload to Teams."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from typing import TYPE_CHECKING, Any

from stpbot.chat.commands import USAGE

if TYPE_CHECKING:
    from pathlib import Path

MANIFEST_VERSION = "1.17"
SCOPES = ["personal", "team", "groupChat"]
NHS_BLUE = (0, 94, 184)


def _png(size: int, pixel: Any) -> bytes:
    """An RGBA PNG drawn by `pixel(x, y) -> (r, g, b, a)`; no imaging library needed."""
    rows = b"".join(b"\0" + b"".join(bytes(pixel(x, y)) for x in range(size)) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _quote_mark(x: int, y: int, size: int) -> bool:
    """Two opening-quote blobs: the bot answers in quotes."""
    u, v = x / size, y / size
    return any((u - cx) ** 2 + (v - 0.42) ** 2 < 0.012 for cx in (0.36, 0.64)) or any(
        cx - 0.02 < u < cx + 0.09 and 0.42 < v < 0.62 and u - cx < (v - 0.42) * 0.5
        for cx in (0.36, 0.64)
    )


def color_icon() -> bytes:
    size = 192
    return _png(
        size, lambda x, y: (255, 255, 255, 255) if _quote_mark(x, y, size) else (*NHS_BLUE, 255)
    )


def outline_icon() -> bytes:
    size = 32
    return _png(
        size, lambda x, y: (255, 255, 255, 255) if _quote_mark(x, y, size) else (0, 0, 0, 0)
    )


def manifest(
    app_id: str, *, version: str, developer: str, website: str, privacy: str, terms: str
) -> dict[str, Any]:
    """The Teams app manifest: one bot, its commands mirroring `/stp`."""
    # Uploading reports is a Slack feature; every other command works in Teams.
    commands = [
        {"title": u.kind.value, "description": u.description[:128]}
        for u in USAGE
        if u.kind.value != "add"
    ]
    return {
        "$schema": f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json",
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": developer,
            "websiteUrl": website,
            "privacyUrl": privacy,
            "termsOfUseUrl": terms,
        },
        "name": {"short": "stpbot", "full": "STP briefings bot"},
        "description": {
            "short": "Answers questions about STPs by quoting briefings, with sources.",
            "full": (
                "stpbot answers questions about NHS Sustainability and Transformation Plans and "
                "public engagement by quoting the most relevant passages of a folder of briefings, "
                "each with its title, organisation, author, date and place in the document. It "
                "never writes answers of its own. Message it, or mention it in a channel."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#005EB8",
        "bots": [
            {
                "botId": app_id,
                "scopes": SCOPES,
                # Reports sent to the bot in a personal chat (admins add briefings).
                "supportsFiles": True,
                "isNotificationOnly": False,
                "commandLists": [{"scopes": SCOPES, "commands": commands}],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


def build_package(out: Path, app_id: str, **details: str) -> Path:
    """Write the zip Teams accepts: manifest.json, color.png and outline.png at its root."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest(app_id, **details), indent=2))
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return out
