"""Adaptive Cards are pure: every element validates with the Teams SDK's own typed card
models, hostile text stays plain, and no card outgrows a Teams message."""

from __future__ import annotations

import pytest
from microsoft_teams.cards import (
    AdaptiveCard,
    Container,
    OpenUrlAction,
    RichTextBlock,
    SubmitAction,
    TextRun,
)

from stpbot.answers import Answer, Comparison, Quote, SourceGroup, Summary
from stpbot.chat.replies import (
    AnswerReply,
    ComparisonReply,
    DefinitionReply,
    SourcesReply,
    SummaryReply,
    TopicsReply,
)
from stpbot.documents import Source
from stpbot.engine import SourceInfo
from stpbot.render import teams as render
from stpbot.topics import Topic

HOSTILE = "[click](https://evil.example) <b>bold</b> **strong** @everyone :smile: &amp;"
SOURCE = Source(
    id="doc",
    title="STPs & <you> " * 500,
    path="knowledge/doc.md",
    publisher="The King's Fund " * 300,
    date="2016-11-24",
    url="https://example.org/report?a=1&b=2",
)
TOPICS = (Topic(id="engagement", name="Public engagement", description="How the public was"),)
TYPES = {
    "AdaptiveCard": AdaptiveCard,
    "RichTextBlock": RichTextBlock,
    "TextRun": TextRun,
    "Container": Container,
    "Action.Submit": SubmitAction,
    "Action.OpenUrl": OpenUrlAction,
}


def validated(element):
    """Validate an element and everything in it with the SDK's class for its type; no
    field may go unrecognised (it would land in the model's extras)."""
    model = TYPES[element["type"]].model_validate(element)
    extras = set(model.model_extra or {}) - {"body", "items", "inlines", "actions"}
    assert not extras, (element["type"], extras)
    for key in ("body", "items", "inlines", "actions"):
        for child in element.get(key, []):
            validated(child)
    if "selectAction" in element:
        validated(element["selectAction"])
    if element["type"] == "TextRun":
        assert element["text"], "an empty TextRun"
    return model


def check(content):
    validated(content)
    assert content["version"] == "1.5" and content["msteams"] == {"width": "full"}
    assert render.size(content) <= render.CARD_BYTES + 2_000


def quote(text, source=SOURCE, pid="doc#p1.1", speaker=None):
    return Quote(pid, text, (0, min(len(text), 40)), 0.9, source, "para 3", speaker)


def texts(content):
    out = []

    def walk(element):
        if element.get("type") == "TextRun":
            out.append(element["text"])
        for key in ("body", "items", "inlines"):
            for child in element.get(key, []):
                walk(child)

    walk(content)
    return "".join(out)


def test_an_answer_from_a_hostile_document_is_valid_plain_and_keeps_its_locator():
    reply = AnswerReply(
        Answer(HOSTILE * 3, (quote(HOSTILE * 40, speaker="Sir " * 200),)), "r", 0, True, TOPICS
    )
    content = render.answer_card(reply)
    check(content)
    shown = texts(content)
    assert HOSTILE in shown  # as written: TextRuns are never parsed as Markdown
    assert " · para 3" in shown  # the locator survives a 6,000-character title
    line = content["body"][1]["items"][1]
    assert len(line["inlines"][1]["text"]) <= render.TITLE_BUDGET + 1


def test_a_source_without_publisher_has_no_empty_runs():
    bare = Source(id="d", title="Bare", path="p")
    content = render.sources_card(
        SourcesReply((SourceInfo(bare, 1),), "2026-11-23T20:00:00+00:00", 1, TOPICS)
    )
    check(content)
    shown = texts(content)
    assert "1 document, 1 passage; index built on 23 Nov 2026" in shown
    assert "(1 passage)" in shown


def test_many_sources_fit_one_teams_message_and_say_how_many_are_left():
    infos = tuple(
        SourceInfo(Source(id=f"d{i}", title=f"Report {i} " + "x" * 200, path="p"), 10)
        for i in range(100)
    )
    content = render.sources_card(SourcesReply(infos, "2026-11-23T20:00:00", 1000, TOPICS))
    check(content)
    shown = texts(content)
    assert "Report 0" in shown and "Report 99 " not in shown
    assert "…and " in shown and "more" in shown


def test_long_summaries_and_comparisons_say_what_they_left_out():
    groups = tuple(
        SourceGroup(Source(id=f"d{i}", title=f"T{i}", path="p"), (quote("Q."), quote("R.")))
        for i in range(10)
    )
    summary = render.summary_card(
        SummaryReply(Summary("engagement", "engagement", groups), "rec", TOPICS)
    )
    check(summary)
    assert "…and 8 more quotes" in texts(summary)
    rows = tuple(
        quote("Q.", source=Source(id=f"d{i}", title="T", path="p", publisher=f"Org {i}"))
        for i in range(20)
    )
    comparison = render.comparison_card(
        ComparisonReply(Comparison("engagement", "engagement", rows), "rec", TOPICS)
    )
    check(comparison)
    assert "…and 8 more" in texts(comparison)


def test_every_reply_kind_on_the_bundled_briefings_validates(engine):
    answer = engine.ask("why were patients absent from STP governance?")
    replies = [
        AnswerReply(answer, "r", 0, True, tuple(engine.topics)),
        AnswerReply(engine.ask("What is the boiling point of water?"), "r", 0, False, TOPICS),
        SummaryReply(engine.summary("engagement"), "r", tuple(engine.topics)),
        ComparisonReply(engine.compare("engagement"), "r", tuple(engine.topics)),
        TopicsReply(tuple(engine.topics)),
        SourcesReply(
            tuple(engine.sources()),
            engine.index.manifest.built_at,
            engine.index.manifest.passage_count,
            tuple(engine.topics),
        ),
        DefinitionReply("CCG", engine.glossary.lookup("CCG"), ("CCG", "VCS")),
        DefinitionReply("zzz", None, ()),
    ]
    for reply in replies:
        content = render.card_for(reply)
        assert content is not None
        check(content)
    assert "absent from STP governance" in texts(render.card_for(replies[0]))


@pytest.mark.parametrize("bad", [{"weight": "Heavy"}, {"size": "Huge"}])
def test_the_validation_itself_rejects_what_teams_would_not_render(bad):
    with pytest.raises(ValueError):
        validated({"type": "TextRun", "text": "x", **bad})
