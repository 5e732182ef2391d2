"""Evaluate: eval sets of questions or claims + a ``RAG`` -> metrics and reports (``report.md`` + ``report.json``)."""

from rag.exports import lazy

__all__, __getattr__ = lazy(__name__, {
    "run_eval": "questions", "write_reports": "questions", "EvalResult": "questions",
    "run_claims_eval": "claims", "write_claims_reports": "claims", "is_claims_set": "claims",
})
