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

    @classmethod
    def at(cls, folder: object) -> "IndexMissing":
        return cls(f"No index in {folder}. Build it with: rag index")


class IndexMismatch(RagError):
    """The index was built with another model or other settings."""


class ModelError(RagError):
    """The embedding model cannot be found, converted or loaded."""


class CorpusError(RagError):
    """The corpus folder or its metadata cannot be used."""


class EvalSetError(RagError, ValueError):
    """An eval set is missing, empty or malformed (the message names file and line), or its report
    folder (``--out``) is a file."""


class LLMUnavailable(RagError):
    """The generative model (or its runtime/backend) is not installed or not reachable."""


class AuthConfigError(RagError):
    """The UI's login (``--auth-file``, ``RAG_AUTH`` or ``--auth``) is missing or malformed."""


class IndexBusy(RagError):
    """Another process is writing the index and did not finish in time."""


class IndexDamaged(RagError):
    """A file of the live index is missing, truncated or corrupt (``rag index`` repairs it)."""

    @classmethod
    def at(cls, folder: object, what: str) -> "IndexDamaged":
        return cls(f"index damaged ({what}) in {folder}: run rag index to repair")


class EnvironmentFault(RagError):
    """The machine, not the input, is at fault: the index folder is read-only, the disk is full."""

    exit_code = 1


class ConfigError(RagError):
    """A setting from the environment cannot be used."""
