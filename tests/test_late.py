"""Late interaction: token states kept by the build, and the rerank they drive."""

from __future__ import annotations

import shutil

import numpy as np

from stpbot.embedding.base import Tokens
from stpbot.engine import Engine
from stpbot.index.build import build_index
from stpbot.index.store import load_index, read_manifest
from stpbot.index.tokens import Captions, TokenStore
from stpbot.retrieve.late import late_scores, reranked, standardised
from tests.support import KNOWLEDGE, engine_over

DIM = 4
# Four "words", one axis each.
COMMON, RARE, OTHER, FOURTH = (np.eye(DIM, dtype=np.float32)[i] for i in range(DIM))


def tokens(*rows: tuple[np.ndarray, int]) -> Tokens:
    vectors = np.array([v for v, _ in rows], dtype=np.float32).reshape(-1, DIM)
    return Tokens(vectors, np.array([i for _, i in rows], dtype=np.int32))


def unpacked(tokens: Tokens) -> np.ndarray:
    return tokens.vectors.astype(np.float32) * tokens.scales[:, None]


def store(*passages: Tokens, follows: list[bool] | None = None) -> TokenStore:
    return TokenStore.of(list(passages), follows or [False] * len(passages), DIM)


def test_a_rare_word_matched_outweighs_a_common_one():
    # Token 1 is in every passage, token 2 in one: matching the rare one counts for more.
    common = tokens((COMMON, 1), (OTHER, 3))
    rare = tokens((RARE, 2), (FOURTH, 4))
    filler = [tokens((COMMON, 1)) for _ in range(6)]
    s = store(common, rare, *filler)
    question = tokens((COMMON, 1), (RARE, 2))
    scores = late_scores(question, s, np.array([0, 1]))
    assert scores[1] > scores[0]
    assert s.weights(np.array([2]))[0] > s.weights(np.array([1]))[0]


def test_the_passage_before_lends_its_words_only_within_a_document():
    speaker = tokens((RARE, 2))  # "Sir Bruce said:"
    quote = tokens((COMMON, 1))  # the paragraph that is all quote
    question = tokens((RARE, 2), (COMMON, 1))
    within = late_scores(question, store(speaker, quote, follows=[False, True]), np.array([1]))
    across = late_scores(question, store(speaker, quote, follows=[False, False]), np.array([1]))
    assert within[0] > across[0]


def test_a_caption_lends_its_words_to_every_passage_under_it():
    # Two passages alike but for their documents: the question names the second's
    # publisher, which only its caption holds.
    northern = tokens((COMMON, 1), (OTHER, 3))
    southern = tokens((COMMON, 1), (OTHER, 3))
    captions = Captions(store(tokens((FOURTH, 4)), tokens((RARE, 2))), np.array([0, 1]))
    s = TokenStore.of([northern, southern], [False, False], DIM, captions)
    question = tokens((RARE, 2), (COMMON, 1))
    scores = late_scores(question, s, np.array([0, 1]))
    assert scores[1] > scores[0]
    assert late_scores(question, store(northern, southern), np.array([0, 1]))[0] == scores[0]


def test_a_question_with_no_word_tokens_scores_nothing_and_moves_nothing():
    s = store(tokens((COMMON, 1)), tokens((RARE, 2)))
    empty = Tokens(np.zeros((0, DIM), dtype=np.float32), np.zeros(0, dtype=np.int32))
    assert late_scores(empty, s, np.array([0, 1])).tolist() == [0.0, 0.0]
    order = np.array([1, 0, 2])
    late = np.zeros(2)
    assert reranked(order, np.array([0.2, 0.9, 0.1]), late).tolist() == [1, 0, 2]


def test_rerank_fuses_both_scores_equally_and_leaves_the_tail_alone():
    order = np.arange(6)
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    # Late interaction strongly prefers the fourth candidate; the sixth is not reranked.
    late = np.array([0.1, 0.1, 0.1, 0.9, 0.1])
    assert reranked(order, score, late).tolist() == [3, 0, 1, 2, 4, 5]
    assert standardised(np.array([3.0, 3.0])).tolist() == [0.0, 0.0]


def test_store_survives_a_round_trip(tmp_path):
    s = store(tokens((COMMON, 1), (RARE, 2)), tokens((OTHER, 3)), follows=[False, True])
    s.save(tmp_path)
    back = TokenStore.load(tmp_path)
    assert back.consistent(2, DIM)
    assert back.passage(0).ids.tolist() == [1, 2]
    assert np.array_equal(back.passage(1).vectors, s.passage(1).vectors)
    assert np.allclose(unpacked(back.passage(0)), [COMMON, RARE], atol=0.005)
    assert back.follows.tolist() == [False, True]
    assert back.captions is None


def test_captions_survive_a_round_trip(tmp_path):
    captions = Captions(store(tokens((RARE, 2)), tokens((FOURTH, 4), (OTHER, 3))), np.array([1, 1]))
    s = TokenStore.of([tokens((COMMON, 1)), tokens((OTHER, 3))], [False, True], DIM, captions)
    s.save(tmp_path)
    back = TokenStore.load(tmp_path)
    assert back.consistent(2, DIM) and back.captions is not None
    assert back.captions.of.tolist() == [1, 1]
    assert back.captions.store.passage(1).ids.tolist() == [4, 3]
    # A passage pointing past the captions kept is caught, as a damaged index.
    back.captions.of[0] = 2
    assert not back.consistent(2, DIM)


