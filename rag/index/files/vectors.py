"""Vectors -> nearest rows, with FAISS. The one place vectors are stored.

In: an (n, dim) float32 array of normalised vectors. Out: row positions and
inner-product scores, optionally among allowed rows only, and the stored
vectors of given rows (``vectors``: nothing else keeps a copy). Knows no model
and no text: rows by position, the chunk table elsewhere maps row -> chunk.
Exact search (``IndexFlatIP``) below ``Settings.hnsw_threshold`` rows, an
HNSW graph (approximate, recall against exact in ``scripts/bench_scale.py``)
from there on.
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

# One question at a time: FAISS's OpenMP threads cost more than they give
# (10,726 rows, exact: 0.7 ms on one thread, 5.4 ms on two); builds use every core.
SEARCH_THREADS = 1
# An HNSW search under a filter that allows at most this many rows scans them exactly instead.
EXACT_FILTERED_MAX = 50_000


class VectorIndex:
    def __init__(self, index: faiss.Index, ef_search: int = 64):
        self.index = index
        self.ef_search = ef_search

    @classmethod
    def build(cls, vectors: np.ndarray, hnsw_threshold: int | None = None, hnsw_m: int = 32,
              ef_construction: int = 80, ef_search: int = 64) -> "VectorIndex":
        """Exact below ``hnsw_threshold`` rows (always when None), HNSW above."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"expected a 2-d array of vectors, got shape {vectors.shape}")
        dim = vectors.shape[1]
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        if hnsw_threshold is not None and len(vectors) >= hnsw_threshold:
            index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ef_construction
        else:
            index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return cls(index, ef_search)

    @classmethod
    def load(cls, path: Path, ef_search: int = 64) -> "VectorIndex":
        return cls(faiss.read_index(str(path)), ef_search)

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    def __len__(self) -> int:
        return self.index.ntotal

    @property
    def kind(self) -> str:
        return "hnsw" if isinstance(self.index, faiss.IndexHNSW) else "exact"

    def vectors(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The stored vectors of ``rows`` (all rows when None)."""
        if rows is None:
            return self.index.reconstruct_n(0, len(self)) if len(self) else np.zeros((0, self.index.d), np.float32)
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        return self.index.reconstruct_batch(rows) if rows.size else np.zeros((0, self.index.d), np.float32)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return (rows, scores) of the k best rows, best first; with
        ``allowed`` (sorted row positions) only among those."""
        k = min(k, len(self) if allowed is None else len(allowed))
        if k == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        hnsw = self.kind == "hnsw"
        if hnsw and allowed is not None and len(allowed) <= EXACT_FILTERED_MAX:
            scores = self.vectors(allowed) @ query[0]  # a graph walk would miss rows of a narrow filter
            top = np.argsort(-scores, kind="stable")[:k]
            return np.asarray(allowed, dtype=np.int64)[top], scores[top]
        params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k)) if hnsw else None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            params = params or faiss.SearchParameters()
            params.sel = selector
        faiss.omp_set_num_threads(SEARCH_THREADS)
        scores, rows = self.index.search(query, k, params=params)
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]
