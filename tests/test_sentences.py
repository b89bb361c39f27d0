"""Sentence splitting: pysbd's boundaries, found in time that grows with the text."""

from __future__ import annotations

from stpbot.chunk.sentences import WINDOW, locate, pysbd_spans, split_sentences
from stpbot.ingest import discover, load_document
from tests.support import KNOWLEDGE


def _upstream() -> object:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def _texts(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[a:b] for a, b in spans]


def test_split_sentences_handles_abbreviations_and_glued_sentences():
    text = "Dr. Smith met the CCG at 3 p.m. on Monday. It went well.Whilst others waited."
    assert _texts(text, split_sentences(text)) == [
        "Dr. Smith met the CCG at 3 p.m. on Monday.",
        "It went well.",
        "Whilst others waited.",
    ]


def test_sentences_are_found_where_pysbd_finds_them():
    # pysbd's own search compiles a regex per sentence; ours must give the same spans.
    segmenter = _upstream()
    for path in discover(KNOWLEDGE):
        for block in load_document(path, KNOWLEDGE).blocks:
            upstream = [(s.start, s.end) for s in segmenter.segment(block.text)]  # type: ignore[attr-defined]
            assert pysbd_spans(block.text) == upstream


def test_a_repeated_sentence_is_found_at_each_place():
    text = "We agree. We agree. We agree."
    assert locate(text, ["We agree.", "We agree.", "We agree."]) == [(0, 10), (10, 20), (20, 29)]


# A plain-text file with no blank lines is one paragraph, however long.
LINES = [
    f"On day {i} Dr. Patel met the CCG at 3 p.m. and agreed e.g. the U.S. model for area {i}."
    if i % 3 == 0
    else f"The council met on day {i} and agreed the plan for the area."
    for i in range(400)
]


def test_a_paragraph_of_hundreds_of_sentences_splits_into_each():
    text = " ".join(LINES)
    assert len(text) > 5 * WINDOW  # read in several windows
    assert _texts(text, split_sentences(text)) == LINES


def test_a_long_paragraph_splits_as_pysbd_reading_it_whole():
    text = " ".join(LINES[:150])
    assert len(text) > 2 * WINDOW
    whole = [(s.start, s.end) for s in _upstream().segment(text)]  # type: ignore[attr-defined]
    assert _texts(text, split_sentences(text)) == [text[a:b].strip() for a, b in whole]


def test_a_long_run_with_no_full_stop_is_cut_between_words():
    words = [f"item{i}" for i in range(3_000)]
    text = " ".join(words)
    pieces = _texts(text, split_sentences(text))
    assert len(pieces) > 1
    assert all(len(p) <= WINDOW for p in pieces)
    assert " ".join(pieces).split() == words
