"""The vector store: exact below the threshold, HNSW above, filters, vectors stored once."""

from __future__ import annotations

import numpy as np
import pytest

from rag.index.files import vectors as vectors_module
from rag.index.files.vectors import VectorIndex


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    rng = np.random.default_rng(7)
    v = rng.normal(size=(3000, 64)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def exact_top(data, q, k, allowed=None):
    rows = np.arange(len(data)) if allowed is None else allowed
    return rows[np.argsort(-(data[rows] @ q))[:k]]


def test_threshold_picks_exact_or_hnsw(data):
    assert VectorIndex.build(data, hnsw_threshold=None).kind == "exact"
    assert VectorIndex.build(data, hnsw_threshold=len(data) + 1).kind == "exact"
    assert VectorIndex.build(data, hnsw_threshold=len(data)).kind == "hnsw"


def test_exact_search_is_exact_and_hnsw_recall_is_high(data):
    exact, hnsw = VectorIndex.build(data), VectorIndex.build(data, hnsw_threshold=1)
    found = 0
    for q in data[:50]:
        want = exact_top(data, q, 10)
        assert list(exact.search(q, 10)[0]) == list(want)
        found += len(set(hnsw.search(q, 10)[0]) & set(want))
    assert found / 500 >= 0.9


@pytest.mark.parametrize("threshold", [None, 1])
def test_filtered_search_returns_only_allowed_rows(data, threshold, monkeypatch):
    index = VectorIndex.build(data, hnsw_threshold=threshold)
    allowed = np.arange(0, len(data), 7)
    q = data[3]
    rows, scores = index.search(q, 10, allowed)
    assert set(rows) <= set(allowed) and len(rows) == 10
    assert list(rows) == list(exact_top(data, q, 10, allowed))  # a narrow filter is scanned exactly
    assert np.allclose(scores, data[rows] @ q, atol=1e-5)
    monkeypatch.setattr(vectors_module, "EXACT_FILTERED_MAX", 0)  # a wide filter goes through the graph
    rows, _ = index.search(q, 10, allowed)
    assert set(rows) <= set(allowed) and len(rows) > 0


def test_vectors_are_stored_once_and_read_back(data, tmp_path):
    index = VectorIndex.build(data, hnsw_threshold=1)
    index.save(tmp_path / "dense.faiss")
    loaded = VectorIndex.load(tmp_path / "dense.faiss")
    assert np.array_equal(loaded.vectors(), data)
    assert np.array_equal(loaded.vectors(np.array([5, 2])), data[[5, 2]])
    assert loaded.search(data[0], 5, np.empty(0, np.int64))[0].size == 0
