"""The Slack app end to end over HTTP: signed requests in, a recording fake Web API out.

Payloads are shaped as Slack sends them (tests/support/slack.py builds them).
"""

from __future__ import annotations

import json
import time

import pytest

from tests.support import ADMIN, BOT_TOKEN, BOT_USER
from tests.support.slack import (
    QUESTION,
    SlowClients,
    assert_answering,
    block_action,
    bold_parts,
    buttons,
    direct_message,
    mention,
    quotes_of,
    section_texts,
)

EXPECTED = "absent from STP governance"


# --- mentions and direct messages -------------------------------------------------


def test_mention_is_answered_in_its_thread_with_quotes_and_sources(slack, fake_slack):
    status, _, _ = slack.event(mention(f"<@{BOT_USER}> {QUESTION}", ts="1700000100.000100"), "Ev01")
    assert status == 200
    posted = fake_slack.wait_count("chat.postMessage", 1)[0]
    assert posted["channel"] == "C0000001"
    assert posted["thread_ts"] == "1700000100.000100"
    assert posted["unfurl_links"] is False and posted["unfurl_media"] is False
    text = section_texts(posted["blocks"])
    assert EXPECTED in text
    assert "King" in text  # the source's title or publisher in the context line
    assert "para " in text  # the locator
    assert posted["blocks"][0]["type"] == "rich_text"  # quotes shown as written
    assert len(bold_parts(posted["blocks"][:1])) == 2  # the number, and the best sentence
    assert set(buttons(posted["blocks"])) >= {"stp_helpful", "stp_not_helpful"}
    # A sign of work while answering, taken away once the answer is there.
    fake_slack.wait_count("reactions.remove", 1)
    order = fake_slack.methods()
    assert (
        order.index("reactions.add")
        < order.index("chat.postMessage")
        < order.index("reactions.remove")
    )
    assert fake_slack.of("reactions.add")[0]["name"] == "eyes"


def test_mention_inside_a_thread_replies_in_that_thread(slack, fake_slack):
    event = mention(
        f"<@{BOT_USER}> {QUESTION}", ts="1700000200.000200", thread_ts="1700000000.000001"
    )
    slack.event(event, "Ev02")
    posted = fake_slack.wait_count("chat.postMessage", 1)[0]
    assert posted["thread_ts"] == "1700000000.000001"


def test_follow_up_in_a_thread_uses_the_earlier_question(slack, fake_slack):
    root = "1700000300.000300"
    slack.event(mention(f"<@{BOT_USER}> how secret were the plans?", ts=root), "Ev03")
    fake_slack.wait_count("chat.postMessage", 1)
    follow = mention(f"<@{BOT_USER}> who criticised that?", ts="1700000301.000301", thread_ts=root)
    slack.event(follow, "Ev04")
    answer = fake_slack.wait_count("chat.postMessage", 2)[1]
    assert answer["thread_ts"] == root
    text = section_texts(answer["blocks"])
    assert "could not find" not in text
    assert "secret" in text.lower()
    # The same words in a new thread have nothing to follow on from.
    slack.event(mention(f"<@{BOT_USER}> who criticised that?", ts="1700000400.000400"), "Ev05")
    alone = fake_slack.wait_count("chat.postMessage", 3)[2]
    assert "could not find this in the briefings" in section_texts(alone["blocks"])


def test_direct_message_is_answered_in_the_dm(slack, fake_slack):
    slack.event(direct_message(QUESTION), "Ev10")
    posted = fake_slack.wait_count("chat.postMessage", 1)[0]
    assert posted["channel"] == "D0000001"
    assert posted.get("thread_ts") is None
    assert EXPECTED in section_texts(posted["blocks"])


def test_edits_bots_and_our_own_messages_are_not_answered(slack, fake_slack):
    slack.event({**direct_message(QUESTION), "subtype": "message_changed"}, "Ev11")
    slack.event({**direct_message(QUESTION), "bot_id": "BOTHER01"}, "Ev12")
    slack.event({**direct_message(QUESTION), "user": BOT_USER, "bot_id": "BBOT0001"}, "Ev13")
    slack.event(direct_message("what did the King's Fund report find?"), "Ev14")
    fake_slack.wait_count("chat.postMessage", 1)
    slack.settle()
    assert len(fake_slack.of("chat.postMessage")) == 1


