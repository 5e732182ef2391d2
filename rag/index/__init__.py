"""Index: ``Article``s -> chunks, vectors and a lexical index in a backend (FAISS files or Milvus) that searches them."""

from rag.exports import lazy

__all__, __getattr__ = lazy(__name__, {
    "SearchBackend": "base", "IndexWriter": "base", "Salvage": "base", "Rows": "base",
    "index_exists": "open", "open_search": "open", "open_writer": "open",
    "update_index": "indexer", "IndexReport": "indexer", "Engine": "indexer",
    "chunk_article": "chunking",
    "tokenize": "lexical", "LexicalIndex": "lexical",
    "AccentRestorer": "accents",
    "index_lock": "lock",
    "RayEngine": "ray",
})
