"""Tests for finding who speaks in paragraphs that quote without naming them."""

from __future__ import annotations

import re
from pathlib import Path

from stpbot.chunk.speakers import attributed, speakers

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"


def test_a_quote_running_on_gets_the_speaker_named_before_it() -> None:
    paragraphs = [
        "However, Sir Bruce said: ‘We need to keep our eye on the prize.",
        "‘Claims of secrecy have been overtaken by events.’",
    ]
    assert speakers(paragraphs) == [None, "Sir Bruce"]


def test_a_paragraph_inside_a_quote_left_open_gets_the_speaker() -> None:
    paragraphs = [
        "Dame Sue Bailey said: “The plans are sound.",
        "Patients will see the difference within a year.”",
    ]
    assert speakers(paragraphs) == [None, "Dame Sue Bailey"]
    straight = ["Dr. Jane Smith said: 'It is late.", "Patients are worried.'", "Costs rose."]
    assert speakers(straight) == [None, "Dr. Jane Smith", None]


def test_a_pronoun_points_back_to_the_last_name() -> None:
    paragraphs = [
        "HFMA policy director Paul Briddock said many wanted a radical overhaul.",
        "He added: ‘Given many STPs are in the early stages, it is premature.'",
        "She said the work would go on.",
    ]
    assert speakers(paragraphs) == [None, "Paul Briddock", "Paul Briddock"]


def test_a_name_with_a_title_after_commas_is_just_the_name() -> None:
    paragraphs = [
        "Paul Briddock, Director of Policy at HFMA, said: ‘We welcome the report.",
        "‘It is timely.’",
    ]
    assert speakers(paragraphs) == [None, "Paul Briddock"]


def test_an_unrelated_paragraph_resets_the_speaker() -> None:
    paragraphs = [
        "Sir Bruce said: ‘The plans will be published.’",
        "Deadlines were tight and instructions were unclear.",
        "‘We’ve no plan B.’",
        "He added that more would follow.",
    ]
    assert speakers(paragraphs) == [None, None, None, None]


def test_a_paragraph_that_names_its_own_speaker_gets_none() -> None:
    paragraphs = [
        "Chris Ham said: ‘It is the right approach.’",
        "‘It is vital the NHS sticks with them,’ said Professor Sir Chris Ham.",
    ]
    assert speakers(paragraphs) == [None, None]
    assert attributed(paragraphs[1])
    assert not attributed("He added: ‘More will follow.’")


def test_apostrophes_are_not_quotation_marks() -> None:
    paragraphs = [
        "Mr O'Brien said the King’s Fund’s report was fair and we’ve read it.",
        "Patients’ views were absent, and the fund’s staff didn’t ask them.",
        "‘That’s why we’ve asked for all STPs to be published.’",
    ]
    # Nothing was left open, so the second paragraph is not a quote and resets.
    assert speakers(paragraphs) == [None, None, None]
    assert speakers(paragraphs[:1] + paragraphs[2:]) == [None, "Mr O'Brien"]


def test_an_organisation_can_be_the_speaker() -> None:
    paragraphs = [
        "The King’s Fund said: ‘Patients and the public have been largely absent.",
        "‘That must change.’",
    ]
    assert speakers(paragraphs) == [None, "The King’s Fund"]


def test_a_name_after_the_quote_counts() -> None:
    paragraphs = [
        "“We need more time,” said Sarah O'Brien, chief executive of Healthwatch Leeds.",
        "“Patients must be heard before anything closes.”",
    ]
    assert speakers(paragraphs) == [None, "Sarah O'Brien"]


def test_according_to_a_name_sets_the_speaker() -> None:
    paragraphs = [
        "According to Cllr Mark Rogers, councils were left out.",
        "He told reporters: “We were not asked.”",
    ]
    assert speakers(paragraphs) == [None, "Cllr Mark Rogers"]


def test_ordinary_sentence_openers_and_documents_are_not_names() -> None:
    paragraphs = [
        "But Lord Prior said: ‘Time is short.",
        "‘Very short.’",
        "The Report said tight deadlines made it hard.",
        "‘Patients were largely absent.’",
    ]
    assert speakers(paragraphs) == [None, "Lord Prior", None, None]


def test_a_quote_attributed_to_someone_unnamed_is_not_the_speakers() -> None:
    paragraphs = [
        "Chris Ham said: ‘The approach is right.’",
        "‘Patients were largely absent,’ the report said.",
    ]
    assert speakers(paragraphs) == [None, None]


def test_a_leading_pronoun_with_no_one_named_gets_none() -> None:
    assert speakers(["He added: ‘Given many STPs are early, this is premature.’"]) == [None]
    assert speakers([]) == []


def _paragraphs(name: str) -> list[str]:
    text = (KNOWLEDGE / name).read_text(encoding="utf-8")
    body = text.split("---", 2)[2]  # after the YAML front matter
    stripped = (part.strip() for part in re.split(r"\n\s*\n", body))
    return [part for part in stripped if part and not part.startswith("#")]


def test_the_bundled_briefing_quoting_sir_bruce_and_paul_briddock() -> None:
    paragraphs = _paragraphs("all-stps-to-be-published-soon.md")
    found = dict(zip(paragraphs, speakers(paragraphs), strict=True))

    def speaker(start: str) -> str | None:
        (match,) = (text for text in paragraphs if text.startswith(start))
        return found[match]

    assert speaker("However, Sir Bruce said:") is None
    assert speaker("‘Claims of secrecy") == "Sir Bruce"
    assert speaker("He added that around a third") == "Sir Bruce"
    assert speaker("‘For all the difficulties") == "Chris Ham"
    assert speaker("He added: ‘Given many STPs") == "Paul Briddock"
    assert speaker("The King’s Fund report,") is None
    assert speaker("STPs faced other issues") is None
