"""The default backend: an index as files in ``index/`` (FAISS vectors, bm25s, JSONL tables), one immutable generation per update."""

from rag.exports import lazy

__all__, __getattr__ = lazy(__name__, {
    "LocalSearch": "backend", "LocalWriter": "backend",
    "read_index": "store", "write_index": "store", "damage": "store", "live_generation": "store",
    "salvage": "repair",
    "VectorIndex": "vectors",
})
