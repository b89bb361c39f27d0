"""The chat core every frontend shares: commands, memories, feedback, hot reindex."""

from __future__ import annotations

import sqlite3

import pytest

from stpbot.chat.commands import Kind, parse_command
from stpbot.state.feedback import FeedbackStore
from stpbot.state.memory import Conversations, SeenEvents
from tests.support import FakeClock


@pytest.mark.parametrize(
    ("text", "kind", "argument"),
    [
        ("ask why were councils unhappy?", Kind.ASK, "why were councils unhappy?"),
        ("  SUMMARY   local government ", Kind.SUMMARY, "local government"),
        ("compare engagement", Kind.COMPARE, "engagement"),
        ("topics", Kind.TOPICS, ""),
        ("sources extra words", Kind.SOURCES, "extra words"),
        ("reindex", Kind.REINDEX, ""),
        ("", Kind.HELP, ""),
    ],
)
def test_parse_command(text, kind, argument):
    command = parse_command(text)
    assert (command.kind, command.argument) == (kind, argument)


def test_unknown_and_incomplete_commands_become_help():
    assert parse_command("why were councils unhappy?").unknown == "why"
    assert parse_command("summary").incomplete is Kind.SUMMARY
    assert parse_command("ask   ").kind is Kind.HELP


def test_seen_events_answer_once_and_forget_after_their_ttl():
    clock = FakeClock()
    seen = SeenEvents(ttl=60, clock=clock)
    assert seen.first_time("Ev1") and not seen.first_time("Ev1")
    clock.advance(59)
    assert not seen.first_time("Ev1")
    clock.advance(2)
    assert seen.first_time("Ev1")


def test_conversations_remember_the_latest_question():
    memory = Conversations()
    assert memory.previous("t1") is None
    memory.remember("t1", "a?")
    memory.remember("t1", "b?")
    assert memory.previous("t1") == "b?" and memory.previous("t2") is None


def test_feedback_votes_are_per_user_and_changeable(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    rec = store.record(frontend="slack", kind="ask", question="q?", passage_ids=["a#p1.1"])
    assert store.get(rec).passage_ids == ("a#p1.1",)
    assert store.vote(rec, "U1", helpful=True)
    assert store.vote(rec, "U1", helpful=False)  # a change of mind replaces the vote
    assert store.vote(rec, "U2", helpful=True)
    assert not store.vote("no-such-answer", "U1", helpful=True)
    summary = store.summary()
    assert (summary.answers, summary.helpful, summary.not_helpful) == (1, 1, 1)
    assert summary.recent_unhelpful[0].question == "q?"


def test_user_hashes_are_salted_per_store(tmp_path):
    one, two = FeedbackStore(tmp_path / "1.sqlite3"), FeedbackStore(tmp_path / "2.sqlite3")
    assert one.user_hash("U1") != two.user_hash("U1")
    assert FeedbackStore(tmp_path / "1.sqlite3").user_hash("U1") == one.user_hash("U1")
    with sqlite3.connect(tmp_path / "1.sqlite3") as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"answers", "votes"} <= tables


def test_the_salt_is_kept_apart_from_the_hashes_it_salts(tmp_path):
    import hashlib
    import stat

    from stpbot.state.feedback import salt_file

    db = tmp_path / "f.sqlite3"
    store = FeedbackStore(db)
    store.vote(
        store.record(frontend="slack", kind="ask", question="q?", passage_ids=[]), "U1", True
    )
    salt = salt_file(db).read_text()
    assert stat.S_IMODE(salt_file(db).stat().st_mode) == 0o600
    for path in tmp_path.glob("f.sqlite3*"):
        if path != salt_file(db):
            assert salt.encode() not in path.read_bytes(), path.name
    # Given as a setting, the salt is nowhere on disk.
    other = tmp_path / "g.sqlite3"
    chosen = FeedbackStore(other, salt="from-a-secret-store")
    assert not salt_file(other).exists()
    assert chosen.user_hash("U1") == hashlib.sha256(b"from-a-secret-store:U1").hexdigest()[:32]


