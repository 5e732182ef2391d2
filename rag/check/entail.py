"""Candidate sentences of a claim -> the entailment head's ``Reading`` of each.

In: the claim's text and the sentences the checker reads (``Candidate``), and
the reader's "entail" task (``answer.reader.Reader``). Out: one ``Reading``
per sentence (entails / contradicts / unrelated probabilities), in their
order, for ``verdict`` to weigh with its rules. The head reads each sentence
with its article's title and the sentence before it, as it was trained; and
(``read_pairs``) two read sentences of one article as one passage, for a
claim that joins what they say.
"""

from __future__ import annotations

from typing import Sequence

from rag.answer.extractive import Candidate
from rag.answer.reader import Passage, Reader
from rag.schema import PairReading, Reading
from rag.text.sentences import previous_sentence


def _passage(first: Candidate, second: Candidate | None = None) -> Passage:
    """One sentence, or two of one article joined in its order, with the (first one's) title and previous sentence."""
    a, b = sorted((first, second), key=lambda c: c.start) if second is not None else (first, None)
    text = f"{a.text} {b.text}" if b is not None else a.text
    return Passage(text, a.hit.article.title, previous_sentence(a.hit.article.text, a.start))


def _readings(reader: Reader, claim: str, passages: list[Passage]) -> list[Reading]:
    labels = reader.config["labels"]
    rows = reader.probabilities(claim, passages) if passages else ()
    return [Reading(**{label: float(p) for label, p in zip(labels, row)}) for row in rows]


def read(reader: Reader, claim: str, cands: Sequence[Candidate]) -> tuple[Reading, ...]:
    """The head's reading of each candidate sentence for ``claim``, in one forward pass."""
    return tuple(_readings(reader, claim, [_passage(c) for c in cands]))


def read_pairs(reader: Reader, claim: str, cands: Sequence[Candidate], limit: int) -> tuple[PairReading, ...]:
    """The head's reading of up to ``limit`` pairs of ``cands`` from one article (the lowest sum of their
    ranks first), each pair's sentences joined in the article's order, with the first one's context."""
    pairs = sorted(((i, j) for j in range(len(cands)) for i in range(j)
                    if cands[i].hit.article.id == cands[j].hit.article.id
                    and (cands[i].end <= cands[j].start or cands[j].end <= cands[i].start)),
                   key=lambda p: (p[0] + p[1], p[1]))[:limit]
    readings = _readings(reader, claim, [_passage(cands[i], cands[j]) for i, j in pairs])
    return tuple(PairReading(i, j, r) for (i, j), r in zip(pairs, readings))
