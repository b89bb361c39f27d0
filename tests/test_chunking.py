"""Chunking: passages are whole sentences of one paragraph, with true spans."""

from __future__ import annotations

import re

from stpbot.chunk.chunking import MAX_SENTENCES, chunk_document, document_text
from stpbot.documents import Block, Document, Source
from stpbot.ingest import discover, load_document
from tests.support import KNOWLEDGE


def _doc(*paragraphs: str) -> Document:
    blocks = tuple(Block(text=p, number=i) for i, p in enumerate(paragraphs, start=1))
    return Document(source=Source(id="d", title="T", path="d.md"), checksum="x", blocks=blocks)


def test_passages_never_cross_paragraphs_and_spans_are_true():
    for path in discover(KNOWLEDGE):
        doc = load_document(path, KNOWLEDGE)
        text = document_text(doc)
        paragraphs = {b.number: b.text for b in doc.blocks}
        for passage in chunk_document(doc):
            assert text[passage.start : passage.end] == passage.text
            assert passage.text in paragraphs[passage.paragraph]
            assert 1 <= len(passage.sentences) <= MAX_SENTENCES
            assert passage.locator == f"para {passage.paragraph}"


def test_passages_end_on_sentence_boundaries():
    paragraph = " ".join(
        f"Sentence number {i} says something quite long about STPs."
        for i in range(3 * MAX_SENTENCES)
    )
    passages = chunk_document(_doc(paragraph))
    assert len(passages) >= 3
    assert " ".join(p.text for p in passages) == paragraph
    for passage in passages:
        assert re.search(r"STPs\.$", passage.text)


def test_a_sentence_leaning_on_the_one_before_stays_with_it():
    sentences = [
        f"Local leaders raised point number {i} about the deadlines they were given."
        for i in range(2 * MAX_SENTENCES - 2)
    ]
    # Where an even cut into two would fall, with room to defer it: the sentence that
    # leans back must not open a passage.
    sentences[MAX_SENTENCES - 1] = (
        "It suggests there are two main reasons for this; lack of time and instructions "
        "to keep plans private."
    )
    passages = chunk_document(_doc(" ".join(sentences)))
    assert len(passages) >= 2
    assert not any(p.text.startswith("It suggests") for p in passages)


def test_no_orphan_single_short_sentence():
    paragraph = (
        "This won't come as a surprise to members, who have said the same for many months. "
        "The report does suggest that public involvement will improve once plans have been "
        "published widely. Does this mean we need to get ready to be more involved in the "
        "new year? Be prepared!"
    )
    passages = chunk_document(_doc(paragraph))
    assert all(len(p.text) > 20 for p in passages)


def test_passage_ids_are_unique_and_stable():
    doc = load_document(next(iter(discover(KNOWLEDGE))), KNOWLEDGE)
    first = [p.id for p in chunk_document(doc)]
    assert len(first) == len(set(first))
    assert first == [p.id for p in chunk_document(doc)]


def test_a_quote_running_on_carries_its_speaker_and_an_unrelated_paragraph_does_not():
    document = _doc(
        "The chief executive, Dame Alice Smith, said: ‘We have listened to residents.",
        "‘We will publish the plan in full next month and hold open meetings.’",
        "She added: ‘Nobody will lose a service without a consultation.’",
        "Hospital bed numbers fell by a tenth over the two years.",
    )
    by_paragraph = {p.paragraph: p.speaker for p in chunk_document(document)}
    # The first paragraph names her itself; the next two are her words unnamed.
    assert by_paragraph == {1: None, 2: "Dame Alice Smith", 3: "Dame Alice Smith", 4: None}


def test_the_retriever_treats_a_continuation_as_its_speakers_words(engine):
    found = engine.ask("What did Sir Bruce say about claims of secrecy?")
    first = {q.text[:20]: q.speaker for q in found.quotes}
    assert "Sir Bruce" in first.values()
    quote = next(q for q in found.quotes if q.speaker == "Sir Bruce")
    assert "Claims of secrecy" in quote.text and "Sir Bruce" not in quote.text
