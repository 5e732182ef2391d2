"""Answer: a ``Query`` and its ``Hit``s -> an ``Answer`` with citations (extractive reader, LLM generation, grounding check)."""

from rag.exports import lazy

__all__, __getattr__ = lazy(__name__, {
    "ExtractiveAnswerer": "extractive", "Candidate": "extractive",
    "ScorerWeights": "scorer",
    "Signals": "signals", "Asked": "signals",
    "LLMAnswerer": "generate",
    "verify": "verify",
    "GenerationQueue": "queue",
})
