"""Check: a claim and the archive's candidate sentences -> a ``ClaimCheck`` verdict with its evidence and diffs."""

from rag.exports import lazy

__all__, __getattr__ = lazy(__name__, {
    "Claim": "claims", "read_claim": "claims", "topic_of": "claims",
    "verdict": "verdict", "CheckRules": "verdict", "CHECK_RULES": "verdict",
})
