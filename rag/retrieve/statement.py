"""A statement typed where a question is asked -> the question it answers.

"Lạng Sơn có 30 dự án FDI." asks what the archive says of the figure it
states: each figure becomes "bao nhiêu" ("how many" in English) and the text
a question, "Lạng Sơn có bao nhiêu dự án FDI?", so the answer gives the
archive's figure (28, cited) rather than refusing for want of a 30. A verdict
on the statement is ``rag check``'s job; the answer says so. A text that asks
(a "?" or a question word: ``ANSWER_TYPE_CUES``) or states no figure is left
as it is; so is a span of time, which scopes a search ("kim ngạch 6 tháng đầu
năm 2024") rather than states a fact.
"""

from __future__ import annotations

from rag.text.figures import figures, replace_figures
from rag.text.lang import ANSWER_TYPE_CUES, MEASURES
from rag.text.vietnamese import fold

ASKING = {"vi": "bao nhiêu", "en": "how many"}
SPANS = frozenset(fold(w) for w in MEASURES["duration"][1])  # "6 tháng", "3 years": a scope, not a fact


def as_question(text: str, language: str) -> str | None:
    """The question ``text`` answers when it is a statement of a figure, else None."""
    s = " ".join(text.split())
    folded = f" {fold(s)} "
    if not s or s.endswith("?") or any(f" {cue}" in folded for _, cues in ANSWER_TYPE_CUES for cue in cues):
        return None
    found = [f for f in figures(s) if not any(f"{f.unit} ".startswith(f"{w} ") for w in SPANS)]
    if not found:
        return None
    return replace_figures(s, found, ASKING.get(language, ASKING["vi"])).rstrip(" .!;") + "?"
