"""The views a passage is indexed by: what is embedded, what is summed, what is shared."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from stpbot.embedding import open_embedder
from stpbot.embedding.base import BATCH_CHARACTERS, Embedder, _batches
from stpbot.index.embedding_views import ROLE_CONTEXT, ROLE_PASSAGE, ViewPlan, view_texts
from tests.support import MODEL_CACHE, make_passage


class RecordingEmbedder(Embedder):
    """Deterministic vectors from a text's hash, and a record of every text embedded."""

    backend = "fake"

    def __init__(self, mean_pooled: bool = True) -> None:
        super().__init__("fake")
        self._mean = mean_pooled
        self.seen: list[str] = []

    @property
    def dimension(self) -> int:
        return 8

    @property
    def loaded(self) -> bool:
        return True

    @property
    def mean_pooled(self) -> bool:
        return self._mean

    def _sums(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        seeds = [int(hashlib.sha256(t.encode()).hexdigest()[:8], 16) for t in texts]
        # Unnormalised, as token sums are: longer texts weigh more in a sum.
        return np.stack(
            [
                np.random.default_rng(s).normal(size=8) * len(t)
                for s, t in zip(seeds, texts, strict=True)
            ]
        )

    def _encode(self, texts: list[str]) -> np.ndarray:
        sums = self._sums(texts)
        return sums / np.linalg.norm(sums, axis=1, keepdims=True)


FIRST = make_passage("The board met in private.", number=1)
SECOND = make_passage("It published nothing. Patients were not told.", (0, 21), (22, 45), number=2)


def test_context_views_are_sums_of_the_two_passages_and_nothing_is_embedded_twice():
    embedder = RecordingEmbedder()
    plan = ViewPlan(summed=True)
    one = plan.add([FIRST, SECOND])
    two = plan.add([make_passage("Patients were not told.", number=3)])  # a sentence again
    vectors = plan.embed(embedder)

    assert sorted(embedder.seen) == sorted(set(embedder.seen))
    assert (
        "The board met in private. It published nothing. Patients were not told."
        not in embedder.seen
    )
    assert plan.roles(one).tolist() == [ROLE_PASSAGE, ROLE_PASSAGE, ROLE_CONTEXT, 0, 1]
    assert plan.counts(one) == [1, 4] and plan.counts(two) == [1]
    sums = dict(zip(embedder.seen, embedder._sums(embedder.seen), strict=True))
    joined = sums[FIRST.text] + sums[SECOND.text]
    assert np.allclose(vectors[one][2], joined / np.linalg.norm(joined), atol=1e-6)
    told = sums["Patients were not told."]
    assert np.allclose(vectors[one][4], vectors[two][0])
    assert np.allclose(vectors[two][0], told / np.linalg.norm(told), atol=1e-6)
    assert np.allclose(np.linalg.norm(vectors[one], axis=1), 1.0, atol=1e-6)


def test_a_model_that_does_not_mean_pool_embeds_the_joined_text():
    embedder = RecordingEmbedder(mean_pooled=False)
    plan = ViewPlan(summed=embedder.mean_pooled)
    plan.add([FIRST, SECOND])
    plan.embed(embedder)
    assert f"{FIRST.text} {SECOND.text}" in embedder.seen
    assert [t for _, t in view_texts(SECOND, FIRST.text)] == [
        SECOND.text,
        f"{FIRST.text} {SECOND.text}",
        "It published nothing.",
        "Patients were not told.",
    ]


@pytest.mark.parametrize("backend", ["onnx-int8", pytest.param("torch", marks=pytest.mark.slow)])
def test_summed_passages_point_where_the_joined_text_does(backend):
    embedder = open_embedder(backend=backend, cache_dir=MODEL_CACHE)
    assert embedder.mean_pooled
    a = "The sustainability and transformation plans were drawn up behind closed doors."
    b = "Healthwatch said local people had no say in them."
    sums = embedder.embed_sums([a, b])
    unit = embedder.embed([a, b])
    assert np.allclose(sums / np.linalg.norm(sums, axis=1, keepdims=True), unit, atol=1e-5)
    joined = sums[0] + sums[1]
    exact = embedder.embed([f"{a} {b}"])[0]
    assert float(joined @ exact / np.linalg.norm(joined)) >= 0.9


def test_long_texts_go_in_small_batches_and_order_is_kept():
    lengths = [10] * 100 + [BATCH_CHARACTERS // 4] * 8 + [BATCH_CHARACTERS * 2]
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches = _batches(order, lengths, most=64)
    assert [len(b) for b in batches] == [64, 36, 4, 4, 1]
    assert [i for b in batches for i in b] == order
