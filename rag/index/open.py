"""A backend name -> the index it names: the one place that opens one.

In: ``Settings`` (``backend`` names one of ``settings.BACKENDS``). Out: whether
an index exists, a ``SearchBackend`` over it, or an ``IndexWriter`` for an
update (the protocols of ``backend``). Each backend's module is imported only
when it is named: ``faiss`` (``local_backend``, files in ``index/``) or
``milvus`` (``milvus_backend``, the optional ``[scale]`` extra).
"""

from __future__ import annotations

from rag.index.base import IndexWriter, SearchBackend
from rag.settings import Settings


def index_exists(settings: Settings) -> bool:
    """Whether an index has been built (it may still be damaged or mismatched)."""
    if settings.backend == "milvus":
        from rag.index.milvus import milvus_index_exists

        return milvus_index_exists(settings)
    from rag.index.files.store import live_generation

    return live_generation(settings.index_dir) is not None


def open_search(settings: Settings) -> SearchBackend:
    """The live index for questions (``IndexMissing`` / ``IndexDamaged`` /
    ``IndexMismatch`` when it cannot be read)."""
    if settings.backend == "milvus":
        from rag.index.milvus import MilvusSearch

        return MilvusSearch.open(settings)
    from rag.index.files.backend import LocalSearch

    return LocalSearch.open(settings)


def open_writer(settings: Settings, rebuild: bool = False) -> IndexWriter:
    """A writer over the live index (call under ``lock.index_lock``)."""
    if settings.backend == "milvus":
        from rag.index.milvus import MilvusWriter

        return MilvusWriter(settings, rebuild)
    from rag.index.files.backend import LocalWriter

    return LocalWriter(settings, rebuild)
