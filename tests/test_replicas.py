"""Two `stpbot serve slack --http` replicas on one PostgreSQL database and one shared
index folder, as a deployment with two hosts runs them."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import (
    ADMIN,
    BOT_USER,
    free_port,
    slack_server_command,
    slack_server_env,
)
from tests.support.slack import SlackClient, block_action, buttons, mention, section_texts

pytestmark = pytest.mark.slow

SALT = "replicas-share-this-salt"
QUESTION = "why were patients absent from STP governance?"


def _start(fake_slack, knowledge, index, state, database_url):
    port = free_port()
    env = slack_server_env(
        fake_slack.url,
        knowledge,
        index,
        state,
        STPBOT_DATABASE_URL=database_url,
        STPBOT_FEEDBACK_SALT=SALT,
        STPBOT_ADMIN_USERS=ADMIN,
    )
    process = subprocess.Popen(
        slack_server_command(port),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, SlackClient(f"http://127.0.0.1:{port}", fake_slack)


def _wait_healthy(process, client, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.health()
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("replica did not start: " + process.stderr.read())
            time.sleep(0.3)


@pytest.fixture
def replicas(fake_slack, workspace, database_url, tmp_path):
    """Two replicas: (process, client) each, sharing the database, knowledge and index."""
    knowledge, index = workspace
    started = []
    for name in ("a", "b"):
        state = tmp_path / f"state-{name}"  # each host's own disk: nothing shared through it
        state.mkdir()
        started.append(_start(fake_slack, knowledge, index, state, database_url))
    for process, client in started:
        _wait_healthy(process, client)
    yield started, knowledge, database_url
    for process, _ in started:
        process.terminate()
    for process, _ in started:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def _thread_answers(fake_slack):
    return Counter(a.get("thread_ts") for a in fake_slack.of("chat.postMessage"))


def test_an_event_delivered_to_both_replicas_is_answered_once(replicas, fake_slack):
    (_, a), (_, b) = replicas[0]
    roots = [f"1700005000.{n:06d}" for n in range(6)]

    def deliver(job):
        client, n = job
        return client.event(mention(f"<@{BOT_USER}> {QUESTION}", ts=roots[n]), f"EvRep{n}")[0]

    # Each event to both replicas at once, as a load balancer does with Slack's retries.
    jobs = [(client, n) for n in range(6) for client in (a, b)]
    with ThreadPoolExecutor(12) as pool:
        assert set(pool.map(deliver, jobs)) == {200}
    fake_slack.wait_count("chat.postMessage", 6, timeout=120)
    time.sleep(1.5)  # a duplicate answer would arrive now
    assert _thread_answers(fake_slack) == dict.fromkeys(roots, 1)


def test_a_follow_up_sent_to_the_other_replica_keeps_its_thread(replicas, fake_slack):
    (_, a), (_, b) = replicas[0]
    root = "1700005100.000100"
    a.event(mention(f"<@{BOT_USER}> how secret were the plans?", ts=root), "EvRepT1")
    fake_slack.wait_count("chat.postMessage", 1, timeout=60)
    follow = mention(f"<@{BOT_USER}> who criticised that?", ts="1700005101.0001", thread_ts=root)
    b.event(follow, "EvRepT2")
    answer = fake_slack.wait_count("chat.postMessage", 2, timeout=60)[1]
    assert answer["thread_ts"] == root
    text = section_texts(answer["blocks"])
    assert "could not find" not in text and "secret" in text.lower()


def test_votes_on_both_replicas_land_in_one_summary_and_survive_a_killed_replica(
    replicas, fake_slack, run_cli
):
    (process_a, a), (_, b) = replicas[0]
    database_url = replicas[2]
    a.command(f"ask {QUESTION}")
    record = buttons(fake_slack.wait_count("response_url", 1, timeout=60)[0]["blocks"])
    b.action(block_action("stp_helpful", record["stp_helpful"], user="U0000001"))
    a.action(block_action("stp_not_helpful", record["stp_not_helpful"], user="U0000002"))
    b.action(block_action("stp_not_helpful", record["stp_not_helpful"], user="U0000001"))
    fake_slack.wait_count("response_url", 4, timeout=60)
    process_a.kill()  # a host lost mid-shift: nothing it stored goes with it
    process_a.wait(30)
    env = {"STPBOT_DATABASE_URL": database_url, "STPBOT_FEEDBACK_SALT": SALT}
    result = run_cli("feedback", "--json", env=env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    # U0000001 changed their mind on the other replica: one vote each, two users.
    assert (summary["answers"], summary["helpful"], summary["not_helpful"]) == (1, 0, 2)
    b.event(mention(f"<@{BOT_USER}> {QUESTION}", ts="1700005200.000200"), "EvRepK1")
    answered = fake_slack.wait_for(
        lambda calls: any(a.get("thread_ts") == "1700005200.000200" for _, a, _ in calls),
        timeout=60,
    )
    assert answered


def _long_report(paragraphs: int) -> str:
    lines = ["---", "title: Northshire community transport review", "---", "", "# Findings", ""]
    for n in range(paragraphs):
        lines.append(
            f"Route {n} of the Northshire dial-a-ride service carried {n * 7 + 3} patients to "
            f"outpatient clinics in month {n % 12 + 1}, and volunteers drove {n * 11 + 5} miles."
        )
        lines.append("")
    return "\n".join(lines)


def test_a_reindex_on_one_replica_is_refused_on_the_other_and_both_swap_after(replicas, fake_slack):
    (_, a), (_, b) = replicas[0]
    knowledge = replicas[1]
    before = a.health()["passages"]
    # Long enough to embed that the second request surely arrives while it runs.
    (knowledge / "northshire-transport.md").write_text(_long_report(400), encoding="utf-8")
    status, body, _ = a.command("reindex", user=ADMIN)
    assert status == 200 and "Rebuilding the index" in json.loads(body)["text"]
    deadline = time.monotonic() + 30
    while not a.health()["reindexing"]:
        assert time.monotonic() < deadline, "the rebuild never started"
        time.sleep(0.05)
    status, body, _ = b.command("reindex", user=ADMIN)
    assert status == 200
    assert "A rebuild is already running" in json.loads(body)["text"]
    fake_slack.wait_for(
        lambda calls: any(
            m == "chat.update" and "Index rebuilt" in a.get("text", "") for m, a, _ in calls
        ),
        timeout=300,
    )
    # The other replica picks up the published version on its own, within seconds.
    deadline = time.monotonic() + 30
    while {a.health()["passages"], b.health()["passages"]} != {a.health()["passages"]} or (
        a.health()["passages"] == before
    ):
        assert time.monotonic() < deadline, (a.health(), b.health())
        time.sleep(0.3)
    assert b.health()["documents"] == 6
    b.event(
        mention(f"<@{BOT_USER}> how many miles did dial-a-ride volunteers drive?", ts="1.5"),
        "EvRepR1",
    )
    posted = fake_slack.wait_for(
        lambda calls: any(a.get("thread_ts") == "1.5" for _, a, _ in calls), timeout=60
    )
    assert posted
    answer = next(a for a in fake_slack.of("chat.postMessage") if a.get("thread_ts") == "1.5")
    assert "dial-a-ride" in section_texts(answer["blocks"])


def test_replicas_starting_on_a_stale_shared_index_build_it_once(
    fake_slack, workspace, database_url, tmp_path
):
    knowledge, index = workspace
    (knowledge / "northshire-transport.md").write_text(_long_report(60), encoding="utf-8")
    started = []
    for name in ("a", "b"):
        state = tmp_path / f"state-{name}"
        state.mkdir()
        started.append(_start(fake_slack, knowledge, index, state, database_url))
    try:
        healths = [_wait_healthy(process, client, timeout=300) for process, client in started]
        assert [h["documents"] for h in healths] == [6, 6]
    finally:
        logs = []
        for process, _ in started:
            process.terminate()
            logs.append(process.communicate(timeout=30)[1])
    builds = [log for log in logs if "indexed 6 documents" in log]
    assert len(builds) == 1, logs
