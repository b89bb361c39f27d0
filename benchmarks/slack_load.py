"""A bounded load run against `stpbot serve slack --http`, as deployed, on loopback.

Signed `app_mention` events go to the real server process (with one or more worker
processes); a recording fake of Slack's Web API notes when each answer is posted.
Every tenth event is delivered twice, as Slack does when an ack is slow: it must
still be answered once. Rerun alone with `python benchmarks/slack_load.py`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from corpus import questions  # noqa: E402

from tests.fakes.slack import FakeSlack  # noqa: E402
from tests.support import (  # noqa: E402
    BOT_USER,
    SIGNING_SECRET,
    free_port,
    process_table,
    slack_server_command,
    slack_server_env,
)

QUESTIONS_SENT = 400
IN_FLIGHT = 16


class TimedFake(FakeSlack):  # type: ignore[misc]
    """The test suite's fake Web API, noting when each call arrived."""

    def _record(self, method: str, args: dict[str, Any], headers: Any) -> None:
        super()._record(method, {**args, "__at": time.perf_counter()}, headers)


def _post(url: str, body: bytes) -> int:
    stamp = str(int(time.time()))
    digest = hmac.new(
        SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256
    )
    request = urllib.request.Request(
        url,
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": "v0=" + digest.hexdigest(),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def _mention(n: int, question: str, run: int) -> bytes:
    ts = f"{run}.{n:06d}"
    event = {
        "type": "app_mention",
        "user": "U0000001",
        "text": f"<@{BOT_USER}> {question}",
        "ts": ts,
        "channel": "C0000001",
        "event_ts": ts,
    }
    body = {
        "type": "event_callback",
        "team_id": "T0001",
        "api_app_id": "A0001",
        "event_id": f"EvLoad{run}-{n}",
        "event_time": int(time.time()),
        "event": event,
    }
    return json.dumps(body).encode()


def _answered(fake: FakeSlack) -> int:
    return len({a.get("thread_ts") for m, a, _ in list(fake.calls) if m == "chat.postMessage"})


def answered_summary(fake: FakeSlack, sent_at: dict[str, float], started: float) -> dict:
    """How the answers posted to `fake` fared: counts, rate and request-to-post latency."""
    posts = [a for m, a, _ in fake.calls if m == "chat.postMessage"]
    per_thread = Counter(a["thread_ts"] for a in posts)
    first: dict[str, float] = {}
    for a in posts:
        first.setdefault(a["thread_ts"], a["__at"])
    latencies = sorted(first[ts] - sent_at[ts] for ts in first)
    finished = max(first.values()) if first else started
    return {
        "seconds": finished - started,
        "answered": len(per_thread),
        "duplicates": sum(c - 1 for c in per_thread.values()),
        "rate": len(per_thread) / max(finished - started, 1e-9),
        "p50": latencies[len(latencies) // 2] if latencies else float("nan"),
        "p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
    }


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its children."""
    return sum(cpu for child, parent, cpu in process_table() if pid in (child, parent))


def run_load(
    workers: int, work: Path, sent: int = QUESTIONS_SENT, rate: float | None = None
) -> dict[str, float]:
    """Serve with `workers` processes, send `sent` questions (as fast as `IN_FLIGHT`
    allows, or paced at `rate` per second), and measure the answers."""
    fake = TimedFake()
    port = free_port()
    work.mkdir(parents=True, exist_ok=True)
    env = slack_server_env(
        fake.url,
        REPO / "knowledge",
        work / "index",
        work,
        STPBOT_MODEL_CACHE=str(work.parent / "models"),
        STPBOT_LOG_LEVEL="warning",
    )
    server = subprocess.Popen(
        slack_server_command(port, "--workers", str(workers)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log = server.stderr.read() if server.stderr else ""
                    raise SystemExit("server did not start: " + log) from None
                time.sleep(0.3)
        time.sleep(2.0 * workers)  # every worker up, not just the first to answer /healthz
        asked = questions()
        # Every tenth event twice, back to back: the copies race each other to the workers.
        deliveries = sorted([*range(sent), *range(0, sent, 10)])
        sent_at: dict[str, float] = {}

        # Event ids and threads unique to this run: the shared memory file outlives it.
        run = int(time.time() * 1000) % 10**9
        started = time.perf_counter()
        bot_cpu, own_cpu = _cpu_seconds(server.pid), time.process_time()

        def deliver(n: int) -> int:
            if rate:
                time.sleep(max(0.0, started + n / rate - time.perf_counter()))
            sent_at.setdefault(f"{run}.{n:06d}", time.perf_counter())
            return _post(base + "/slack/events", _mention(n, asked[n % len(asked)], run))

        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            statuses = list(pool.map(deliver, deliveries))
        deadline = time.monotonic() + 300
        while _answered(fake) < sent and time.monotonic() < deadline:
            time.sleep(0.05)  # anything still missing then is counted as unanswered
        bot_cpu = _cpu_seconds(server.pid) - bot_cpu
        own_cpu = time.process_time() - own_cpu
        time.sleep(1.0)  # a duplicate would arrive now
        return {
            "sent": sent,
            "concurrency": IN_FLIGHT,
            "paced": rate or 0.0,
            "bot_cpu": bot_cpu,
            "load_cpu": own_cpu,
            "acked": sum(s == 200 for s in statuses),
            **answered_summary(fake, sent_at, started),
        }
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        fake.close()


if __name__ == "__main__":
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="stpload-"))
    try:
        for n in (1, 2):
            full = run_load(n, scratch / f"w{n}")
            print(n, "worker(s), flat out:", json.dumps(full), flush=True)
            paced = run_load(n, scratch / f"w{n}", rate=round(full["rate"] / 2))
            print(n, "worker(s), paced:", json.dumps(paced), flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
