"""``Query`` -> ranked ``Hit``s, fusing dense and lexical (BM25) scores.

In: a parsed query, a ``SearchBackend`` (any: files or Milvus) and the query
embedder. Out: the top-k chunks. Candidates are the union of the backend's
dense and lexical top lists under the user's ``Filters``; their scores are
fused here, the same way for every backend, either by weighted sum of
normalised scores (``fusion="weighted"``) or reciprocal rank fusion
(``"rrf"``). Articles about a province the question names get a boost.
"""

from __future__ import annotations

import numpy as np

from rag.filters import Filters
from rag.index.base import SearchBackend
from rag.index.lexical import tokenize
from rag.models.embedder import Embedder
from rag.retrieve.query import Query
from rag.schema import Hit
from rag.settings import Settings


def _minmax(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def _ranks(scores: np.ndarray) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float32)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def fuse(dense: np.ndarray, lexical: np.ndarray, method: str, dense_weight: float, rrf_k: int) -> np.ndarray:
    """Fuse two score arrays over the same candidates; higher is better."""
    if method == "rrf":
        return 1.0 / (rrf_k + _ranks(dense)) + 1.0 / (rrf_k + _ranks(lexical))
    if method == "weighted":
        lex = lexical / lexical.max() if lexical.size and lexical.max() > 0 else np.zeros_like(lexical)
        return dense_weight * _minmax(dense) + (1 - dense_weight) * lex
    raise ValueError(f"unknown fusion method {method!r} (use 'weighted' or 'rrf')")


class Retriever:
    def __init__(self, backend: SearchBackend, embedder: Embedder, settings: Settings):
        self.backend = backend
        self.embedder = embedder
        self.settings = settings
        self._unseen_idf = backend.max_idf()

    def idf(self, syllable: str) -> float:
        """Inverse document frequency of a folded syllable over the passages
        (a syllable the archive never uses counts as the rarest)."""
        value = self.backend.idf(f"f:{syllable}")
        return self._unseen_idf if value is None else value

    def search(
        self, query: Query, k: int | None = None, filters: Filters = Filters(), fusion: str | None = None
    ) -> list[Hit]:
        s = self.settings
        fusion = fusion or s.fusion
        k = k or s.k
        if self.backend.count() == 0:
            return []
        qvec = self.embedder.embed_queries([query.expanded])[0]
        tokens = tokenize(query.expanded)
        dense_rows = self.backend.dense_search(qvec, s.candidates, filters)
        lexical_rows = self.backend.lexical_search(tokens, s.candidates, filters)
        cand = np.array(sorted({int(r) for r in dense_rows} | {int(r) for r in lexical_rows}), dtype=np.int64)
        if cand.size == 0:
            return []
        dense, lex = self.backend.scores(qvec, tokens, cand)
        chunks = self.backend.fetch(cand)
        articles = [self.backend.articles[c.article_id] for c in chunks]
        fused = fuse(dense, lex, fusion, s.dense_weight, s.rrf_k)
        if query.provinces:
            scale = 1.0 if fusion == "weighted" else 2.0 / (s.rrf_k + 1)
            about = np.array([a.province in query.provinces for a in articles])
            fused = fused + s.province_boost * scale * about
        order = np.argsort(-fused, kind="stable")[:k]
        return [
            Hit(chunks[i], articles[i], float(fused[i]), float(dense[i]), float(lex[i]), rank + 1)
            for rank, i in enumerate(order)
        ]
