"""Domain errors raised by the library.

The library raises these; the CLI turns them into a one-line message and an
exit code, the UI into a readable error. Nothing here prints.
"""


class RagError(Exception):
    """Base class of every error the library raises on purpose."""


class BadQuestion(RagError, ValueError):
    """The question is empty, whitespace, or otherwise unusable."""


class IndexMissing(RagError):
    """No index has been built at the configured location."""


class IndexMismatch(RagError):
    """The index was built with another model or other settings."""


class ModelError(RagError):
    """The embedding model cannot be found, converted or loaded."""


class CorpusError(RagError):
    """The corpus folder or its metadata cannot be used."""


class LLMUnavailable(RagError):
    """The generative model (or its runtime/backend) is not installed or not reachable."""
