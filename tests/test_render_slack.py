"""Block Kit rendering is pure: hostile document text stays inert, limits hold by construction."""

from __future__ import annotations

import re

import pytest

from stpbot.answers import Answer, Comparison, Quote, SourceGroup, Summary
from stpbot.chat.replies import AnswerReply, ComparisonReply, HelpReply, SourcesReply, SummaryReply
from stpbot.documents import Source
from stpbot.engine import SourceInfo
from stpbot.render import slack as render
from stpbot.topics import Topic

HOSTILE = "Ping <!channel> and <@U123> now. Also <https://evil.example|click> & &lt;b&gt;."
SOURCE = Source(
    id="doc",
    title="STPs & <you>",
    path="knowledge/doc.md",
    publisher="The King's Fund",
    author="A. Author",
    date="2016-11-24",
    url="https://example.org/report?a=1&b=2",
)
TOPICS = (
    Topic(id="engagement", name="Public engagement", description="How the public was involved"),
)


def quote(text, highlight=None, source=SOURCE, pid="doc#p1.1"):
    if highlight is None:
        highlight = (0, len(text))
    return Quote(pid, text, highlight, 0.9, source, "para 3")


def all_text_objects(blocks):
    for block in blocks:
        if "text" in block:
            yield block["text"]
        for element in block.get("elements", []):
            if element.get("type") in ("mrkdwn", "plain_text"):
                yield element
            elif "text" in element:
                yield element["text"]


def check_limits(blocks, max_blocks=50):
    assert len(blocks) <= max_blocks
    for obj in all_text_objects(blocks):
        assert len(obj["text"]) <= 3000
        if obj["type"] == "mrkdwn":
            assert obj["verbatim"] is True
    for block in blocks:
        if block["type"] == "actions":
            for button in block["elements"]:
                assert len(button["text"]["text"]) <= 75 and len(button["value"]) <= 2000
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids))


def inert(text):
    """No raw <...> control sequence survives, except links we made to the source URL."""
    stripped = re.sub(r"<https://example\.org/report\?a=1&amp;b=2\|[^<>]*>", "", text)
    stripped = re.sub(r"<@U0SHARER>", "", stripped)
    return "<" not in stripped and ">" not in stripped.replace("\n> ", "\n").removeprefix("> ")


def answer_reply(quotes, offset=0, has_more=True):
    return AnswerReply(Answer("why?", tuple(quotes)), "rec1", offset, has_more, TOPICS)


def test_escape_covers_the_three_mrkdwn_characters():
    assert render.escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    # Text that already looks escaped is shown as written, not decoded.
    assert render.escape("&lt;b&gt;") == "&amp;lt;b&amp;gt;"


def test_hostile_quote_cannot_mention_or_link():
    blocks = render.answer_blocks(answer_reply([quote(HOSTILE)]), show_question=True, share=True)
    check_limits(blocks)
    text = blocks[1]["text"]["text"]
    assert "<!channel>" not in text and "<@U123>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt;" in text and "&lt;@U123&gt;" in text
    assert "&amp;lt;b&amp;gt;" in text
    assert inert(text)


def test_quote_is_a_block_quote_with_the_highlight_in_bold():
    text = "First sentence here. The key finding is this. Last one."
    a = text.index("The key")
    b = text.index(" Last")
    blocks = render.answer_blocks(
        answer_reply([quote(text, (a, b))]), show_question=False, share=False
    )
    body = blocks[0]["text"]["text"]
    assert body == "*1.*\n> First sentence here. *The key finding is this.* Last one."


def test_source_line_has_title_link_organisation_author_date_and_locator():
    blocks = render.answer_blocks(answer_reply([quote("Text.")]), show_question=False, share=False)
    context = blocks[1]["elements"][0]["text"]
    assert context.startswith("*<https://example.org/report?a=1&amp;b=2|STPs &amp; &lt;you&gt;>*")
    assert "The King's Fund · A. Author · 2016-11-24 · para 3" in context


def test_source_without_url_is_plain_escaped_title():
    plain = Source(id="d", title="Notes <draft>", path="k/d.md")
    blocks = render.answer_blocks(
        answer_reply([quote("Text.", source=plain)]), show_question=False, share=False
    )
    assert blocks[1]["elements"][0]["text"] == "*Notes &lt;draft&gt;* · para 3"


def test_long_quote_is_trimmed_at_sentences_around_the_highlight():
    sentences = [f"Sentence number {i} says something about STPs & councils." for i in range(200)]
    text = " ".join(sentences)
    a = text.index("Sentence number 120")
    b = a + len(sentences[120])
    blocks = render.answer_blocks(
        answer_reply([quote(text, (a, b))]), show_question=True, share=True
    )
    check_limits(blocks)
    body = blocks[1]["text"]["text"]
    assert "*Sentence number 120 says something about STPs &amp; councils.*" in body
    assert "> …Sentence number" in body and body.endswith("councils.…")
    # Every kept sentence is whole.
    inner = body.split("> …", 1)[1].removesuffix("…").replace("*", "")
    assert all(s.startswith("Sentence number") for s in inner.split(". ") if s)


