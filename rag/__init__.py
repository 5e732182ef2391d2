"""rag-vn: questions and claims about a Vietnamese news archive -> cited answers and verdicts.

The public API: ``RAG`` (``rag.api``), its ``Settings``, the values it gives
(``Answer``, ``Citation``, ``ClaimCheck``) and the errors it raises. The
pipeline, one subpackage per stage, in the order data flows:
``text`` -> ``ingest`` -> ``models`` -> ``index`` -> ``retrieve`` -> ``answer``
-> ``check`` -> ``evaluate`` -> ``serve``.
"""

from rag.exports import lazy

__all__, __getattr__ = lazy(__name__, {
    "RAG": "api",
    "Settings": "settings",
    "Answer": "schema", "Citation": "schema", "ClaimCheck": "schema", "Hit": "schema", "Article": "schema",
    "RagError": "errors", "BadQuestion": "errors", "ConfigError": "errors", "CorpusError": "errors",
    "IndexMissing": "errors", "IndexDamaged": "errors", "IndexMismatch": "errors", "IndexBusy": "errors",
    "ModelError": "errors", "LLMUnavailable": "errors", "EnvironmentFault": "errors", "EvalSetError": "errors",
    "AuthConfigError": "errors",
})
