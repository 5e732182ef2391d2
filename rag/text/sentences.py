"""Text -> sentence spans ``(start, end)``, exact character offsets into it.

In: a text (an article, a passage, a draft). Out: the spans of its sentences,
stripped of surrounding space. A sentence ends at . ! ? … (plus closing
quotes or brackets) before whitespace and an upper-case letter, digit, quote
or bracket, or at a paragraph break; not after an abbreviation ("TP.", "TS.").
Chunking, the answerer, the grounding check and the checker split the same way.
"""

from __future__ import annotations

import re

from rag.text.vietnamese import UPPER

# A sentence ends at . ! ? … (plus closing quotes/brackets) before whitespace
# and an upper-case letter, digit, quote or bracket; or at a paragraph break.
_END = re.compile(rf"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[{UPPER}0-9])")
_ABBREV = re.compile(r"(?:\b(?:TP|Tp|ThS|TS|PGS|GS|Th\.S|v\.v|St|Mr|Dr|Ths|Q|P|Đ)\.)$")


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` within ``text[start:end]``, stripped."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+", text[start:end]):
        p0 = start + para.start()
        p1 = start + para.end()
        cut = p0
        for m in _END.finditer(text, p0, p1):
            if _ABBREV.search(text[cut : m.start()]):
                continue
            spans.append((cut, m.start()))
            cut = m.end()
        spans.append((cut, p1))
    return [(a + len(text[a:b]) - len(text[a:b].lstrip()), b - (len(text[a:b]) - len(text[a:b].rstrip())))
            for a, b in spans if text[a:b].strip()]


def previous_sentence(text: str, start: int) -> str:
    """The sentence that ends before ``start`` (within 400 characters), "" at the start of a text."""
    before = sentences(text, max(0, start - 400), start)
    return text[before[-1][0] : before[-1][1]] if before else ""
