"""Admins add a report by uploading it to the bot in a DM; the bot says what it learned."""

from __future__ import annotations

from tests.support import ADMIN, BOT_USER
from tests.support.reports import ALLOTMENTS, FILLER, make_pdf, make_scanned_pdf
from tests.support.slack import mention, section_texts


def final_update(fake_slack, marker):
    fake_slack.wait_for(
        lambda calls: any(m == "chat.update" and marker in a.get("text", "") for m, a, _ in calls),
        timeout=120,
    )
    return next(a for a in fake_slack.of("chat.update") if marker in a["text"])


def test_admin_uploads_a_pdf_and_the_bot_answers_from_it(slack_workspace, fake_slack, tmp_path):
    server, knowledge = slack_workspace
    pdf = make_pdf(tmp_path / "Wessex survey 2017.pdf", [[FILLER], [ALLOTMENTS]])
    url = fake_slack.share_file("F1", pdf.read_bytes())
    server.event(file_share(ADMIN, "Wessex survey 2017.pdf", url, pdf.stat().st_size), "EvUp1")
    learned = final_update(fake_slack, "Added")
    text = learned["text"]
    assert "*Wessex gardening and wellbeing survey*" in text
    assert "2 pages" in text and "passages" in text and "try asking me" in text
    assert (knowledge / "Wessex-survey-2017.pdf").is_file()
    reading = fake_slack.of("chat.postMessage")[0]
    assert reading["channel"] == "D0000001" and "Reading" in reading["text"]
    assert learned["ts"] == reading["__ts"]  # one message, updated in place
    # It answers from the new report at once, with its page.
    server.event(
        mention(f"<@{BOT_USER}> what did the Wessex survey find about allotments?", ts="3.0"),
        "EvUp2",
    )
    answer = fake_slack.wait_count("chat.postMessage", 2)[1]
    body = section_texts(answer["blocks"])
    assert "allotments gave older residents" in body and "p. 2" in body


def test_non_admins_cannot_add_reports(slack_workspace, fake_slack, tmp_path):
    server, knowledge = slack_workspace
    url = fake_slack.share_file("F2", b"# Note\n\nSomething.\n")
    server.event(file_share("U0000009", "note.md", url, 20), "EvUp3")
    posted = fake_slack.wait_count("chat.postMessage", 1)[0]
    assert "Only the bot's admins can add reports" in section_texts(posted["blocks"])
    server.settle()
    assert "files.download" not in fake_slack.methods()
    assert not (knowledge / "note.md").exists()


def test_an_unreadable_upload_is_explained_and_removed(slack_workspace, fake_slack, tmp_path):
    server, knowledge = slack_workspace
    scan = make_scanned_pdf(tmp_path / "scan.pdf")
    url = fake_slack.share_file("F3", scan.read_bytes())
    server.event(file_share(ADMIN, "scan.pdf", url, scan.stat().st_size), "EvUp4")
    failed = final_update(fake_slack, "I could not use")
    assert "no text layer, needs OCR" in failed["text"]
    assert "so nothing was changed" in failed["text"]
    assert not (knowledge / "scan.pdf").exists()
    assert len(server.bot.live.engine.index.manifest.documents) == 5


def test_unsupported_types_are_refused_before_download(slack_workspace, fake_slack):
    server, _ = slack_workspace
    url = fake_slack.share_file("F4", b"MZ\x90\x00")
    server.event(file_share(ADMIN, "tool.exe", url, 4), "EvUp5")
    posted = fake_slack.wait_count("chat.postMessage", 1)[0]
    assert "I cannot read tool.exe" in section_texts(posted["blocks"])
    assert "files.download" not in fake_slack.methods()


def test_a_refused_file_name_cannot_ping_the_channel_from_the_notification(
    slack_workspace, fake_slack
):
    server, _ = slack_workspace
    url = fake_slack.share_file("F6", b"MZ\x90\x00")
    server.event(file_share(ADMIN, "evil <!channel>.exe", url, 4), "EvUp6")
    posted = fake_slack.wait_count("chat.postMessage", 1)[0]
    assert "<!channel>" not in posted["text"] and "&lt;!channel&gt;" in posted["text"]
    assert "<!channel>" not in str(posted["blocks"])


def test_slash_add_explains_how(slack):
    import json

    status, body, _ = slack.command("add", user=ADMIN)
    assert status == 200 and "send it to me in a direct message" in section_texts(
        json.loads(body)["blocks"]
    )


def file_share(user, name, url, size, ts="1700004000.000100"):
    return {
        "type": "message",
        "subtype": "file_share",
        "channel": "D0000001",
        "channel_type": "im",
        "user": user,
        "text": "",
        "ts": ts,
        "event_ts": ts,
        "files": [
            {
                "id": "F0001",
                "name": name,
                "title": name,
                "mimetype": "application/octet-stream",
                "filetype": name.rsplit(".", 1)[-1],
                "size": size,
                "url_private": url,
                "url_private_download": url,
            }
        ],
    }


def test_a_failed_upload_under_an_existing_name_keeps_the_briefing_it_would_replace(
    slack_workspace, fake_slack, tmp_path
):
    server, knowledge = slack_workspace
    name = "ten-reflections-publishing-stps.md"
    before = (knowledge / name).read_bytes()
    url = fake_slack.share_file("F9", b"caf\xe9 \xff\xfe not UTF-8 at all")
    server.event(file_share(ADMIN, name, url, 30), "EvUp9")
    failed = final_update(fake_slack, "I could not use")
    assert "is not UTF-8 text" in failed["text"] and "nothing was changed" in failed["text"]
    assert (knowledge / name).read_bytes() == before
    assert sorted(p.name for p in knowledge.iterdir() if p.name.startswith(".")) == []
    server.settle()
    documents = server.bot.live.engine.index.manifest.documents
    assert name in {d.source.path for d in documents} and len(documents) == 5
