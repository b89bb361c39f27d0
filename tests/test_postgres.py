"""Shared state on a real PostgreSQL server: what replicas on several hosts rely on."""

from __future__ import annotations

import multiprocessing
import time

import psycopg
import pytest

from stpbot.errors import StpbotError
from stpbot.state.feedback import FeedbackStore
from stpbot.state.memory import SharedConversations, SharedSeenEvents
from stpbot.state.postgres import BUILD_LOCK, MIGRATIONS, PostgresDatabase
from tests.support import FakeClock

IDS = [f"Ev{i}" for i in range(200)]
SALT = "a-salt-every-replica-shares"


def _claim(url, start, queue):
    seen = SharedSeenEvents(PostgresDatabase(url))
    start.wait()
    queue.put([event for event in IDS if seen.first_time(event)])


def test_each_event_is_claimed_by_exactly_one_of_several_replicas(database_url):
    context = multiprocessing.get_context("spawn")
    start, queue = context.Barrier(4), context.Queue()
    replicas = [context.Process(target=_claim, args=(database_url, start, queue)) for _ in range(4)]
    for replica in replicas:
        replica.start()
    claimed = [event for _ in replicas for event in queue.get(timeout=60)]
    for replica in replicas:
        replica.join(30)
    assert sorted(claimed) == sorted(IDS)  # every id once: none lost, none twice


def test_seen_events_expire_after_their_ttl(database_url):
    clock = FakeClock()
    seen = SharedSeenEvents(PostgresDatabase(database_url), ttl=900, clock=clock)
    assert seen.first_time("Ev1") and not seen.first_time("Ev1")
    clock.advance(899)
    assert not seen.first_time("Ev1")
    clock.advance(2)
    assert seen.first_time("Ev1") and not seen.first_time("Ev1")


def test_a_thread_is_remembered_across_replicas_until_it_expires(database_url):
    clock = FakeClock()
    one = SharedConversations(PostgresDatabase(database_url), ttl=60, clock=clock)
    other = SharedConversations(PostgresDatabase(database_url), ttl=60, clock=clock)
    one.remember("C1:1700000000.1", "how secret were the plans?")
    assert other.previous("C1:1700000000.1") == "how secret were the plans?"
    other.remember("C1:1700000000.1", "who criticised that?")
    assert one.previous("C1:1700000000.1") == "who criticised that?"
    assert one.previous("C1:other") is None
    clock.advance(61)
    assert other.previous("C1:1700000000.1") is None


def test_votes_cast_on_two_replicas_land_in_one_summary(database_url):
    one = FeedbackStore(PostgresDatabase(database_url), SALT)
    other = FeedbackStore(PostgresDatabase(database_url), SALT)
    first = one.record(frontend="slack", kind="ask", question="q1?", passage_ids=["a#p1"])
    second = other.record(frontend="slack", kind="summary", question="q2?", passage_ids=["b#p2"])
    assert other.get(first).passage_ids == ("a#p1",)  # a button pressed on another replica
    assert one.vote(first, "U1", helpful=True)
    assert other.vote(first, "U1", helpful=False)  # the same user changing their mind
    assert other.vote(first, "U2", helpful=True)
    assert one.vote(second, "U1", helpful=False)
    assert not one.vote("no-such-answer", "U1", helpful=True)
    summary = one.summary()
    assert (summary.answers, summary.helpful, summary.not_helpful) == (2, 1, 2)
    assert summary.by_kind == {"ask": (1, 1), "summary": (0, 1)}
    assert [v.question for v in summary.recent_unhelpful] == ["q2?", "q1?"]  # latest first
    with psycopg.connect(database_url) as db:
        hashes = {row[0] for row in db.execute("SELECT user_hash FROM votes")}
    assert len(hashes) == 2 and not any("U1" in h or "U2" in h for h in hashes)


def test_a_shared_feedback_database_needs_the_salt_as_a_setting(database_url):
    with pytest.raises(ValueError, match="salt"):
        FeedbackStore(PostgresDatabase(database_url), None)


def _migrate(url, start, queue):
    start.wait()
    try:
        PostgresDatabase(url).close()
        queue.put("opened")
    except Exception as exc:  # reported to the test, not lost in a child's stderr
        queue.put(repr(exc))


@pytest.mark.slow
def test_replicas_starting_together_on_a_new_database_migrate_it_once(postgres_server):
    context = multiprocessing.get_context("spawn")
    for _ in range(3):
        url = postgres_server.new_database()
        start, queue = context.Barrier(6), context.Queue()
        replicas = [context.Process(target=_migrate, args=(url, start, queue)) for _ in range(6)]
        for replica in replicas:
            replica.start()
        results = [queue.get(timeout=60) for _ in replicas]
        for replica in replicas:
            replica.join(30)
        assert results == ["opened"] * 6
        with psycopg.connect(url) as db:
            versions = [row[0] for row in db.execute("SELECT version FROM stpbot_schema")]
        assert versions == list(range(1, len(MIGRATIONS) + 1))


