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


def read(reader: Reader, claim: str, cands: Sequence[Candidate]) -> tuple[Reading, ...]:
    """The head's reading of each candidate sentence for ``claim``, in one forward pass."""
    passages = [Passage(c.text, c.hit.article.title, previous_sentence(c.hit.article.text, c.start)) for c in cands]
    labels = reader.config["labels"]
    return tuple(Reading(**{label: float(p) for label, p in zip(labels, row)})
                 for row in reader.probabilities(claim, passages))


def read_pairs(reader: Reader, claim: str, cands: Sequence[Candidate], limit: int) -> tuple[PairReading, ...]:
    """The head's reading of up to ``limit`` pairs of ``cands`` from one article (the most probable
    first), each pair's sentences joined in the article's order, with the first one's context."""
    pairs = sorted(((i, j) for j in range(len(cands)) for i in range(j)
                    if cands[i].hit.article.id == cands[j].hit.article.id
                    and (cands[i].end <= cands[j].start or cands[j].end <= cands[i].start)),
                   key=lambda p: (p[0] + p[1], p[1]))[:limit]
    passages = []
    for i, j in pairs:
        a, b = sorted((cands[i], cands[j]), key=lambda c: c.start)
        passages.append(Passage(f"{a.text} {b.text}", a.hit.article.title, previous_sentence(a.hit.article.text, a.start)))
    labels = reader.config["labels"]
    rows = reader.probabilities(claim, passages) if passages else ()
    return tuple(PairReading(i, j, Reading(**{label: float(p) for label, p in zip(labels, row)}))
                 for (i, j), row in zip(pairs, rows))
