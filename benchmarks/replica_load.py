"""Answers per second with one and two replicas on PostgreSQL, against SQLite on one
host: `stpbot serve slack --http` processes on loopback, as deployed.

Signed mentions are spread round-robin over the replicas; every tenth is delivered
twice, the copy to the *other* replica, as a load balancer does with Slack's retries:
each must still be answered once. Rerun alone with `python benchmarks/replica_load.py`
(it starts its own PostgreSQL; two cores bound what a second replica can add here).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from corpus import questions  # noqa: E402
from slack_load import (  # noqa: E402
    IN_FLIGHT,
    TimedFake,
    _answered,
    _mention,
    _post,
    answered_summary,
)

from tests.support import free_port, slack_server_command, slack_server_env  # noqa: E402
from tests.support.postgres import PostgresServer, binaries  # noqa: E402

SENT = 300


def _serve(fake: TimedFake, work: Path, name: str, database_url: str | None) -> tuple:
    port = free_port()
    state = work / f"state-{name}"
    state.mkdir(parents=True, exist_ok=True)
    extra = {"STPBOT_MODEL_CACHE": str(work.parent / "models"), "STPBOT_LOG_LEVEL": "warning"}
    if database_url:
        extra.update(STPBOT_DATABASE_URL=database_url, STPBOT_FEEDBACK_SALT="bench-salt")
    env = slack_server_env(fake.url, REPO / "knowledge", work / "index", state, **extra)
    process = subprocess.Popen(
        slack_server_command(port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return process, base
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("replica did not start") from None
            time.sleep(0.3)


def run(replicas: int, work: Path, database_url: str | None) -> dict[str, float]:
    """Serve with `replicas` processes on one database (or SQLite), send SENT mentions."""
    fake = TimedFake()
    servers = []
    try:
        for n in range(replicas):
            servers.append(_serve(fake, work, str(n), database_url))
            time.sleep(1.0)  # one replica builds the shared index first, the next loads it
        asked = questions()
        run_id = int(time.time() * 1000) % 10**9
        deliveries = sorted([(n, 0) for n in range(SENT)] + [(n, 1) for n in range(0, SENT, 10)])
        sent_at: dict[str, float] = {}
        started = time.perf_counter()

        def deliver(job: tuple[int, int]) -> int:
            n, copy = job
            base = servers[(n + copy) % len(servers)][1]
            sent_at.setdefault(f"{run_id}.{n:06d}", time.perf_counter())
            return _post(base + "/slack/events", _mention(n, asked[n % len(asked)], run_id))

        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            statuses = list(pool.map(deliver, deliveries))
        deadline = time.monotonic() + 300
        while _answered(fake) < SENT and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # a duplicate would arrive now
        summary = answered_summary(fake, sent_at, started)
        return {
            "replicas": replicas,
            "state": "postgresql" if database_url else "sqlite",
            "sent": SENT,
            "acked": sum(s == 200 for s in statuses),
            **{key: round(value, 3) for key, value in summary.items()},
        }
    finally:
        for process, _ in servers:
            process.terminate()
        for process, _ in servers:
            process.wait(30)
        fake.close()


if __name__ == "__main__":
    import tempfile

    found = binaries()
    if found is None:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    postgres = PostgresServer(found)
    postgres.start()
    scratch = Path(tempfile.mkdtemp(prefix="stpreplicas-"))
    try:
        for replicas, database in ((1, None), (1, "pg"), (2, "pg")):
            url = postgres.new_database() if database else None
            work = scratch / f"{replicas}-{database or 'sqlite'}"
            print(json.dumps(run(replicas, work, url)), flush=True)
    finally:
        postgres.stop()
        shutil.rmtree(scratch, ignore_errors=True)
