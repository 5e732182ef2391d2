"""A backend name -> the index it names: the one place that opens one.

In: ``Settings`` (``backend`` names one of ``settings.BACKENDS``). Out: whether
an index exists, a ``SearchBackend`` over it, or an ``IndexWriter`` for an
update (the protocols of ``backend``). Each backend's module is imported only
when it is named: ``faiss`` (``local_backend``, files in ``index/``) or
``milvus`` (``milvus_backend``, the optional ``[scale]`` extra).
"""

from __future__ import annotations

from typing import Callable

from rag.errors import ConfigError
from rag.index.base import IndexWriter, SearchBackend
from rag.settings import Settings


def _files():
    from rag.index.files import backend

    return backend.LocalSearch, backend.LocalWriter, backend.exists


def _milvus():
    from rag.index import milvus

    return milvus.MilvusSearch, milvus.MilvusWriter, milvus.milvus_index_exists


# backend name -> (search class, writer class, exists); imported only when named
REGISTRY: dict[str, Callable[[], tuple]] = {"faiss": _files, "milvus": _milvus}


def _backend(settings: Settings) -> tuple:
    if settings.backend not in REGISTRY:
        raise ConfigError(f"backend must be one of {', '.join(REGISTRY)}, got {settings.backend!r}.")
    return REGISTRY[settings.backend]()


def index_exists(settings: Settings) -> bool:
    """Whether an index has been built (it may still be damaged or mismatched)."""
    return _backend(settings)[2](settings)


def open_search(settings: Settings) -> SearchBackend:
    """The live index for questions (``IndexMissing`` / ``IndexDamaged`` /
    ``IndexMismatch`` when it cannot be read)."""
    return _backend(settings)[0].open(settings)


def open_writer(settings: Settings, rebuild: bool = False) -> IndexWriter:
    """A writer over the live index (call under ``lock.index_lock``)."""
    return _backend(settings)[1](settings, rebuild)
