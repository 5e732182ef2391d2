"""``Query`` -> ranked ``Hit``s, fusing dense (FAISS) and lexical (BM25) scores.

In: a parsed query, the loaded index (chunks, articles, BM25, vectors) and the
query embedder. Out: the top-k chunks. Candidates are the union of the dense
and lexical top lists; scores are fused either by weighted sum of normalised
scores (``fusion="weighted"``) or reciprocal rank fusion (``"rrf"``).
Articles about a province the question names get a boost; optional hard
filters keep only one province or a date range (undated articles are kept by
a date range unless ``include_undated`` is off: their date is unknown, not
outside it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as Date
from typing import Sequence

import numpy as np

from .embedder import Embedder
from .errors import BadQuestion
from .lexical import BM25, tokenize
from .query import Query
from .schema import ORIGINS, Article, Hit
from .settings import Settings
from .store import IndexData
from .vectors import VectorIndex
from .vietnamese import canonical_province


@dataclass(frozen=True)
class Filters:
    province: str | None = None
    date_from: str | None = None  # ISO yyyy-mm-dd, inclusive
    date_to: str | None = None
    include_undated: bool = True
    origins: tuple[str, ...] = ()  # keep only articles of these provenances ("corpus", "archive", "upload")

    @classmethod
    def parse(cls, province: object = None, date_from: object = None, date_to: object = None,
              include_undated: bool = True, origins: Sequence[str] = ()) -> "Filters":
        """Filters from user input (CLI, API, UI); ``BadQuestion`` naming the
        value for an unknown province, an impossible date, an inverted range
        or an unknown provenance."""
        unknown = [o for o in origins if o not in ORIGINS]
        if unknown or isinstance(origins, str):
            raise BadQuestion(f"Unknown source kind {unknown or origins!r}; use some of {', '.join(ORIGINS)}.")
        filters = cls(_province(province), _date(date_from), _date(date_to), bool(include_undated), tuple(origins))
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            raise BadQuestion(f"The date range is inverted: from {date_from} is after to {date_to}.")
        return filters

    def allows(self, article: Article) -> bool:
        province, date = article.province, article.date
        if self.province and province != self.province:
            return False
        if self.origins and article.origin not in self.origins:
            return False
        if not date:
            return self.include_undated
        return not (self.date_from and date < self.date_from) and not (self.date_to and date > self.date_to)


def _date(value: object) -> str | None:
    if not value:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise BadQuestion(f"Dates must be written YYYY-MM-DD, got {value!r}.")
    try:
        Date.fromisoformat(value)
    except ValueError:
        raise BadQuestion(f"No such date: {value!r} (YYYY-MM-DD, a real day).") from None
    return value


def _province(name: object) -> str | None:
    if not name:
        return None
    canonical = canonical_province(name) if isinstance(name, str) else None
    if canonical is None:
        raise BadQuestion(f"Unknown province {name!r}. Use a Vietnamese province name, e.g. 'Lạng Sơn'.")
    return canonical


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
    def __init__(self, data: IndexData, vectors: VectorIndex, embedder: Embedder, settings: Settings):
        self.data = data
        self.vectors = vectors
        self.embedder = embedder
        self.settings = settings
        self.bm25 = BM25(data.tokens)
        self.article_of = [data.articles[c.article_id] for c in data.chunks]
        self._unseen_idf = max(self.bm25.idf.values(), default=1.0)

    def idf(self, syllable: str) -> float:
        """Inverse document frequency of a folded syllable over the passages
        (a syllable the archive never uses counts as the rarest)."""
        return self.bm25.idf.get(f"f:{syllable}", self._unseen_idf)

    def search(
        self, query: Query, k: int | None = None, filters: Filters = Filters(), fusion: str | None = None
    ) -> list[Hit]:
        s = self.settings
        fusion = fusion or s.fusion
        k = k or s.k
        n = len(self.data.chunks)
        if n == 0:
            return []
        allowed = np.array([filters.allows(a) for a in self.article_of])
        if not allowed.any():
            return []

        qvec = self.embedder.embed_queries([query.expanded])[0]
        lexical = self.bm25.scores(tokenize(query.expanded))
        wide = n if not allowed.all() else min(n, s.candidates)
        rows, _ = self.vectors.search(qvec, wide)
        lex_top = np.argsort(-lexical)[: s.candidates]
        cand = np.array(sorted({int(r) for r in rows if r >= 0} | {int(r) for r in lex_top if lexical[r] > 0}))
        cand = cand[allowed[cand]]
        if cand.size == 0:
            return []
        dense = self.data.vectors[cand] @ qvec
        lex = lexical[cand]
        fused = fuse(dense, lex, fusion, s.dense_weight, s.rrf_k)
        if query.provinces:
            scale = 1.0 if fusion == "weighted" else 2.0 / (s.rrf_k + 1)
            about = np.array([self.article_of[r].province in query.provinces for r in cand])
            fused = fused + s.province_boost * scale * about
        order = np.argsort(-fused, kind="stable")[:k]
        return [
            Hit(self.data.chunks[cand[i]], self.article_of[cand[i]], float(fused[i]), float(dense[i]), float(lex[i]), rank + 1)
            for rank, i in enumerate(order)
        ]
