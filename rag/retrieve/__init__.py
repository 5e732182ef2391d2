"""Retrieve: a question (and the conversation before it) -> a parsed ``Query`` and the ``Hit``s that best match it."""

from rag.exports import lazy

__all__, __getattr__ = lazy(__name__, {
    "Query": "query", "parse_query": "query", "check_question": "query", "detect_language": "query",
    "rewrite": "followup",
    "Retriever": "retrieval",
})
