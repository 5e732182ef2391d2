"""Text -> lexical tokens, and a BM25 index over them.

In: chunk texts (with their header line) or a question. Out: BM25 scores per
row. Each text gives three kinds of tokens, so that one index serves both
accented and unaccented questions:

* ``w:`` pyvi-segmented words with diacritics (``w:dự_án``, ``w:vốn``),
* ``f:`` diacritics-folded syllables (``f:du``, ``f:an``),
* ``b:`` folded syllable bigrams (``b:lang_son``, ``b:du_an``) for phrases.

A question typed without accents only yields ``f:``/``b:`` tokens, which match
the folded field of every chunk.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Sequence

import numpy as np

from .vietnamese import fold, has_diacritics

_TOKEN = re.compile(r"\w+", re.UNICODE)


def _segment(text: str) -> list[str]:
    from pyvi import ViTokenizer

    return [t for t in ViTokenizer.tokenize(text).lower().split() if _TOKEN.fullmatch(t.replace("_", "a"))]


def tokenize(text: str, segment: bool = True) -> list[str]:
    syllables = _TOKEN.findall(fold(text))
    tokens = [f"f:{s}" for s in syllables]
    tokens += [f"b:{a}_{b}" for a, b in zip(syllables, syllables[1:])]
    if segment and has_diacritics(text):
        tokens += [f"w:{w}" for w in _segment(text)]
    return tokens


class BM25:
    """Okapi BM25 over pre-tokenised rows (inverted index, numpy scores)."""

    def __init__(self, rows: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.n = len(rows)
        self.lengths = np.array([len(r) for r in rows], dtype=np.float32)
        self.avg = float(self.lengths.mean()) if self.n else 0.0
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, row in enumerate(rows):
            for term, tf in Counter(row).items():
                postings[term].append((i, tf))
        self.postings = {
            t: (np.array([p[0] for p in ps]), np.array([p[1] for p in ps], dtype=np.float32))
            for t, ps in postings.items()
        }
        self.idf = {t: math.log(1 + (self.n - len(ps[0]) + 0.5) / (len(ps[0]) + 0.5)) for t, ps in self.postings.items()}

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        if not self.n:
            return out
        norm = self.k1 * (1 - self.b + self.b * self.lengths / self.avg)
        for term in set(query_tokens):
            if term not in self.postings:
                continue
            rows, tf = self.postings[term]
            out[rows] += self.idf[term] * tf * (self.k1 + 1) / (tf + norm[rows])
        return out
