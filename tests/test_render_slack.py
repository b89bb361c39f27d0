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
            elif element.get("type") == "rich_text_quote":
                yield {"type": "rich_text", "text": quoted(block)}
            elif "text" in element:
                yield element["text"]


def quoted(block):
    """What a rich-text quote shows, its parts joined."""
    assert block["type"] == "rich_text"
    return "".join(part["text"] for part in block["elements"][0]["elements"])


def bold(block):
    return [p["text"] for p in block["elements"][0]["elements"] if p.get("style", {}).get("bold")]


def round_trips(blocks):
    """Each block parses into slack_sdk's own models and serialises back unchanged."""
    from slack_sdk.models.blocks import Block

    for block in blocks:
        model = Block.parse(block)
        assert model is not None, block
        model.validate_json()
        assert model.to_dict() == block


def entities_whole(text):
    """Every & in mrkdwn starts one of the three entities: none was cut in half."""
    return re.search(r"&(?!amp;|lt;|gt;)", text) is None


def check_limits(blocks, max_blocks=50):
    round_trips(blocks)
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
    # A rich-text quote holds plain text: Slack parses no mention, link or entity in it,
    # so the document's characters are shown exactly as written.
    assert blocks[1]["type"] == "rich_text"
    assert quoted(blocks[1]) == "1. " + HOSTILE
    parts = blocks[1]["elements"][0]["elements"]
    assert {p["type"] for p in parts} == {"text"}


def test_quote_is_a_block_quote_with_the_highlight_in_bold():
    text = "First sentence here. The key finding is this. Last one."
    a = text.index("The key")
    b = text.index(" Last")
    blocks = render.answer_blocks(
        answer_reply([quote(text, (a, b))]), show_question=False, share=False
    )
    check_limits(blocks)
    assert quoted(blocks[0]) == "1. " + text
    assert bold(blocks[0]) == ["1. ", "The key finding is this."]


def test_document_formatting_is_shown_as_written_and_keeps_the_highlight():
    text = "Costs rose 5*3 times. See *this* and _that_, ~gone~ `code` :smile: <!channel>!"
    a = text.index("See")
    blocks = render.answer_blocks(
        answer_reply([quote(text, (a, len(text)))]), show_question=False, share=False
    )
    check_limits(blocks)
    assert quoted(blocks[0]) == "1. " + text
    assert bold(blocks[0])[-1] == text[a:]  # a best sentence holding * stays bold


def test_source_line_has_title_link_organisation_author_date_and_locator():
    blocks = render.answer_blocks(answer_reply([quote("Text.")]), show_question=False, share=False)
    context = blocks[1]["elements"][0]["text"]
    assert context.startswith("*<https://example.org/report?a=1&amp;b=2|STPs &amp; &lt;you&gt;>*")
    assert "The King's Fund · A. Author · 24 Nov 2016 · para 3" in context.replace("\u200b", "")


def test_source_without_url_is_plain_escaped_title():
    plain = Source(id="d", title="Notes <draft>", path="k/d.md")
    blocks = render.answer_blocks(
        answer_reply([quote("Text.", source=plain)]), show_question=False, share=False
    )
    assert blocks[1]["elements"][0]["text"] == "*Notes &lt;draft&gt;* · para 3"


def test_a_title_with_asterisks_and_emoji_cannot_restyle_the_line():
    odd = Source(id="d", title="The *real* cost :moneybag: of _STPs_", path="k/d.md")
    line = render.source_line(odd, "para 3")
    # Each formatting character is followed by a zero-width space, so none pairs up.
    assert re.search(r"[*_~`:](?!\u200b)", line.removeprefix("*").replace("* · para", "")) is None
    assert line.replace("\u200b", "") == "*The *real* cost :moneybag: of _STPs_* · para 3"


def test_a_huge_title_is_cut_and_the_locator_survives():
    huge = Source(id="d", title="Title & <more> " * 400, path="k/d.md", publisher="Org " * 400)
    line = render.source_line(huge, "para 12")
    assert len(line) <= 3000 and line.endswith(" · para 12")
    assert line.startswith("*") and "…* · " in line
    assert entities_whole(line)