def test_retried_event_is_answered_once(slack, fake_slack):
    event = mention(f"<@{BOT_USER}> {QUESTION}", ts="1700000500.000500")
    assert slack.event(event, "EvRetry")[0] == 200
    for attempt in (1, 2, 3):
        headers = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
        assert slack.event(event, "EvRetry", headers)[0] == 200
    fake_slack.wait_count("chat.postMessage", 1)
    slack.settle()
    assert len(fake_slack.of("chat.postMessage")) == 1


def test_out_of_scope_question_says_so_with_the_topics(slack, fake_slack):
    slack.event(
        mention(f"<@{BOT_USER}> what is the best recipe for lemon drizzle?", ts="1.1"), "Ev20"
    )
    text = section_texts(fake_slack.wait_count("chat.postMessage", 1)[0]["blocks"])
    assert "I could not find this in the briefings" in text
    assert "local-government" in text or "engagement" in text  # the topic list


def test_an_empty_mention_gets_the_help(slack, fake_slack):
    slack.event(mention(f"<@{BOT_USER}>", ts="1.2"), "Ev21")
    text = section_texts(fake_slack.wait_count("chat.postMessage", 1)[0]["blocks"])
    assert "/stp ask" in text


def test_rate_limited_post_is_retried_and_lands_once(slack, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "1"})
    slack.event(mention(f"<@{BOT_USER}> {QUESTION}", ts="1.3"), "Ev22")
    posted = fake_slack.wait_count("chat.postMessage", 1)
    slack.settle()
    assert len(posted) == 1 and len(fake_slack.of("chat.postMessage")) == 1
    assert "chat.postMessage!failed" in fake_slack.methods()


def test_a_failed_answer_tells_the_user(slack, fake_slack):
    fake_slack.fail_next("chat.postMessage", body={"ok": False, "error": "invalid_blocks"})
    slack.event(mention(f"<@{BOT_USER}> {QUESTION}", ts="1.4"), "Ev23")
    posted = fake_slack.wait_count("chat.postMessage", 1)[0]
    assert "something went wrong" in section_texts(posted["blocks"])


def test_bot_token_is_sent_to_the_web_api(slack, fake_slack):
    slack.event(mention(f"<@{BOT_USER}> {QUESTION}", ts="1.5"), "Ev24")
    fake_slack.wait_count("chat.postMessage", 1)
    headers = next(h for m, _, h in fake_slack.calls if m == "chat.postMessage")
    assert headers.get("Authorization") == f"Bearer {BOT_TOKEN}"


# --- the /stp command -----------------------------------------------------------


def test_slash_ask_is_private_repeats_the_question_and_can_be_shared(slack, fake_slack):
    status, body, seconds = slack.command(f"ask {QUESTION}")
    assert status == 200 and seconds < 3
    ack = json.loads(body)
    assert ack["response_type"] == "ephemeral"
    assert "Searching the briefings" in ack["text"]
    reply = fake_slack.wait_count("response_url", 1)[0]
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is True
    text = section_texts(reply["blocks"])
    assert "You asked:" in text and QUESTION in text
    assert EXPECTED in text
    assert "stp_share" in buttons(reply["blocks"])


def test_share_posts_the_same_answer_publicly(slack, fake_slack):
    slack.command(f"ask {QUESTION}")
    private = fake_slack.wait_count("response_url", 1)[0]
    record = buttons(private["blocks"])["stp_share"]
    slack.action(block_action("stp_share", record, ephemeral=True, response="r2"))
    shared = fake_slack.wait_count("response_url", 2)[1]
    assert shared["response_type"] == "in_channel" and shared["delete_original"] is True
    quotes = quotes_of(private["blocks"])
    assert quotes and quotes == quotes_of(shared["blocks"])
    assert "Shared by <@U0000001>" in section_texts(shared["blocks"])
    assert "stp_share" not in buttons(shared["blocks"])


def test_helpful_votes_are_stored_and_summarised(slack, fake_slack, run_cli, tmp_path):
    slack.command(f"ask {QUESTION}")
    record = buttons(fake_slack.wait_count("response_url", 1)[0]["blocks"])["stp_helpful"]
    slack.action(block_action("stp_helpful", record, user="U0000001"))
    slack.action(block_action("stp_not_helpful", record, user="U0000002"))
    thanks = fake_slack.wait_count("response_url", 3)[1:]
    assert all(t["response_type"] == "ephemeral" and t["replace_original"] is False for t in thanks)
    result = run_cli(
        "feedback", "--json", env={"STPBOT_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3")}
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["helpful"] == 1 and summary["not_helpful"] == 1
    assert summary["recent_unhelpful"][0]["question"] == QUESTION
    # Users are stored as salted hashes, never as their ids.
    raw = (tmp_path / "feedback.sqlite3").read_bytes()
    assert b"U0000001" not in raw and b"U0000002" not in raw


