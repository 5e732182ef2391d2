"""Text -> lexical tokens, and a persistent BM25 index over them.

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

import re
from pathlib import Path
from typing import Sequence

import numpy as np

from rag.text.segmenter import segment
from rag.text.vietnamese import fold, has_diacritics

_TOKEN = re.compile(r"\w+", re.UNICODE)
PARAMS = "params.index.json"  # written by bm25s.BM25.save


def _segment(text: str) -> list[str]:
    return [t for t in segment(text).lower().split() if _TOKEN.fullmatch(t.replace("_", "a"))]


def tokenize(text: str, segment: bool = True) -> list[str]:
    syllables = _TOKEN.findall(fold(text))
    tokens = [f"f:{s}" for s in syllables]
    tokens += [f"b:{a}_{b}" for a, b in zip(syllables, syllables[1:])]
    if segment and has_diacritics(text):
        tokens += [f"w:{w}" for w in _segment(text)]
    return tokens


def _bm25s():
    """The bm25s module, its logger quieted (bm25s sets it to DEBUG, which would
    print "Building index from IDs" through the CLI's log handler)."""
    import logging

    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


class LexicalIndex:
    """Okapi BM25 (Lucene variant, ``bm25s``) over pre-tokenised rows: built
    once as a sparse token x row matrix of precomputed scores, saved beside
    the other index files and loaded memory-mapped, so a process start
    re-tokenises nothing. Scores are those of the textbook formula
    idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg))."""

    def __init__(self, model, n: int, k1: float):
        self.model = model  # a bm25s.BM25, or None for an empty index
        self.n = n
        self.k1 = k1
        self._idf: np.ndarray | None = None

    @classmethod
    def build(cls, rows: Sequence[Sequence[str]], k1: float, b: float) -> "LexicalIndex":
        if not rows:
            return cls(None, 0, k1)
        bm25s = _bm25s()

        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in row] for row in rows]
        model = bm25s.BM25(k1=k1, b=b, method="lucene")
        model.index((ids, vocab), show_progress=False)
        return cls(model, len(rows), k1)

    @classmethod
    def load(cls, folder: Path, k1: float) -> "LexicalIndex":
        if not (folder / PARAMS).exists():
            return cls(None, 0, k1)
        bm25s = _bm25s()

        model = bm25s.BM25.load(str(folder), mmap=True)
        return cls(model, int(model.scores["num_docs"]), k1)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.model is not None:
            self.model.save(str(folder), show_progress=False)

    def __len__(self) -> int:
        return self.n

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row (0 where no query token occurs)."""
        if self.model is None:
            return np.zeros(self.n, dtype=np.float32)
        ids = self.model.get_tokens_ids(sorted(set(query_tokens)))
        if not ids:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self.model.get_scores_from_ids(ids), dtype=np.float32) * (self.k1 + 1)

    def idf(self, token: str) -> float | None:
        """Inverse document frequency of ``token``; None when no row has it."""
        if self.model is None or token not in self.model.vocab_dict:
            return None
        return float(self.idfs[self.model.vocab_dict[token]])

    @property
    def idfs(self) -> np.ndarray:
        if self._idf is None:
            indptr = np.asarray(self.model.scores["indptr"])
            df = np.diff(indptr).astype(np.float64)
            self._idf = np.log1p((self.n - df + 0.5) / (df + 0.5))
        return self._idf

    def max_idf(self) -> float:
        return float(self.idfs.max()) if self.model is not None and self.idfs.size else 1.0
