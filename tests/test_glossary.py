"""The NHS glossary: what it holds, how retrieval bridges vocabulary with it, and how
users read it (CLI and chat)."""

from __future__ import annotations

import json
import shutil

import pytest

from stpbot.errors import StpbotError
from stpbot.glossary import Glossary, load_glossary
from tests.support import KNOWLEDGE

GLOSSARY = """\
entries:
  - term: CVS
    stands_for: council for voluntary service
    means: A local umbrella body for voluntary and community groups.
    also: [councils for voluntary service]
  - term: VCS
    stands_for: voluntary and community sector
    means: Charities, community groups and social enterprises.
    also: [voluntary sector, charities, charity]
"""

# A small collection, written in the briefings' words, to search with and without it.
REPORT = """\
---
title: Working with the voluntary sector on local plans
publisher: Wessex Healthwatch
---
The voluntary sector was kept at arm's length from the plan until the final month.

Local groups asked for a seat at the table and for funding to take part.

Hospital bed numbers were cut by a tenth across the area over two years.

The council for voluntary service ran three open meetings for residents in May.
"""


@pytest.fixture
def small(tmp_path, embedder):
    """A knowledge folder of one report and a glossary, built: (knowledge, index)."""
    from stpbot.index.build import build_index

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "report.md").write_text(REPORT, encoding="utf-8")
    (knowledge / "glossary.yaml").write_text(GLOSSARY, encoding="utf-8")
    build_index(knowledge, tmp_path / "index", embedder)
    return knowledge, tmp_path / "index"


def _engine(knowledge, index, embedder):
    from stpbot.engine import Engine

    return Engine.open(knowledge_dir=knowledge, index_dir=index, embedder=embedder)


def test_entries_are_found_by_any_name_case_and_plural_forgiven(tmp_path):
    (tmp_path / "glossary.yaml").write_text(GLOSSARY, encoding="utf-8")
    glossary = load_glossary(tmp_path)
    assert glossary.lookup("cvs").term == "CVS"
    assert glossary.lookup("CVSs").term == "CVS"
    assert glossary.lookup("Council for Voluntary Service").term == "CVS"
    assert glossary.lookup("  charities ").term == "VCS"
    assert glossary.lookup("purdah") is None
    assert [e.term for _, e in glossary.mentions("Do CVSs and charities agree?")] == [
        "CVS",
        "VCS",
    ]


def test_a_bad_glossary_is_one_clear_error(tmp_path):
    (tmp_path / "glossary.yaml").write_text("entries:\n  - term: CCG\n", encoding="utf-8")
    with pytest.raises(StpbotError, match=r"glossary.yaml is not a valid glossary"):
        load_glossary(tmp_path)
    assert load_glossary(tmp_path / "nowhere") == Glossary()


def test_the_bundled_glossary_is_valid_and_each_name_means_one_term():
    glossary = load_glossary(KNOWLEDGE)
    terms = [e.term.lower() for e in glossary.entries]
    assert len(terms) == len(set(terms)) >= 30
    for entry in glossary.entries:
        assert entry.means.strip() and glossary.lookup(entry.term) is entry
    for acronym in ("CCG", "FT", "VCS", "CVS", "NAVCA", "HFMA", "PAC", "STP footprint"):
        assert glossary.lookup(acronym) is not None, acronym


def test_only_words_the_collection_lacks_are_bridged(tmp_path):
    (tmp_path / "glossary.yaml").write_text(GLOSSARY, encoding="utf-8")
    glossary = load_glossary(tmp_path)
    collection = {"voluntary sector", "council for voluntary service"}
    known = collection.__contains__
    assert glossary.bridge("What do charities think?", known) == ["voluntary sector"]
    assert glossary.bridge("What does the voluntary sector think?", known) == []
    assert glossary.bridge("Who is the CVS?", known) == ["council for voluntary service"]


def test_a_question_in_other_words_finds_the_passage_and_passes_the_gate(small, embedder):
    knowledge, index = small
    engine = _engine(knowledge, index, embedder)
    question = "What did the CVS do for residents?"
    found = engine.assess(question)
    assert "council for voluntary service" in found.hits[0].passage.text
    (knowledge / "glossary.yaml").unlink()
    bare = _engine(knowledge, index, embedder).assess(question)
    # "cvs" is a word the collection lacks; its full name, searched for too, matches.
    assert found.signals.support > bare.signals.support


def test_a_changed_glossary_makes_the_index_stale_and_costs_no_embedding(small, embedder):
    from stpbot.index.build import build_index, is_stale

    knowledge, index = small
    assert not is_stale(index, knowledge, embedder.name, embedder.backend)
    with (knowledge / "glossary.yaml").open("a", encoding="utf-8") as file:
        file.write("  - term: PAC\n    means: The Public Accounts Committee.\n")
    assert is_stale(index, knowledge, embedder.name, embedder.backend)
    report = build_index(knowledge, index, embedder)
    assert report.published and report.unchanged == ["report"] and not report.changed
    assert not is_stale(index, knowledge, embedder.name, embedder.backend)


def test_stpbot_glossary_shows_an_entry_and_lists_terms(run_cli, tmp_path):
    shutil.copytree(KNOWLEDGE, tmp_path / "knowledge")
    knowledge = tmp_path / "knowledge"
    shown = run_cli("glossary", "CCGs", knowledge=knowledge)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("CCG (clinical commissioning group): ")
    listed = json.loads(run_cli("glossary", "--json", knowledge=knowledge).stdout)
    assert {"CCG", "VCS"} <= {e["term"] for e in listed}
    missing = run_cli("glossary", "purdah", knowledge=knowledge)
    assert missing.returncode == 2
    assert missing.stderr.startswith("Error: The glossary has no entry for “purdah”.")
    assert len(missing.stderr.strip().splitlines()) == 1


def test_define_in_chat_for_slack_and_teams(slack, fake_slack):
    from stpbot.chat.commands import Kind, parse_command
    from stpbot.render import slack as slack_render
    from stpbot.render import teams as teams_render

    status, body, _ = slack.command("define ccg")
    assert status == 200
    text = json.loads(body)["blocks"][0]["text"]["text"]
    assert text.startswith("*CCG (clinical commissioning group)*: The GP-led NHS body")
    reply = slack.bot.run(parse_command("define nonsense-term"), "U1")
    assert "no entry for “nonsense-term”" in slack_render.fallback_text(reply)
    card = teams_render.card_for(slack.bot.run(parse_command("define VCS"), "U1"))
    assert "voluntary and community sector" in json.dumps(card)
    helped = slack.bot.run(parse_command("define"), "U1")
    assert helped.incomplete is Kind.DEFINE
    assert "`/stp define` needs a term after it." in json.dumps(slack_render.blocks_for(helped))