def test_a_salt_kept_in_an_older_database_moves_out_and_keeps_its_hashes(tmp_path):
    from stpbot.state.feedback import salt_file

    db = tmp_path / "old.sqlite3"
    FeedbackStore(db)
    salt_file(db).unlink()
    with sqlite3.connect(db) as conn:  # as stores before this change kept it
        conn.execute("INSERT INTO meta VALUES ('salt', 'old-salt')")
    assert FeedbackStore(db).user_hash("U1") == FeedbackStore(db, salt="old-salt").user_hash("U1")
    assert salt_file(db).read_text() == "old-salt"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM meta WHERE key = 'salt'").fetchone()[0] == 0


@pytest.fixture
def bot(workspace, embedder, tmp_path):
    from stpbot.chat.bot import ChatBot
    from stpbot.chat.live_engine import LiveEngine

    knowledge, index = workspace
    live = LiveEngine(knowledge_dir=knowledge, index_dir=index, embedder=embedder)
    live.open()
    return ChatBot(live, FeedbackStore(tmp_path / "f.sqlite3"), frontend="test", admins=["UADMIN"])


def test_paging_continues_where_the_last_page_stopped(bot):
    first = bot.ask("why were patients absent from STP governance?")
    second = bot.more(first.record_id)
    assert first.answer.answered and second.answer.answered
    assert second.offset == 3
    assert not {q.passage_id for q in first.answer.quotes} & {
        q.passage_id for q in second.answer.quotes
    }


def test_replay_shows_the_same_quotes(bot):
    first = bot.ask("why were councils unhappy?")
    again = bot.replay(first.record_id)
    assert [q.passage_id for q in again.answer.quotes] == [
        q.passage_id for q in first.answer.quotes
    ]


def test_failed_reindex_keeps_the_old_index_serving(bot):
    before = bot.live.engine
    for path in bot.live.knowledge_dir.glob("*.md"):
        path.unlink()
    outcome = bot.live.reindex()
    assert outcome.report is None and "no documents to index" in outcome.error
    assert bot.live.engine is before
    assert bot.ask("why were councils unhappy?").answer.answered


def test_one_reindex_at_a_time_and_only_for_admins(bot):
    import threading

    from stpbot.wording import NOT_ADMIN, REINDEX_BUSY

    assert bot.reindex("USOMEONE", lambda p: None, lambda o: None).message == NOT_ADMIN
    (bot.live.knowledge_dir / "extra.md").write_text("# Extra\n\nA new paragraph to embed.\n")
    checked, finished = threading.Event(), threading.Event()
    outcomes = []

    def hold(progress):
        checked.wait(30)  # keep the first build running until the second request is made

    def done(outcome):
        outcomes.append(outcome)
        finished.set()

    assert bot.reindex("UADMIN", hold, done) is None
    busy = bot.reindex("UADMIN", lambda p: None, lambda o: None)
    checked.set()
    assert busy is not None and busy.message == REINDEX_BUSY
    assert finished.wait(120)
    assert outcomes[0].report.added == ["extra"]
    assert not bot.live.reindexing


def test_a_short_follow_up_keeps_the_conversation_subject(bot):
    bot.ask("why were councils unhappy with STPs?", conversation="thread-1")
    follow = bot.ask("what about the voluntary sector?", conversation="thread-1")
    assert any("voluntary sector" in q.text.lower() for q in follow.answer.quotes)
    # A pronoun-only follow-up is answered only inside its conversation.
    bot.ask("how secret were the plans?", conversation="thread-2")
    assert bot.ask("who criticised that?", conversation="thread-2").answer.answered
    assert not bot.ask("who criticised that?").answer.answered
    # Something off-topic is not dragged into the subject.
    assert not bot.ask("and the football results?", conversation="thread-2").answer.answered
