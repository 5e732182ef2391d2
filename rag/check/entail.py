"""Candidate sentences of a claim -> the entailment head's ``Reading`` of each.

In: the claim's text and the sentences the checker reads (``Candidate``), and
the reader's "entail" task (``answer.reader.Reader``). Out: one ``Reading``
per sentence (entails / contradicts / unrelated probabilities), in their
order, for ``verdict`` to weigh with its rules. The head reads each sentence
with its article's title and the sentence before it, as it was trained.
"""

from __future__ import annotations

from typing import Sequence

from rag.answer.extractive import Candidate
from rag.answer.reader import Passage, Reader
from rag.schema import Reading
from rag.text.sentences import previous_sentence


def read(reader: Reader, claim: str, cands: Sequence[Candidate]) -> tuple[Reading, ...]:
    """The head's reading of each candidate sentence for ``claim``, in one forward pass."""
    passages = [Passage(c.text, c.hit.article.title, previous_sentence(c.hit.article.text, c.start)) for c in cands]
    labels = reader.config["labels"]
    return tuple(Reading(**{label: float(p) for label, p in zip(labels, row)})
                 for row in reader.probabilities(claim, passages))
