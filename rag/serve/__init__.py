"""Serve: ``RAG``'s answers and verdicts -> the ``rag`` command line, HTML for the UI, and the UI's login."""

from rag.exports import lazy

__all__, __getattr__ = lazy(__name__, {
    "main": "cli",
    "answer_html": "render", "check_html": "render",
    "Credentials": "auth",
})
