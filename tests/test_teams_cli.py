"""`stpbot serve teams` and `stpbot package teams` as an admin runs them."""

from __future__ import annotations

import json
import struct
import subprocess
import time
import urllib.request
import zipfile

import pytest

from stpbot.chat.commands import USAGE
from tests.support import cli_environment, free_port, stpbot_executable

APP_ID = "11111111-2222-3333-4444-555555555555"


def test_serve_teams_refuses_to_start_without_credentials(run_cli):
    result = run_cli("serve", "teams", env={"STPBOT_TEAMS_APP_ID": APP_ID})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: STPBOT_TEAMS_APP_ID and STPBOT_TEAMS_APP_PASSWORD are required; for local "
        "development only, set STPBOT_TEAMS_ALLOW_UNAUTHENTICATED=true"
    )


@pytest.mark.slow
def test_development_mode_warns_and_binds_loopback_only(built):
    knowledge, index = built
    port = free_port()
    env = cli_environment(
        STPBOT_KNOWLEDGE_DIR=str(knowledge),
        STPBOT_INDEX_DIR=str(index),
        STPBOT_TEAMS_ALLOW_UNAUTHENTICATED="true",
    )
    process = subprocess.Popen(
        [stpbot_executable(), "serve", "teams", "--host", "0.0.0.0", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert json.loads(r.read())["status"] == "ok"
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.3)
    finally:
        process.terminate()
        _, log = process.communicate(timeout=30)
    assert "WARNING: Teams requests are NOT authenticated" in log
    assert f"Serving Teams on http://127.0.0.1:{port}/api/messages" in log


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_package_holds_manifest_and_icons(run_cli, tmp_path):
    out = tmp_path / "teams.zip"
    result = run_cli("package", "teams", "--app-id", APP_ID, "--out", str(out))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        assert png_size(archive.read("color.png")) == (192, 192)
        assert png_size(archive.read("outline.png")) == (32, 32)
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    (commands,) = manifest["bots"][0]["commandLists"]
    titles = [c["title"] for c in commands["commands"]]
    assert titles == [u.kind.value for u in USAGE if u.kind.value != "add"]
    assert "reindex" in titles
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    assert manifest["bots"][0]["supportsFiles"] is True  # admins send reports to the bot
    assert all(
        manifest["developer"][k].startswith("https://")
        for k in ("websiteUrl", "privacyUrl", "termsOfUseUrl")
    )


def test_package_needs_a_guid_app_id(run_cli, tmp_path):
    result = run_cli("package", "teams", "--app-id", "my-bot", "--out", str(tmp_path / "t.zip"))
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "Error: app id 'my-bot' is not a GUID (the bot's Microsoft app id)"
    )
