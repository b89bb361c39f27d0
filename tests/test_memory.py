"""The shared (SQLite) memories behave like the in-process ones, across processes."""

from __future__ import annotations

import multiprocessing

import pytest

from stpbot.state.memory import SharedConversations, SharedSeenEvents
from tests.support import FakeClock

IDS = [f"Ev{i}" for i in range(200)]


def _claim(path, start, queue):
    seen = SharedSeenEvents(path)
    start.wait()
    queue.put([event for event in IDS if seen.first_time(event)])


def test_each_event_is_claimed_by_exactly_one_of_several_processes(tmp_path):
    path = tmp_path / "memory.sqlite3"
    context = multiprocessing.get_context("spawn")
    start, queue = context.Barrier(4), context.Queue()
    workers = [context.Process(target=_claim, args=(path, start, queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    claimed = [event for _ in workers for event in queue.get(timeout=60)]
    for worker in workers:
        worker.join(30)
    assert sorted(claimed) == sorted(IDS)  # every id once: none lost, none twice


def _open(path, start, queue):
    start.wait()
    try:
        SharedSeenEvents(path)
        queue.put("opened")
    except Exception as exc:  # reported to the test, not lost in a child's stderr
        queue.put(repr(exc))


@pytest.mark.slow
def test_workers_starting_together_on_a_new_file_all_open_it(tmp_path):
    # Before the set-up lock, about one round in eleven had a worker fail with
    # "database is locked" (switching a new file to WAL does not wait).
    context = multiprocessing.get_context("forkserver")
    for round_ in range(30):
        path = tmp_path / f"round{round_}" / "memory.sqlite3"
        start, queue = context.Barrier(6), context.Queue()
        workers = [context.Process(target=_open, args=(path, start, queue)) for _ in range(6)]
        for worker in workers:
            worker.start()
        results = [queue.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(30)
        assert results == ["opened"] * 6, (round_, results)


def test_seen_events_expire_after_their_ttl(tmp_path):
    clock = FakeClock()
    seen = SharedSeenEvents(tmp_path / "m.sqlite3", ttl=900, clock=clock)
    assert seen.first_time("Ev1") and not seen.first_time("Ev1")
    clock.advance(899)
    assert not seen.first_time("Ev1")
    clock.advance(2)
    assert seen.first_time("Ev1") and not seen.first_time("Ev1")


@pytest.mark.parametrize("ttl", [60.0, 0.2])
def test_conversations_are_shared_between_instances_and_expire(tmp_path, ttl):
    path, clock = tmp_path / "m.sqlite3", FakeClock()
    one = SharedConversations(path, ttl=ttl, clock=clock)
    other = SharedConversations(path, ttl=ttl, clock=clock)
    assert one.previous("t1") is None
    one.remember("t1", "how secret were the plans?")
    other.remember("t1", "who criticised that?")
    assert one.previous("t1") == "who criticised that?" and one.previous("t2") is None
    clock.advance(0.3)
    assert (one.previous("t1") is None) == (ttl < 0.3)
