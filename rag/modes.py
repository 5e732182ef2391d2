"""The modes, listed once: how a question is answered, or a claim checked.

In: nothing. Out: ``MODES``, read by the API (which modes exist and what
they do), the CLI (``--mode`` choices and help), the UI (the mode radio and
the fact-check tab's name) and the eval harness. A new mode is one entry here
and the module that implements it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.errors import BadQuestion


@dataclass(frozen=True)
class Mode:
    name: str  # as typed on the command line and sent to the API
    kind: str  # "question": answers a question (``RAG.ask``); "check": checks claims (``RAG.check``)
    label: str  # as shown in the UI
    help: str  # one line for ``--help`` and the README
    uses_llm: bool = False


MODES: tuple[Mode, ...] = (
    Mode("auto", "question", "Tự động", "the local LLM when installed (verified), else extractive", True),
    Mode("extractive", "question", "Trích dẫn nguyên văn", "quote the answering sentences, no LLM"),
    Mode("llm", "question", "Mô hình ngôn ngữ (đã kiểm chứng)",
         "an LLM answer verified against the passages; falls back to extractive", True),
    Mode("check", "check", "Kiểm chứng",
         "fact-check claims or a draft: supported, refuted, not enough information or conflicting"),
)


def names(kind: str) -> list[str]:
    """The names of the modes of one kind ("question" or "check")."""
    return [m.name for m in MODES if m.kind == kind]


def get(name: str, kind: str = "question") -> Mode:
    """The mode called ``name``; ``BadQuestion`` naming the valid ones otherwise."""
    found = next((m for m in MODES if m.name == name and m.kind == kind), None)
    if found is None:
        raise BadQuestion(f"Unknown {kind} mode {name!r}: use {', '.join(names(kind))}.")
    return found
