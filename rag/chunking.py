"""``Article`` -> sentence-aware ``Chunk``s with exact character offsets.

In: a cleaned article. Out: chunks of whole sentences, at most
``chunk_chars`` characters (a sentence longer than that is cut at clause
boundaries), consecutive chunks sharing ``overlap_sentences`` sentences.
``article.text[chunk.start:chunk.end] == chunk.text`` always holds, so a
citation can point at the exact sentence. Each chunk carries the article's
header line (title | province | date) for embedding and display; 500
characters of Vietnamese plus a header stay far below the model's 512 tokens
(checked in the tests with the real tokenizer).
"""

from __future__ import annotations

import re

from .schema import Article, Chunk
from .vietnamese import UPPER

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


def _fit(text: str, span: tuple[int, int], limit: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence into pieces <= limit, preferably after , ; :"""
    a, b = span
    pieces = []
    while b - a > limit:
        window = text[a : a + limit]
        cut = max(window.rfind(", "), window.rfind("; "), window.rfind(": "))
        if cut > 0:
            stop = a + cut + 1  # keep the punctuation with the left piece
        else:
            space = window.rfind(" ")
            stop = a + space if space > 0 else a + limit
        pieces.append((a, stop))
        a = stop
        while a < b and text[a] == " ":
            a += 1
    pieces.append((a, b))
    return pieces


def chunk_article(article: Article, chunk_chars: int = 500, overlap_sentences: int = 1) -> list[Chunk]:
    units: list[tuple[int, int]] = []
    for span in sentences(article.text):
        units.extend(_fit(article.text, span, chunk_chars))

    header = article.header()
    groups: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for unit in units:
        if current and unit[1] - current[0][0] > chunk_chars:
            groups.append(current)
            keep = current[-overlap_sentences:] if overlap_sentences else []
            # Overlap only while it leaves room for the new sentence.
            while keep and unit[1] - keep[0][0] > chunk_chars:
                keep = keep[1:]
            current = list(keep)
        current.append(unit)
    if current:
        groups.append(current)

    chunks = []
    for n, group in enumerate(groups):
        start, end = group[0][0], group[-1][1]
        chunks.append(Chunk(f"{article.id}:{n}", article.id, n, start, end, article.text[start:end], header))
    return chunks