def test_a_bar_in_a_source_url_is_percent_encoded_not_a_broken_link():
    barred = Source(id="d", title="T|itle", path="k/d.md", url="https://example.org/a|b?x=1|2")
    line = render.source_line(barred, "para 1")
    assert line.startswith("*<https://example.org/a%7Cb?x=1%7C2|T¦itle>*")


def test_long_quote_is_trimmed_at_sentences_around_the_highlight():
    sentences = [f"Sentence number {i} says something about STPs & councils." for i in range(200)]
    text = " ".join(sentences)
    a = text.index("Sentence number 120")
    b = a + len(sentences[120])
    blocks = render.answer_blocks(
        answer_reply([quote(text, (a, b))]), show_question=True, share=True
    )
    check_limits(blocks)
    body = quoted(blocks[1])
    assert "Sentence number 120 says something about STPs & councils." in bold(blocks[1])
    assert body.startswith("1. …Sentence number") and body.endswith("councils.…")
    inner = body.removeprefix("1. …").removesuffix("…")
    assert all(s.startswith("Sentence number") for s in inner.split(". ") if s)


def test_one_enormous_sentence_is_cut_at_a_word():
    text = "word " * 2000 + "end."
    blocks = render.answer_blocks(
        answer_reply([quote(text.strip())]), show_question=False, share=False
    )
    check_limits(blocks)
    assert quoted(blocks[0]).endswith("word…")


def test_answer_buttons_and_share_only_when_private():
    private = render.answer_blocks(answer_reply([quote("A.")]), show_question=True, share=True)
    public = render.answer_blocks(answer_reply([quote("A.")]), show_question=False, share=False)
    ids = lambda blocks: [e["action_id"] for e in blocks[-1]["elements"]]  # noqa: E731
    assert ids(private) == ["stp_helpful", "stp_not_helpful", "stp_more", "stp_share"]
    assert ids(public) == ["stp_helpful", "stp_not_helpful", "stp_more"]
    assert all(e["value"] == "rec1" for e in private[-1]["elements"])


def test_not_found_lists_topics_and_has_no_buttons():
    blocks = render.answer_blocks(answer_reply([], has_more=False), show_question=True, share=True)
    check_limits(blocks)
    text = " ".join(o["text"] for o in all_text_objects(blocks))
    assert "I could not find this in the briefings." in text and "`engagement`" in text
    # The placeholder is escaped: Slack would read a raw <topic> as a control sequence.
    assert "`/stp summary &lt;topic&gt;`" in text and "<topic>" not in text
    assert not any(b["type"] == "actions" for b in blocks)


def test_question_line_is_escaped():
    reply = AnswerReply(Answer("<!here> A&E?", (quote("A."),)), "r", 0, False, TOPICS)
    blocks = render.answer_blocks(reply, show_question=True, share=False)
    assert blocks[0]["text"]["text"] == "*You asked:* &lt;!here&gt; A&amp;E?"


@pytest.mark.parametrize("filler", ["&", "<>", "a&b "])
def test_a_long_question_is_cut_before_escaping_never_inside_an_entity(filler):
    question = filler * 2000
    reply = AnswerReply(Answer(question, (quote("A."),)), "r", 0, False, TOPICS)
    blocks = render.answer_blocks(reply, show_question=True, share=False)
    check_limits(blocks)
    heading = blocks[0]["text"]["text"]
    assert entities_whole(heading) and heading.endswith("…")
    fallback = render.fallback_text(reply)
    assert len(fallback) <= 3000 and entities_whole(fallback)


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
    assert "…and 45 more" in blocks[-3]["elements"][0]["text"]