def test_the_build_keeps_word_tokens_of_every_passage(built, embedder):
    _, index = built
    loaded = load_index(index, embedder.name, embedder.backend)
    assert loaded.tokens is not None
    assert loaded.manifest.token_count == loaded.tokens.ids.size
    assert len(loaded.tokens) == len(loaded.passages)
    first = loaded.tokens.passage(0)
    assert loaded.tokens.vectors.dtype == np.int8
    norms = np.linalg.norm(unpacked(first), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-2)
    words = [embedder._vocabulary()[0][i] for i in first.ids.tolist()]
    assert all(any(c.isalnum() for c in w) for w in words)
    assert "[CLS]" not in words and "[SEP]" not in words
    # Each passage's caption: its document's title, publisher and author, and heading.
    captions = loaded.tokens.captions
    assert captions is not None and captions.of.size == len(loaded.passages)
    documents = {p.doc_id for p in loaded.passages}
    assert len(documents) <= len(captions.store) <= len(loaded.passages)
    vocabulary = embedder._vocabulary()[0]
    first_caption = [vocabulary[i] for i in captions.store.passage(int(captions.of[0])).ids]
    title = loaded.sources[loaded.passages[0].doc_id].title.lower()
    assert first_caption[0] in title


NORTH = """\
---
title: Hospital changes
publisher: Northshire Healthwatch
---
The report says residents want a bigger say in the hospital changes.

Parking at the new site will be free for visitors from the spring.
"""

SOUTH = """\
---
title: Hospital changes
publisher: Southmoor Patients Forum
---
This report says that residents want more of a say in hospital changes.

The board will meet in public every second month from now on.
"""


def test_a_question_naming_the_publisher_finds_that_document_s_passage(tmp_path, embedder):
    engine = engine_over(tmp_path, embedder, {"north.md": NORTH, "south.md": SOUTH})
    for publisher, wanted in (
        ("Southmoor Patients Forum", "south"),
        ("Northshire Healthwatch", "north"),
    ):
        hits = engine.retriever.candidates(f"What does {publisher} say residents want?", limit=5)
        assert hits[0].source.id == wanted, publisher


def test_an_incremental_build_stores_what_a_full_build_does(tmp_path, embedder):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    first = knowledge / "ten-reflections-publishing-stps.md"
    held = first.read_text(encoding="utf-8")
    first.unlink()
    build_index(knowledge, tmp_path / "a", embedder)
    first.write_text(held, encoding="utf-8")  # comes back: embedded alone, others kept
    build_index(knowledge, tmp_path / "a", embedder)
    build_index(knowledge, tmp_path / "b", embedder, full=True)
    a = load_index(tmp_path / "a", embedder.name, embedder.backend)
    b = load_index(tmp_path / "b", embedder.name, embedder.backend)
    assert a.tokens is not None and b.tokens is not None
    assert [p.id for p in a.passages] == [p.id for p in b.passages]
    assert np.array_equal(a.tokens.starts, b.tokens.starts)
    assert np.array_equal(a.tokens.ids, b.tokens.ids)
    assert np.array_equal(a.tokens.follows, b.tokens.follows)
    assert a.tokens.captions is not None and b.tokens.captions is not None
    assert np.array_equal(a.tokens.captions.of, b.tokens.captions.of)
    assert np.array_equal(a.tokens.captions.store.ids, b.tokens.captions.store.ids)
    # Int8 activations are quantised per batch, so the same text in another batch
    # comes out a little different; each token must still be the same token.
    rows_a = a.tokens.vectors.astype(np.float32) * a.tokens.scales[:, None]
    rows_b = b.tokens.vectors.astype(np.float32) * b.tokens.scales[:, None]
    same = np.sum(rows_a * rows_b, axis=1)
    assert same.min() >= 0.9


def test_a_collection_over_the_limit_keeps_no_tokens_and_still_answers(tmp_path, embedder):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    build_index(knowledge, tmp_path / "index", embedder, token_passages=0)
    loaded = load_index(tmp_path / "index", embedder.name, embedder.backend)
    assert loaded.tokens is None and loaded.manifest.token_count is None
    assert not list(loaded.path.glob("token*.npy"))
    engine = Engine.open(knowledge_dir=knowledge, index_dir=tmp_path / "index", embedder=embedder)
    question = "why were patients absent from STP governance?"
    answer = engine.ask(question)
    assert "absent from STP governance" in answer.quotes[0].text
    # The gate embeds the best passage's tokens afresh, and declines as with the store.
    assert not engine.ask("How do I claim back travel costs for hospital visits?").answered
    afresh = engine.assess(question).signals.support
    # Back under the limit: the kept documents' tokens are embedded afresh.
    build_index(knowledge, tmp_path / "index", embedder)
    assert load_index(tmp_path / "index", embedder.name, embedder.backend).tokens is not None
    stored = Engine.open(knowledge_dir=knowledge, index_dir=tmp_path / "index", embedder=embedder)
    assert abs(stored.assess(question).signals.support - afresh) < 0.02


def test_the_token_limit_is_a_setting_that_the_next_build_applies(run_cli, workspace):
    import json

    knowledge, index = workspace
    off = run_cli("index", knowledge=knowledge, index=index, env={"STPBOT_TOKEN_PASSAGES": "0"})
    assert off.returncode == 0, off.stderr
    manifest = json.loads(
        (index / "current").read_text() and read_manifest(index).model_dump_json()
    )
    assert manifest["token_count"] is None
    asked = run_cli(
        "ask",
        "why were patients absent from STP governance?",
        "--json",
        knowledge=knowledge,
        index=index,
        env={"STPBOT_TOKEN_PASSAGES": "0"},
    )
    assert json.loads(asked.stdout)["answered"]
    back = run_cli("index", knowledge=knowledge, index=index)
    assert back.returncode == 0 and read_manifest(index).token_count
