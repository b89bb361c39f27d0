"""`stpbot serve slack` as a user runs it: one-line errors, or a server that answers."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from stpbot.index.store import current_version
from tests.support import (
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    free_port,
    process_table,
    slack_server_command,
    slack_server_env,
)
from tests.support.slack import SlowClients, assert_answering, mention


def test_serve_needs_a_bot_token(run_cli, built):
    result = run_cli("serve", "slack", "--http", env={"SLACK_BOT_TOKEN": ""})
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "Error: SLACK_BOT_TOKEN is not set; see the README's Slack section"
    )


def test_http_mode_needs_the_signing_secret(run_cli):
    result = run_cli(
        "serve", "slack", "--http", env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": ""}
    )
    assert result.returncode == 2 and "SLACK_SIGNING_SECRET is not set" in result.stderr


def test_socket_mode_needs_an_app_token(run_cli):
    result = run_cli(
        "serve", "slack", env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xoxb-wrong"}
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "Error: Socket Mode needs SLACK_APP_TOKEN (an xapp- token); or run with --http"
    )


def test_oauth_mode_serves_over_http_only(run_cli):
    env = {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s"}
    result = run_cli("serve", "slack", env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: OAuth mode (SLACK_CLIENT_ID) serves the install flow over --http"
    )


def test_a_rejected_token_is_one_line(run_cli, fake_slack):
    fake_slack.fail_next("auth.test", body={"ok": False, "error": "invalid_auth"})
    env = {
        "SLACK_BOT_TOKEN": "xoxb-revoked",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "STPBOT_SLACK_API_URL": fake_slack.url + "/api/",
    }
    result = run_cli("serve", "slack", "--http", "--port", "1", env=env)
    assert result.returncode == 2
    assert (
        result.stderr.strip().splitlines()[-1]
        == "Error: Slack rejected SLACK_BOT_TOKEN (invalid_auth)"
    )
    assert "xoxb-revoked" not in result.stderr


def serve_http(fake_slack, built, tmp_path, *extra):
    """`stpbot serve slack --http` in its own process, as deployed."""
    knowledge, index = built
    port = free_port()
    process = subprocess.Popen(
        slack_server_command(port, *extra),
        env=slack_server_env(fake_slack.url, knowledge, index, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                health = json.loads(response.read())
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("server did not start: " + process.stderr.read())
            time.sleep(0.3)
    yield url, health, process
    process.terminate()
    process.wait(30)


@pytest.fixture
def served(fake_slack, built, tmp_path):
    yield from serve_http(fake_slack, built, tmp_path)


@pytest.fixture
def served_by_two(fake_slack, built, tmp_path):
    yield from serve_http(fake_slack, built, tmp_path, "--workers", "2")


def children(pid):
    return [child for child, parent, _ in process_table() if parent == pid]


def test_served_app_answers_a_signed_mention_and_keeps_user_text_out_of_its_log(
    served, fake_slack, slack
):
    url, health, process = served
    assert health["status"] == "ok" and health["documents"] == 5 and health["reindexing"] is False
    question = "why were councils unhappy with the secret STP process?"
    slack.url = url  # sign and send with the same helper, to the served process
    status, _, _ = slack.event(
        {
            "type": "app_mention",
            "user": "U0000001",
            "text": f"<@{BOT_USER}> {question}",
            "ts": "1700003000.000001",
            "channel": "C0000001",
            "event_ts": "1700003000.000001",
        },
        "EvServed1",
    )
    assert status == 200
    posted = fake_slack.wait_for(
        lambda calls: any(
            m == "chat.postMessage" and a.get("thread_ts") == "1700003000.000001"
            for m, a, _ in calls
        )
    )
    assert posted
    process.terminate()
    _, log = process.communicate(timeout=30)
    assert "Serving Slack on http://127.0.0.1" in log
    for secret in (question, "councils unhappy", BOT_TOKEN, SIGNING_SECRET):
        assert secret not in log


@pytest.mark.slow
def test_two_worker_processes_answer_every_mention_once_even_when_slack_retries(
    served_by_two, fake_slack, slack
):
    url, health, process = served_by_two
    assert health["status"] == "ok" and len(children(process.pid)) == 2
    slack.url = url
    question = "why were patients absent from STP governance?"

    def deliver(i):
        # Events 0-9 once each; event 10 four times at once, as Slack retries a slow ack.
        n = min(i, 10)
        event = mention(f"<@{BOT_USER}> {question}", ts=f"1700004000.{n:06d}")
        return slack.event(event, f"EvWorkers{n}")[0]

    with ThreadPoolExecutor(14) as pool:
        assert set(pool.map(deliver, range(14))) == {200}
    fake_slack.wait_count("chat.postMessage", 11, timeout=120)
    time.sleep(1.0)  # a duplicate answer would arrive now
    threads = Counter(a["thread_ts"] for a in fake_slack.of("chat.postMessage"))
    assert threads == {f"1700004000.{n:06d}": 1 for n in range(11)}


@pytest.mark.slow
def test_slow_clients_cannot_starve_two_workers_and_a_stop_is_quick(served_by_two, slack):
    url, _, process = served_by_two
    slack.url = url
    # 150 connections: gunicorn's threaded worker was starved by 32 (2 x 16 threads).
    with SlowClients(url, 150):
        time.sleep(2)
        for _ in range(5):
            assert_answering(slack)
            time.sleep(0.5)
        started = time.monotonic()
        process.terminate()
        process.wait(30)
    assert time.monotonic() - started < 5
    assert process.returncode == 0


@pytest.mark.slow
def test_workers_that_cannot_load_the_index_stop_the_server_with_one_line(
    fake_slack, workspace, tmp_path
):
    knowledge, index = workspace
    damaged = current_version(index) / "vectors.faiss"
    damaged.write_bytes(damaged.read_bytes()[:100])
    result = subprocess.run(
        slack_server_command(free_port(), "--workers", "2"),
        env=slack_server_env(fake_slack.url, knowledge, index, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "Error: index file vectors.faiss is damaged or missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_stop_answers_what_was_already_acknowledged_and_exits_at_once(served, fake_slack, slack):
    url, _, process = served
    slack.url = url
    roots = [f"1700007000.{n:06d}" for n in range(6)]
    with ThreadPoolExecutor(6) as pool:
        statuses = pool.map(
            lambda ts: slack.event(mention(f"<@{BOT_USER}> who criticised STPs?", ts=ts), ts)[0],
            roots,
        )
        assert set(statuses) == {200}
    started = time.monotonic()
    process.terminate()  # SIGTERM, as a container runtime or Kubernetes stops it
    process.wait(30)
    assert process.returncode == 0
    assert time.monotonic() - started < 5
    answered = {a.get("thread_ts") for a in fake_slack.of("chat.postMessage")}
    assert answered >= set(roots)  # none of the acknowledged mentions was dropped
