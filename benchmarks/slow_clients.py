"""Slow clients against `stpbot serve slack --http`: do real requests still get answers?

Starts the served bot on loopback (a recording fake of Slack's Web API beside it),
opens N connections that send a request's headers one byte at a time and never
finish, and meanwhile times `GET /healthz` and a signed slash command once a
second. Bounded: it stops after --seconds and closes everything.

    python benchmarks/slow_clients.py --slow 200 --seconds 30 [--workers 2]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fakes.slack import FakeSlack  # noqa: E402
from tests.support import (  # noqa: E402
    KNOWLEDGE,
    SIGNING_SECRET,
    free_port,
    slack_server_command,
    slack_server_env,
)


def _signed_command(url: str, response_url: str) -> float:
    """Seconds a signed `/stp help` takes to be acknowledged (inf if it failed)."""
    body = urlencode(
        {
            "command": "/stp",
            "text": "help",
            "user_id": "U0000001",
            "channel_id": "C0000001",
            "team_id": "T0001",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )
    ts = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }
    return _timed(urllib.request.Request(url + "/slack/events", body.encode(), headers))


def _timed(request: urllib.request.Request | str) -> float:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()
    except (urllib.error.URLError, OSError):
        return float("inf")
    return time.perf_counter() - started


def _slow_client(port: int, stop: threading.Event, opened: list[int]) -> None:
    """Send a request line and headers one byte a second, never ending them."""
    try:
        conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return
    opened.append(1)
    payload = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000
    try:
        for byte in payload:
            if stop.wait(1.0):
                break
            conn.send(bytes([byte]))
    except OSError:
        pass  # the server hung up on us: what a defence does
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=200, help="slow connections")
    parser.add_argument("--seconds", type=float, default=30, help="how long they stay")
    parser.add_argument("--workers", type=int, default=1, help="serve with N processes")
    args = parser.parse_args()

    fake = FakeSlack()
    root = Path(tempfile.mkdtemp(prefix="stpbot-slow-"))
    port = free_port()
    env = slack_server_env(fake.url, KNOWLEDGE, root / "index", root)
    extra = ["--workers", str(args.workers)] if args.workers > 1 else []
    server = subprocess.Popen(
        slack_server_command(port, *extra),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=root,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while _timed(url + "/healthz") == float("inf"):
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.5)
        stop, opened = threading.Event(), []
        clients = [
            threading.Thread(target=_slow_client, args=(port, stop, opened), daemon=True)
            for _ in range(args.slow)
        ]
        for client in clients:
            client.start()
        time.sleep(3)  # let them all connect and start trickling
        health, signed = [], []
        ends = time.monotonic() + args.seconds
        while time.monotonic() < ends:
            health.append(_timed(url + "/healthz"))
            signed.append(_signed_command(url, fake.response_url()))
            time.sleep(1)
        stop.set()
        for client in clients:
            client.join(5)
    finally:
        server.terminate()
        server.wait(30)
        fake.close()

    def worst(values: list[float]) -> str:
        return "never" if max(values) == float("inf") else f"{max(values) * 1000:.0f} ms"

    failed = sum(v == float("inf") for v in health + signed)
    print(
        f"| {args.workers} | {len(opened)} of {args.slow} | {args.seconds:.0f} s | "
        f"{len(health)} | {worst(health)} | {worst(signed)} | {failed} |"
    )


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