def test_more_passages_shows_the_next_results(slack, fake_slack):
    slack.command(f"ask {QUESTION}")
    first = fake_slack.wait_count("response_url", 1)[0]
    record = buttons(first["blocks"])["stp_more"]
    slack.action(block_action("stp_more", record, ephemeral=True))
    more = fake_slack.wait_count("response_url", 2)[1]
    text = section_texts(more["blocks"])
    assert "4. " in text and "1. " not in text
    assert len(quotes_of(first["blocks"])) >= 3
    later = {q.split(". ", 1)[1] for q in quotes_of(more["blocks"])}
    assert later and not {q.split(". ", 1)[1] for q in quotes_of(first["blocks"])} & later


def test_more_under_a_public_answer_goes_in_its_thread(slack, fake_slack):
    slack.event(mention(f"<@{BOT_USER}> {QUESTION}", ts="1700000600.000600"), "Ev30")
    answer = fake_slack.wait_count("chat.postMessage", 1)[0]
    record = buttons(answer["blocks"])["stp_more"]
    payload = block_action("stp_more", record, ephemeral=False)
    payload["message"] = {"ts": "1700000601.000601", "thread_ts": "1700000600.000600"}
    slack.action(payload)
    more = fake_slack.wait_count("chat.postMessage", 2)[1]
    assert more["thread_ts"] == "1700000600.000600"


def test_quick_subcommands_answer_in_the_ack(slack):
    for text, expected in [
        ("topics", "Topics the briefings cover"),
        ("sources", "The briefings I quote from"),
        ("help", "/stp summary"),
        ("", "/stp ask"),
        ("frobnicate now", "I don't know the command `frobnicate`"),
        ("ask", "`/stp ask` needs a question"),
    ]:
        status, body, _ = slack.command(text)
        assert status == 200
        ack = json.loads(body)
        assert ack["response_type"] == "ephemeral"
        assert expected in section_texts(ack["blocks"]), text


def test_help_shows_reindex_to_admins_only(slack):
    assert "reindex" not in section_texts(json.loads(slack.command("help")[1])["blocks"])
    assert "reindex" in section_texts(json.loads(slack.command("help", user=ADMIN)[1])["blocks"])


def test_summary_and_compare_group_quotes_by_source(slack, fake_slack):
    slack.command("summary local government", response="s")
    slack.command("compare engagement", response="c")
    replies = fake_slack.wait_count("response_url", 2)
    texts = [section_texts(r["blocks"]) for r in replies]
    assert any("Summary:" in t for t in texts) and any("Compare:" in t for t in texts)
    for reply in replies:
        assert len(reply["blocks"]) <= 50
        assert "stp_share" in buttons(reply["blocks"])


def test_a_question_too_long_is_refused_politely(slack, fake_slack):
    slack.command("ask " + "why " * 600)
    reply = fake_slack.wait_count("response_url", 1)[0]
    text = section_texts(reply["blocks"])
    assert "characters long; the limit is 2,000" in text
    assert "stp_share" not in buttons(reply["blocks"])


def test_reindex_is_refused_to_non_admins(slack, fake_slack):
    status, body, _ = slack.command("reindex", user="U0000009")
    assert status == 200
    assert "Only the bot's admins" in json.loads(body)["text"]
    slack.settle()
    assert "chat.postMessage" not in fake_slack.methods()


def test_admin_reindex_reports_progress_and_swaps_without_a_restart(slack_workspace, fake_slack):
    server, knowledge = slack_workspace
    (knowledge / "new-report.md").write_text(NEW_REPORT, encoding="utf-8")
    before = server.bot.live.engine
    status, body, _ = server.command("reindex", user=ADMIN)
    assert status == 200 and "Rebuilding the index" in json.loads(body)["text"]
    # The bot keeps answering while the build runs.
    server.event(mention(f"<@{BOT_USER}> {QUESTION}", ts="1.9"), "Ev40")
    fake_slack.wait_for(
        lambda calls: any(
            m == "chat.update" and "Index rebuilt" in a.get("text", "") for m, a, _ in calls
        )
    )
    final = next(a for a in fake_slack.of("chat.update") if "Index rebuilt" in a["text"])
    assert "Added 1" in final["text"] and "new-report" in final["text"]
    started = [p for p in fake_slack.of("chat.postMessage") if "Rebuilding" in p.get("text", "")]
    assert len(started) == 1 and started[0]["channel"] == "C0000001"
    # One message, updated in place: every update edits the message first posted.
    updates = fake_slack.of("chat.update")
    assert {(u["channel"], u["ts"]) for u in updates} == {("C0000001", started[0]["__ts"])}
    assert server.bot.live.engine is not before
    fake_slack.wait_count("chat.postMessage", 2)
    server.event(
        mention(
            f"<@{BOT_USER}> what did the Wessex gardening survey find about allotments?", ts="2.0"
        ),
        "Ev41",
    )
    answers = fake_slack.wait_count("chat.postMessage", 3)
    assert "allotment" in section_texts(answers[-1]["blocks"]).lower()