def test_migrating_again_changes_nothing_and_a_newer_schema_is_refused(database_url):
    database = PostgresDatabase(database_url)
    store = FeedbackStore(database, SALT)
    kept = store.record(frontend="slack", kind="ask", question="q?", passage_ids=[])
    PostgresDatabase(database_url).close()  # a restart: nothing to do, nothing lost
    assert store.get(kept) is not None
    with psycopg.connect(database_url) as db:
        db.execute("INSERT INTO stpbot_schema (version) VALUES (%s)", (len(MIGRATIONS) + 1,))
    with pytest.raises(StpbotError, match="newer than this stpbot knows"):
        PostgresDatabase(database_url)


def test_an_unreachable_database_is_one_line_without_the_password(postgres_server):
    url = f"postgresql://stpbot:hunter2-secret@127.0.0.1:{postgres_server.port}/no_such_db"
    with pytest.raises(StpbotError) as caught:
        PostgresDatabase(url)
    message = str(caught.value)
    assert message.startswith("cannot use the database no_such_db on 127.0.0.1: ")
    assert "\n" not in message and "hunter2" not in message


def _hold_build_lock(url, held):
    database = PostgresDatabase(url)
    lock = database.lock(BUILD_LOCK)
    assert lock.acquire()
    held.set()
    time.sleep(600)  # until killed


def test_the_build_lock_is_held_by_one_replica_at_a_time_and_dies_with_it(database_url):
    one, other = PostgresDatabase(database_url), PostgresDatabase(database_url)
    mine, theirs = one.lock(BUILD_LOCK), other.lock(BUILD_LOCK)
    assert mine.acquire()
    assert not theirs.acquire()
    mine.release()
    assert theirs.acquire()
    other.close()  # the replica holding it stops: it lets go
    assert mine.acquire()
    mine.release()
    context = multiprocessing.get_context("spawn")
    held = context.Event()
    replica = context.Process(target=_hold_build_lock, args=(database_url, held))
    replica.start()
    assert held.wait(60)
    assert not mine.acquire()
    replica.kill()  # a replica dying mid-build: PostgreSQL ends its session and the lock
    replica.join(30)
    deadline = time.monotonic() + 10
    while not mine.acquire():
        assert time.monotonic() < deadline, "the dead replica's lock was never freed"
        time.sleep(0.1)
    mine.release()
    # The pooled connection that held it runs transactions again afterwards.
    assert FeedbackStore(one, SALT).record(frontend="t", kind="ask", question="q", passage_ids=[])


def test_a_served_bot_with_a_database_url_needs_the_salt(run_cli, database_url):
    result = run_cli("feedback", env={"STPBOT_DATABASE_URL": database_url})
    assert result.returncode == 2
    assert result.stderr.strip().startswith("Error: STPBOT_FEEDBACK_SALT must be set")


def test_feedback_reads_the_shared_database(run_cli, database_url):
    store = FeedbackStore(PostgresDatabase(database_url), SALT)
    store.vote(
        store.record(frontend="slack", kind="ask", question="q?", passage_ids=[]), "U1", True
    )
    env = {"STPBOT_DATABASE_URL": database_url, "STPBOT_FEEDBACK_SALT": SALT}
    result = run_cli("feedback", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1 answers shown, 1 votes: 100% helpful")


def test_a_command_line_build_waits_for_no_replica_and_says_one_is_running(
    run_cli, database_url, workspace
):
    knowledge, index = workspace
    holder = PostgresDatabase(database_url).lock(BUILD_LOCK)
    assert holder.acquire()
    env = {"STPBOT_DATABASE_URL": database_url}
    result = run_cli("index", knowledge=knowledge, index=index, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: another replica is rebuilding the index; try again when it has finished"
    )
    holder.release()
    assert run_cli("index", knowledge=knowledge, index=index, env=env).returncode == 0


def test_a_command_line_build_can_wait_for_the_other_replica(run_cli, database_url, workspace):
    import threading

    knowledge, index = workspace
    holder = PostgresDatabase(database_url).lock(BUILD_LOCK)
    assert holder.acquire()
    threading.Timer(2.0, holder.release).start()  # the other replica's build ends
    started = time.monotonic()
    env = {"STPBOT_DATABASE_URL": database_url}
    result = run_cli("index", "--wait", knowledge=knowledge, index=index, env=env)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started >= 2.0