def test_an_enormous_organisation_name_leaves_the_quote_whole():
    named = Source(id="d", title="T", path="p", publisher="Trust " * 600)
    reply = ComparisonReply(
        Comparison("engagement", "engagement", (quote("The quote survives.", source=named),)),
        "rec",
        TOPICS,
    )
    blocks = render.comparison_blocks(reply, share=False)
    check_limits(blocks)
    assert quoted(blocks[2]) == "The quote survives."
    assert blocks[3]["elements"][0]["text"].endswith(" · para 3")


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
    shown = sum(b["type"] == "rich_text" for b in blocks)
    assert f"…and {150 - shown} more quotes" in blocks[-2]["elements"][0]["text"]


def many_sources(n):
    infos = tuple(
        SourceInfo(
            Source(id=f"d{i}", title=f"Report <{i}> " + "x" * 150, path="p", date="2017"), 10
        )
        for i in range(n)
    )
    return SourcesReply(infos, "2026-11-23T20:00:00+00:00", 10 * n, TOPICS * 3)


@pytest.mark.parametrize("n", [1, 5, 2000])
def test_sources_and_home_respect_their_block_limits(n):
    reply = many_sources(n)
    blocks = render.sources_blocks(reply)
    check_limits(blocks)
    view = render.home_view(reply, admin=False)
    check_limits(view["blocks"], max_blocks=100)
    from slack_sdk.models.views import View

    View(**view).validate_json()
    assert View(**view).to_dict() == view
    text = " ".join(o["text"] for o in all_text_objects(view["blocks"]))
    assert "Report &lt;0&gt;" in text and "<0>" not in text
    assert "index built on 23 Nov 2026" in text and "T20:00" not in text
    assert "(10 passages)" in text
    if n == 2000:
        assert "more." in text


def test_one_of_anything_is_not_plural():
    reply = SourcesReply(
        (SourceInfo(Source(id="d", title="T", path="p"), 1),), "2026-11-23T20:00:00", 1, TOPICS
    )
    text = " ".join(o["text"] for o in all_text_objects(render.sources_blocks(reply)))
    assert "1 document, 1 passage;" in text and "(1 passage)" in text


def test_help_hides_admin_commands_from_others():
    assert "reindex" not in render.help_text(HelpReply(None, admin=False))
    assert "/stp reindex" in render.help_text(HelpReply(None, admin=True))
    assert "`&lt;x&gt;`" in render.help_text(HelpReply("<x>", admin=False))


def test_fallback_text_is_escaped_and_bounded():
    reply = answer_reply([quote(HOSTILE * 200)])
    text = render.fallback_text(reply)
    assert len(text) <= 3000 and "<!channel>" not in text


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (answer_reply([quote("A."), quote("B.")]), "2 quotes from the briefings on: why?"),
        (many_sources(1), "The 1 document the briefings come from"),
        (HelpReply(None, admin=False), "How to ask me about the STP briefings"),
    ],
)
def test_every_reply_has_a_fallback_that_says_what_it_holds(reply, expected):
    assert render.fallback_text(reply).replace("\u200b", "") == expected


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


def test_every_reply_kind_on_the_bundled_briefings_round_trips(engine):
    from stpbot.chat.replies import DefinitionReply, TopicsReply

    topics = tuple(engine.topics)
    manifest = engine.index.manifest
    sources = SourcesReply(
        tuple(engine.sources()), manifest.built_at, manifest.passage_count, topics
    )
    replies = [
        AnswerReply(
            engine.ask("why were patients absent from STP governance?"), "r", 0, True, topics
        ),
        AnswerReply(engine.ask("What is the boiling point of water?"), "r", 0, False, topics),
        SummaryReply(engine.summary("engagement"), "r", topics),
        ComparisonReply(engine.compare("engagement"), "r", topics),
        TopicsReply(topics),
        sources,
        DefinitionReply("CCG", engine.glossary.lookup("CCG"), ("CCG",)),
        DefinitionReply("zzz", None, ("CCG",)),
        HelpReply(None, admin=True),
    ]
    for reply in replies:
        check_limits(render.blocks_for(reply, share=True))
        assert render.fallback_text(reply)
    from slack_sdk.models.views import View

    home = render.home_view(sources, admin=True)
    assert View(**home).to_dict() == home
