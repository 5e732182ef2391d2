"""The seam between retrieval and where the index lives: protocols and shared types.

In: nothing but ``Settings``. Out: the two interfaces every backend
implements, a ``SearchBackend`` that answers questions and an ``IndexWriter``
that applies an update, and what backends share: ``Salvage`` (what the live
index holds and needs repaired), ``Rows`` (chunks, tokens, vectors),
``FORMAT``, ``check_signature``, ``writing`` and ``read_json_object``.
``open_index`` reads a backend name and opens it. Retrieval, the indexer and
the API see only these interfaces:

* ``faiss`` (default): files in ``index/`` (FAISS vectors, a bm25s lexical
  index, JSONL tables), one immutable generation per update (``local_backend``);
* ``milvus``: Milvus Lite (a local ``.db`` file) or a Milvus server by URI,
  through ``pymilvus`` (``milvus_backend``; the optional ``[scale]`` extra).

Rows are integer ids the backend chooses; a chunk's lexical tokens are the
project's own (``lexical.tokenize``) on every backend, and fusion is done once,
by the ``Retriever``, the same way for all.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sqlite3
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol, Sequence

import numpy as np

from rag.errors import EnvironmentFault, IndexMismatch
from rag.filters import Filters
from rag.index.accents import AccentRestorer
from rag.schema import Article, Chunk
from rag.settings import SIGNATURE_DEFAULTS, Settings

FORMAT = 2


@dataclass(frozen=True)
class Salvage:
    found: bool = False  # there was a previous index
    hashes: dict[str, str] = field(default_factory=dict)  # article id -> content hash of the previous index
    repairs: tuple[str, ...] = ()  # "vectors re-embedded from the corpus (dense.faiss missing)"
    provenance: dict[str, str] | None = None  # article id -> origin|added_at|added_by of the previous index
    chunk_count: int = 0
    problems: dict[str, str] = field(default_factory=dict)  # damaged file -> what is wrong (``generation_damage``)


@dataclass(frozen=True)
class Rows:
    """The live generation's chunks with their tokens and vectors, as far as
    they are intact (empty when any of the three is lost: re-chunked and
    re-embedded from the corpus)."""

    chunks: list[Chunk] = field(default_factory=list)
    tokens: list[list[str]] = field(default_factory=list)
    vectors: np.ndarray | None = None




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


def read_json_object(path: Path) -> dict | None:
    """The JSON object in ``path``; None when missing, unreadable or not an object."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


@contextmanager
def writing(index_dir: Path, needed: Callable[[], int] | None = None) -> Iterator[None]:
    """Turn an OS refusal to write (read-only folder, full disk) into one line
    naming the folder; for a full disk, with the space the write needs
    (``needed``: its estimate in bytes, asked only then) and the space free.
    A full disk also shows as a short write without an errno (numpy's
    "2455954 requested and 564192 written") and as SQLite's "database or disk
    is full"."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        full = getattr(exc, "errno", None) == errno.ENOSPC or bool(_FULL.search(str(exc)))
        if getattr(exc, "errno", None) is None and not full:
            raise
        reason = os.strerror(errno.ENOSPC) if full else exc.strerror or str(exc)
        if full:
            reason += _space(index_dir, needed)
        raise EnvironmentFault(f"cannot write the index in {index_dir}: {reason}") from exc


_FULL = re.compile(r"^\d+ requested and \d+ written$|database or disk is full")


def _space(index_dir: Path, needed: Callable[[], int] | None) -> str:
    """" (the new index needs about 116 MB; 75 MB free)", as far as they can be told."""
    try:
        free = shutil.disk_usage(index_dir if index_dir.exists() else index_dir.parent).free
    except OSError:
        return ""
    need = f"the new index needs about {_mb(needed())}; " if needed is not None else ""
    return f" ({need}{_mb(free)} free)"


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 10e6 else f"{n / 1e6:.1f} MB"


def check_signature(manifest: dict, settings: Settings, index_dir: Path) -> None:
    want = settings.index_signature()
    have = {k: manifest.get(k, SIGNATURE_DEFAULTS.get(k)) for k in want}
    if manifest.get("format") != FORMAT or have != want:
        diff = [f"{k}: index has {have[k]!r}, settings want {want[k]!r}" for k in want if have[k] != want[k]]
        if manifest.get("format") != FORMAT:
            diff.append(f"format: index has {manifest.get('format')!r}, this version reads {FORMAT}")
        raise IndexMismatch(
            f"The index in {index_dir} was built with other settings ("
            + "; ".join(diff)
            + "). Rebuild it with: rag index --rebuild"
        )
