"""The vector index is exact while small and a tuned graph (HNSW) past the threshold."""

from __future__ import annotations

import numpy as np
import pytest

from stpbot.index.vectors import (
    EXACT_UP_TO,
    HNSW_LINKS,
    TARGET_RECALL,
    VectorIndexInfo,
    build,
    inner_products,
    prepare,
    recall_at,
    search_soon,
)


def clustered(count: int, dim: int = 64, topics: int = 300, seed: int = 3) -> np.ndarray:
    """Unit vectors around topic centres, shaped like sentence embeddings of many reports.

    The centres are always the same; `seed` draws different points around them.
    """
    centres = np.random.default_rng(0).normal(size=(topics, dim))
    rng = np.random.default_rng(seed)
    vectors = centres[rng.integers(0, topics, count)] + 0.6 * rng.normal(size=(count, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def test_small_collections_are_searched_exactly():
    vectors = clustered(2_000)
    index, info = build(vectors)
    assert info.kind == "flat" and info.recall_at_10 == 1.0
    _, ids = index.search(vectors[:5], 1)
    assert ids[:, 0].tolist() == [0, 1, 2, 3, 4]


def test_large_collections_get_a_graph_tuned_for_recall_that_survives_a_round_trip(tmp_path):
    import faiss

    vectors = clustered(EXACT_UP_TO + 5_000)
    index, info = build(vectors)
    assert info.kind == "hnsw" and info.links == HNSW_LINKS and info.storage == "float16"
    assert info.width in range(128, 1025) and info.recall_at_10 >= TARGET_RECALL

    path = tmp_path / "vectors.faiss"
    faiss.write_index(index, str(path))
    # As the index is served: memory-mapped, each vector kept in two bytes a dimension.
    loaded = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
    assert faiss.downcast_index(loaded.storage).code_size == 2 * vectors.shape[1]
    prepare(loaded, info)
    # Fresh questions on the same topics, not the probes it was tuned on: recall holds.
    queries = clustered(200, seed=11)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    assert loaded.hnsw.efSearch == info.width
    _, approx = loaded.search(queries, 10)
    assert recall_at(truth, approx) >= 0.95


def test_an_ivf_built_before_the_graph_still_searches_with_its_recorded_probes(tmp_path):
    import faiss

    vectors = clustered(EXACT_UP_TO + 1_000)
    ivf = faiss.index_factory(vectors.shape[1], "IVF64,Flat", faiss.METRIC_INNER_PRODUCT)
    ivf.train(vectors)
    ivf.add(vectors)
    faiss.write_index(ivf, str(tmp_path / "vectors.faiss"))
    loaded = faiss.read_index(str(tmp_path / "vectors.faiss"))
    prepare(loaded, VectorIndexInfo(kind="ivf", lists=64, probes=16, recall_at_10=0.99))
    assert faiss.extract_index_ivf(loaded).nprobe == 16
    _, ids = loaded.search(vectors[:3], 1)
    assert ids[:, 0].tolist() == [0, 1, 2]


def test_inner_products_read_rows_in_place_and_refuse_rows_that_are_not_there(tmp_path):
    vectors = clustered(500, dim=16)
    np.save(tmp_path / "vectors.npy", vectors)
    stored = np.load(tmp_path / "vectors.npy", mmap_mode="r")  # as an index is served
    query = vectors[7]
    rows = np.array([499, 0, 7, 7, 250], dtype=np.int32)

    found = inner_products(stored, rows, query)

    assert found.dtype == np.float32
    np.testing.assert_allclose(found, vectors[rows] @ query, rtol=1e-6, atol=1e-6)
    assert inner_products(stored, rows[:0], query).shape == (0,)
    # A strided copy cannot be handed to faiss as it is; it is still answered.
    np.testing.assert_allclose(
        inner_products(vectors[:, :8], rows, query[:8]),
        vectors[rows, :8] @ query[:8],
        rtol=1e-6,
        atol=1e-6,
    )
    with pytest.raises(IndexError):
        inner_products(stored, np.array([500]), query)
    with pytest.raises(IndexError):
        inner_products(stored, np.array([-1]), query)
    with pytest.raises(ValueError):
        inner_products(stored, rows, query[:8])


def _search_in_child(index, query, out):
    out.put(search_soon(index, query, 5).result(timeout=10)[1].tolist())


def test_a_search_started_soon_finds_what_a_search_now_does_in_a_forked_worker_too():
    import multiprocessing

    vectors = clustered(EXACT_UP_TO + 2_000, dim=32)
    index, _ = build(vectors)
    query = vectors[:1]
    expected = index.search(query, 5)[1].tolist()
    assert search_soon(index, query, 5).result(timeout=10)[1].tolist() == expected
    # A worker forked after the first search (as gunicorn forks) starts its own threads.
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_search_in_child, args=(index, query, out))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0
    assert out.get(timeout=5) == expected
