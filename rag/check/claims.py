"""A claim's text, parsed -> ``Claim``: what the checker compares with the archive.

In: the claim parsed as a question (``Query``), its figures (``figures``) and
its topic (the claim without its figures and their scale words, ``topic_of``)
parsed the same way, so that "30 dự án" and "28 dự án" are one topic. Out: a
``Claim`` with its figures, dates, direction and names read once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from rag.retrieve.query import Concept, Query
from rag.text.figures import Figure, dates, direction, event_dated, names, replace_figures
from rag.text.lang import CLAUSE_BREAKS, FACT_BREAKS
from rag.text.vietnamese import fold, words


@dataclass(frozen=True)
class Claim:
    """A claim as searched (``query``) and as a topic without its figures."""

    text: str
    query: Query
    topic: Query
    figures: tuple[Figure, ...]
    dates: frozenset[str]
    direction: str
    event_dated: bool = False  # its date is an event's ("sinh năm 1974"), not a statistic's period
    names: tuple[str, ...] = ()  # its capitalised names (``claims.names``)


def topic_of(text: str, found: Sequence[Figure]) -> str:
    """``text`` without its figures and their scale words: the claim's topic."""
    return replace_figures(text, found, "")


def clause_words(text: str, figure: Figure) -> frozenset[str]:
    """The folded words of the clause of ``text`` that holds ``figure`` (clauses
    part at ``CLAUSE_BREAKS``: "với tổng vốn đăng ký hơn 228 triệu USD")."""
    folded = fold(text)  # one character for one: offsets hold
    starts = [0] + [m.end() for m in CLAUSE_BREAKS.finditer(folded) if m.end() <= figure.start]
    ends = [m.start() for m in CLAUSE_BREAKS.finditer(folded) if m.start() >= figure.end] + [len(folded)]
    return frozenset(words(folded[starts[-1] : ends[0]]))


def facts(text: str, min_words: int = 5) -> list[str]:
    """The facts of a long claim, each checked on its own: its parts at ``FACT_BREAKS`` ("…, trong đó
    tiền đạo Jan Koller ghi 2 bàn"), a part of fewer than ``min_words`` words joined to its neighbour;
    one part for a claim of one fact."""
    cuts = [(m.start(), m.end()) for m in FACT_BREAKS.finditer(text.lower())]
    spans = [(a, b) for a, b in zip([0] + [e for _, e in cuts], [s for s, _ in cuts] + [len(text)])]
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and (len(text[start:end].split()) < min_words or len(text[slice(*merged[-1])].split()) < min_words):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return [text[a:b].strip(" ,;.") for a, b in merged]


def read_claim(query: Query, found: Sequence[Figure], topic: Query) -> Claim:
    """The claim of a parsed ``query``, given its figures (``figures``) and its
    topic parsed the same way (``topic_of``)."""
    named = tuple(names(query.original))
    return Claim(query.original, query, _short_names(topic, named), tuple(found), frozenset(dates(query.original)),
                 direction(query.original), event_dated(query.original), named)


def _short_names(topic: Query, named: tuple[str, ...]) -> Query:
    """``topic`` where each earlier word of a foreign name is also met by its
    last one: an article names "Zinedine Zidane" once and "Zidane" after. (A
    Vietnamese name's last word is a given name, often a common word too.)"""
    concepts = list(topic.concepts)
    for name in named:
        parts = words(name)
        if len(parts) >= 2 and name.isascii():
            concepts = [Concept(c.alternatives + (parts[-1],), c.label) if c.alternatives[0] in parts[:-1] else c
                        for c in concepts]
    return replace(topic, concepts=tuple(concepts))
