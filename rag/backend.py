"""The seam between retrieval and where the index lives.

In: ``Settings`` (``backend`` names one of ``settings.BACKENDS``). Out: a
``SearchBackend`` that answers questions and an ``IndexWriter`` that applies
an update. Retrieval, the indexer and the API see only these two interfaces:

* ``faiss`` (default): files in ``index/`` (FAISS vectors, a bm25s lexical
  index, JSONL tables), one immutable generation per update (``local_backend``);
* ``milvus``: Milvus Lite (a local ``.db`` file) or a Milvus server by URI,
  through ``pymilvus`` (``milvus_backend``; the optional ``[scale]`` extra).

Rows are integer ids the backend chooses; a chunk's lexical tokens are the
project's own (``lexical.tokenize``) on every backend, and fusion is done once,
by the ``Retriever``, the same way for all.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Protocol, Sequence

import numpy as np

from .accents import AccentRestorer
from .filters import Filters
from .repair import Salvage
from .schema import Article, Chunk
from .settings import Settings


class SearchBackend(Protocol):
    articles: dict[str, Article]  # every indexed article by id

    def count(self) -> int:
        """Chunks in the index."""

    def chunk_counts(self) -> Counter:
        """Chunks per article id."""

    def fetch(self, rows: Sequence[int]) -> list[Chunk]:
        """The chunks of ``rows``, in that order."""

    def dense_search(self, qvec: np.ndarray, n: int, filters: Filters) -> np.ndarray:
        """Rows of the ``n`` nearest chunks (inner product) that ``filters`` allow, best first."""

    def lexical_search(self, tokens: Sequence[str], n: int, filters: Filters) -> np.ndarray:
        """Rows of the ``n`` best BM25 chunks with a score > 0 that ``filters`` allow, best first."""

    def scores(self, qvec: np.ndarray, tokens: Sequence[str], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(dense, lexical) scores of ``rows``."""

    def idf(self, token: str) -> float | None:
        """BM25 inverse document frequency of a lexical token; None if no chunk has it."""

    def max_idf(self) -> float: ...

    def restorer(self) -> AccentRestorer:
        """The accent restorer fitted on this index's texts (loaded on first use)."""


class IndexWriter(Protocol):
    previous: Salvage  # what the live index holds (hashes, provenance) and what it needs repaired

    def missing(self, article_ids: Iterable[str]) -> set[str]:
        """Those of ``article_ids`` whose chunks the index does not hold
        (lost to damage): they are chunked and embedded again."""

    def delete(self, article_ids: Iterable[str]) -> None:
        """Drop every chunk of these articles."""

    def add(self, chunks: Sequence[Chunk], tokens: Sequence[Sequence[str]], vectors: np.ndarray) -> None:
        """Add chunks with their lexical tokens and vectors."""

    def commit(self, articles: dict[str, Article], manifest: dict) -> int:
        """Make the update live with this article table and ``manifest`` (the
        writer adds the counts); returns the chunk count."""


def index_exists(settings: Settings) -> bool:
    """Whether an index has been built (it may still be damaged or mismatched)."""
    if settings.backend == "milvus":
        from .milvus_backend import milvus_index_exists

        return milvus_index_exists(settings)
    from .store import live_generation

    return live_generation(settings.index_dir) is not None


def open_search(settings: Settings) -> SearchBackend:
    """The live index for questions (``IndexMissing`` / ``IndexDamaged`` /
    ``IndexMismatch`` when it cannot be read)."""
    if settings.backend == "milvus":
        from .milvus_backend import MilvusSearch

        return MilvusSearch.open(settings)
    from .local_backend import LocalSearch

    return LocalSearch.open(settings)


def open_writer(settings: Settings, rebuild: bool = False) -> IndexWriter:
    """A writer over the live index (call under ``lock.index_lock``)."""
    if settings.backend == "milvus":
        from .milvus_backend import MilvusWriter

        return MilvusWriter(settings, rebuild)
    from .local_backend import LocalWriter

    return LocalWriter(settings, rebuild)