def test_app_home_lists_sources_topics_and_how_to_ask(slack, fake_slack):
    slack.event(
        {
            "type": "app_home_opened",
            "user": "U0000001",
            "channel": "D0000001",
            "tab": "home",
            "event_ts": "1.0",
        },
        "Ev50",
    )
    view = fake_slack.wait_count("views.publish", 1)[0]
    assert view["user_id"] == "U0000001"
    assert view["view"]["type"] == "home" and len(view["view"]["blocks"]) <= 100
    text = section_texts(view["view"]["blocks"])
    assert "What I know" in text and "passages" in text and "index built" in text
    assert "Topics" in text and "/stp ask" in text


# --- the HTTP surface -----------------------------------------------------------


def test_health(slack):
    import urllib.request

    with urllib.request.urlopen(slack.url + "/healthz", timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read())["status"] == "ok"


def test_bad_signatures_are_401_and_nothing_is_posted(slack, fake_slack):
    body = json.dumps(
        {"type": "event_callback", "event_id": "EvBad", "event": mention(QUESTION, ts="1.6")}
    )
    now = str(int(time.time()))
    cases = [
        {},  # no headers at all
        {"X-Slack-Request-Timestamp": now},  # no signature
        {"X-Slack-Signature": "v0=" + "0" * 64},  # no timestamp
        {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "not-a-signature"},
        {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=" + "0" * 64},  # wrong
    ]
    for headers in cases:
        status, _, _ = slack.post(body, "application/json", headers=headers, sign=False)
        assert status == 401, headers
    # Correctly signed, but ten minutes old: a replay.
    assert slack.post(body, "application/json", timestamp=int(time.time()) - 600)[0] == 401
    slack.settle()
    assert fake_slack.of("chat.postMessage") == []


NEW_REPORT = """---
title: Wessex gardening and wellbeing survey
publisher: Wessex Healthwatch
date: 2017-03-01
---

# Findings

The Wessex gardening survey found that allotments gave older residents a strong sense
of belonging. Allotment holders reported fewer visits to their GP over the year.
"""


def test_an_unsigned_body_that_is_not_utf8_is_401_with_one_log_line(slack, fake_slack, caplog):
    import logging
    import urllib.error
    import urllib.request

    caplog.set_level(logging.INFO)
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=" + "0" * 64,
    }
    for _ in range(20):
        request = urllib.request.Request(
            slack.url + "/slack/events", data=b"\xff\xfe{not utf-8}", headers=headers
        )
        try:
            urllib.request.urlopen(request, timeout=10)
            status = 200
        except urllib.error.HTTPError as error:
            status = error.code
        assert status == 401
    slack.settle()
    assert not any(r.exc_info for r in caplog.records)
    refusals = [r for r in caplog.records if r.name == "stpbot.slack"]
    assert len(refusals) == 20 and all("refused" in r.getMessage() for r in refusals)
    assert fake_slack.of("chat.postMessage") == []


def test_an_oversized_body_is_refused_from_its_headers_before_it_is_sent(slack):
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(slack.url)
    with socket.create_connection((where.hostname, where.port), timeout=5) as conn:
        conn.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Content-Length: 300000000\r\n\r\n" + b"x" * 1000
        )
        started = time.monotonic()
        answer = conn.recv(4096)  # the other 299,999,000 bytes are never sent
    assert answer.startswith(b"HTTP/1.1 413")
    assert time.monotonic() - started < 2


@pytest.mark.slow
def test_slow_clients_cannot_starve_health_checks_or_signed_requests(slack):
    with SlowClients(slack.url, 150):
        time.sleep(2)  # past waitress's old limit of 100 connections
        for _ in range(5):
            assert_answering(slack)
            time.sleep(0.5)
