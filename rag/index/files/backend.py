"""The default backend: FAISS + bm25s + JSONL files in ``index/``.

In: ``Settings`` (``index_dir``). Out: ``LocalSearch``, one generation read
whole into memory (vectors in FAISS, exact or HNSW; the lexical index
memory-mapped), and ``LocalWriter``, which collects an update and writes it
as a new generation (``store.write_index``) reusing what is intact in the
live one (``repair.salvage``). Filters become a set of allowed rows, computed
per article and spread to its chunks.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

import numpy as np

from rag.filters import Filters
from rag.index.accents import AccentRestorer
from rag.index.base import Rows
from rag.index.files.repair import rows, salvage
from rag.index.files.store import RESTORER, Generation, IndexData, live_generation, read_index, write_index
from rag.schema import Article, Chunk
from rag.settings import Settings


class LocalSearch:
    def __init__(self, data: IndexData):
        self.data = data
        self.articles = data.articles
        order = list(data.articles)
        position = {a: i for i, a in enumerate(order)}
        self._article_list = [data.articles[a] for a in order]
        self._article_of_row = np.array([position[c.article_id] for c in data.chunks], dtype=np.int64)
        self._restorer: AccentRestorer | None = None
        self._last_lexical: tuple[tuple, np.ndarray] = ((), np.zeros(0, np.float32))

    @classmethod
    def open(cls, settings: Settings) -> "LocalSearch":
        return cls(read_index(settings.index_dir, settings))

    def count(self) -> int:
        return len(self.data.chunks)

    def chunk_counts(self) -> Counter:
        return Counter(c.article_id for c in self.data.chunks)

    def fetch(self, rows: Sequence[int]) -> list[Chunk]:
        return [self.data.chunks[int(r)] for r in rows]

    def _allowed(self, filters: Filters) -> np.ndarray | None:
        """Sorted rows that ``filters`` allow; None when every row is."""
        if filters == Filters():
            return None
        ok = np.array([filters.allows(a) for a in self._article_list], dtype=bool)
        return np.flatnonzero(ok[self._article_of_row]) if self._article_of_row.size else np.empty(0, np.int64)

    def dense_search(self, qvec: np.ndarray, n: int, filters: Filters) -> np.ndarray:
        allowed = self._allowed(filters)
        if allowed is not None and allowed.size == 0:
            return np.empty(0, dtype=np.int64)
        rows, _ = self.data.dense.search(qvec, n, allowed)
        return rows

    def _lexical(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 of every row, kept for the question's next call (search, then scores)."""
        key = tuple(tokens)
        last = self._last_lexical  # one read: another thread may replace it meanwhile
        if last[0] != key:
            last = self._last_lexical = (key, self.data.lexical.scores(tokens))
        return last[1]

    def lexical_search(self, tokens: Sequence[str], n: int, filters: Filters) -> np.ndarray:
        scores = self._lexical(tokens)
        allowed = self._allowed(filters)
        if allowed is not None:
            keep = np.zeros(len(scores), dtype=bool)
            keep[allowed] = True
            scores = np.where(keep, scores, 0)
        hits = np.flatnonzero(scores > 0)
        if hits.size > n:
            hits = hits[np.argpartition(-scores[hits], n - 1)[:n]]
        return hits[np.argsort(-scores[hits], kind="stable")]

    def scores(self, qvec: np.ndarray, tokens: Sequence[str], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.data.dense.vectors(rows) @ qvec, self._lexical(tokens)[rows]

    def idf(self, token: str) -> float | None:
        return self.data.lexical.idf(token)

    def max_idf(self) -> float:
        return self.data.lexical.max_idf()

    def restorer(self) -> AccentRestorer:
        if self._restorer is None:
            self._restorer = AccentRestorer.load(self.data.folder / RESTORER)
        return self._restorer


class LocalWriter:
    """An update of the files backend: the live generation's reusable rows
    (read on first need), minus deleted articles, plus added chunks, written
    as a new generation."""

    def __init__(self, settings: Settings, rebuild: bool = False):
        self.settings = settings
        self.previous = salvage(settings.index_dir, settings, rebuild)  # raises IndexMismatch
        self._rows: Rows | None = None

    @property
    def _live(self) -> Rows:
        if self._rows is None:
            self._rows = rows(self.settings.index_dir, self.settings, self.previous)
        return self._rows

    def missing(self, article_ids: Iterable[str]) -> set[str]:
        held = {c.article_id for c in self._live.chunks}
        return {a for a in article_ids if a not in held}

    def delete(self, article_ids: Iterable[str]) -> None:
        gone, live = set(article_ids), self._live
        keep = [i for i, c in enumerate(live.chunks) if c.article_id not in gone]
        vectors = live.vectors[keep] if live.vectors is not None else None
        self._rows = Rows([live.chunks[i] for i in keep], [live.tokens[i] for i in keep], vectors)

    def add(self, chunks: Sequence[Chunk], tokens: Sequence[Sequence[str]], vectors: np.ndarray) -> None:
        live = self._live
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(chunks), self.settings.dim)
        old = live.vectors if live.vectors is not None else np.zeros((0, self.settings.dim), np.float32)
        self._rows = Rows(live.chunks + list(chunks), live.tokens + [list(t) for t in tokens], np.concatenate([old, vectors]))

    def commit(self, articles: dict[str, Article], manifest: dict) -> int:
        live = self._live
        vectors = live.vectors if live.vectors is not None else np.zeros((0, self.settings.dim), np.float32)
        manifest = {**manifest, "counts": {"articles": len(articles), "chunks": len(live.chunks)}}
        write_index(self.settings.index_dir, Generation(manifest, articles, live.chunks, live.tokens, vectors),
                    self.settings)
        return len(live.chunks)


def exists(settings: Settings) -> bool:
    """Whether a generation is live in ``settings.index_dir``."""
    return live_generation(settings.index_dir) is not None