def test_one_enormous_sentence_is_cut_at_a_word():
    text = "word " * 2000 + "end."
    blocks = render.answer_blocks(
        answer_reply([quote(text.strip())]), show_question=False, share=False
    )
    check_limits(blocks)
    assert blocks[0]["text"]["text"].rstrip("*").endswith("…")


def test_highlight_with_an_asterisk_is_left_plain_rather_than_broken():
    text = "Costs rose 5*3 times."
    blocks = render.answer_blocks(answer_reply([quote(text)]), show_question=False, share=False)
    assert blocks[0]["text"]["text"] == "*1.*\n> Costs rose 5*3 times."


def test_answer_buttons_and_share_only_when_private():
    private = render.answer_blocks(answer_reply([quote("A.")]), show_question=True, share=True)
    public = render.answer_blocks(answer_reply([quote("A.")]), show_question=False, share=False)
    ids = lambda blocks: [e["action_id"] for e in blocks[-1]["elements"]]  # noqa: E731
    assert ids(private) == ["stp_helpful", "stp_not_helpful", "stp_more", "stp_share"]
    assert ids(public) == ["stp_helpful", "stp_not_helpful", "stp_more"]
    assert all(e["value"] == "rec1" for e in private[-1]["elements"])


def test_not_found_lists_topics_and_has_no_buttons():
    blocks = render.answer_blocks(answer_reply([], has_more=False), show_question=True, share=True)
    text = " ".join(o["text"] for o in all_text_objects(blocks))
    assert "I could not find this in the briefings." in text and "`engagement`" in text
    assert not any(b["type"] == "actions" for b in blocks)


def test_question_line_is_escaped():
    reply = AnswerReply(Answer("<!here> A&E?", (quote("A."),)), "r", 0, False, TOPICS)
    blocks = render.answer_blocks(reply, show_question=True, share=False)
    assert blocks[0]["text"]["text"] == "*You asked:* &lt;!here&gt; A&amp;E?"


def test_comparison_of_many_organisations_stays_within_fifty_blocks():
    rows = tuple(
        quote(
            HOSTILE * 20,
            source=Source(id=f"d{i}", title=f"T{i}", path="p", publisher=f"Org <{i}>"),
            pid=f"d{i}#p1.1",
        )
        for i in range(60)
    )
    reply = ComparisonReply(Comparison("engagement", "engagement", rows), "rec", TOPICS)
    blocks = render.comparison_blocks(reply, share=True, shared_by="U0SHARER")
    check_limits(blocks)
    assert blocks[-1]["type"] == "actions"
    assert "*Org &lt;0&gt;*" in blocks[1]["text"]["text"]


def test_summary_of_many_sources_stays_within_fifty_blocks():
    groups = tuple(
        SourceGroup(
            Source(id=f"d{i}", title=f"T{i}", path="p"), tuple(quote(HOSTILE) for _ in range(5))
        )
        for i in range(30)
    )
    reply = SummaryReply(Summary("engagement", "engagement", groups), "rec", TOPICS)
    blocks = render.summary_blocks(reply, share=True)
    check_limits(blocks)
    assert blocks[-1]["type"] == "actions"


def many_sources(n):
    infos = tuple(
        SourceInfo(
            Source(id=f"d{i}", title=f"Report <{i}> " + "x" * 150, path="p", date="2017"), 10
        )
        for i in range(n)
    )
    return SourcesReply(infos, "2026-11-23T20:00:00Z", 10 * n, TOPICS * 3)


@pytest.mark.parametrize("n", [1, 5, 2000])
def test_sources_and_home_respect_their_block_limits(n):
    reply = many_sources(n)
    blocks = render.sources_blocks(reply)
    check_limits(blocks)
    view = render.home_view(reply, admin=False)
    check_limits(view["blocks"], max_blocks=100)
    text = " ".join(o["text"] for o in all_text_objects(view["blocks"]))
    assert "Report &lt;0&gt;" in text and "<0>" not in text
    if n == 2000:
        assert "more." in text


def test_help_hides_admin_commands_from_others():
    assert "reindex" not in render.help_text(HelpReply(None, admin=False))
    assert "/stp reindex" in render.help_text(HelpReply(None, admin=True))
    assert "`&lt;x&gt;`" in render.help_text(HelpReply("<x>", admin=False))


def test_fallback_text_is_escaped_and_bounded():
    reply = answer_reply([quote(HOSTILE * 200)])
    text = render.fallback_text(reply)
    assert len(text) <= 3000 and "<!channel>" not in text


def test_a_quote_in_someone_elses_words_names_its_speaker_on_every_platform():
    from stpbot.render import teams as teams_render
    from stpbot.render.text import quote_text

    spoken = Quote(
        "doc#p3.1", "‘We will publish in full.’", (0, 26), 0.9, SOURCE, "para 3", "Sir Bruce"
    )
    line = render.source_line(spoken.source, spoken.locator, spoken.speaker)
    assert line.startswith("Sir Bruce, quoted in *")
    card_line = teams_render.source_line(spoken.source, spoken.locator, spoken.speaker)
    assert card_line["inlines"][0]["text"] == "Sir Bruce, quoted in "
    assert "— Sir Bruce, quoted in " in quote_text(spoken).plain
    plain = quote("No one speaks here.")
    assert not render.source_line(plain.source, plain.locator, plain.speaker).startswith("None")
