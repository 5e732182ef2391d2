"""Ingest: corpus folders and uploads -> cleaned ``Article``s (decoded, de-duplicated, cached by content)."""

from rag.exports import lazy

__all__, __getattr__ = lazy(__name__, {
    "Corpus": "corpus", "load_corpus": "corpus",
    "build_article": "clean", "clean": "clean", "decode": "clean", "Undecodable": "clean",
    "IngestCache": "cache",
    "find_duplicates": "dedup",
    "add_article": "uploads", "delete_article": "uploads", "Added": "uploads", "UploadRefused": "uploads",
})
