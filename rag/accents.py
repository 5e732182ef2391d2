"""Unaccented question -> accented question, learned from the archive itself.

In: the texts of the indexed chunks (``fit``), then a question typed without
diacritics (``restore``). Out: the question with each run of words replaced
by its most frequent accented spelling in the archive, longest runs first
(3, 2, then 1 word), so "lang son co bao nhieu du an fdi" becomes
"Lạng Sơn có bao nhiêu dự án fdi". Words the archive does not know stay as
typed. Helps the dense model and the word segmenter, which both expect
accented Vietnamese. The table is saved with the index and loaded from it.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable

from .vietnamese import fold

_WORD = re.compile(r"\w+", re.UNICODE)
# Question words rarely found in news text.
_BASE = ["bao nhiêu", "là ai", "khi nào", "năm nào", "những", "gì", "có", "của", "tỉnh", "được", "nhiều",
         "hơn", "dân số", "thì sao", "ở đâu", "như thế nào", "mấy", "bao giờ", "nào", "tổng cộng", "hiện nay"]


class AccentRestorer:
    def __init__(self, max_n: int = 3):
        self.max_n = max_n
        self.table: dict[str, str] = {}

    def fit(self, texts: Iterable[str]) -> "AccentRestorer":
        counts: dict[str, Counter] = defaultdict(Counter)
        weighted = [(t, 1) for t in texts] + [(t, 1000) for t in _BASE]  # question words win
        for text, weight in weighted:
            toks = _WORD.findall(text.lower())
            for n in range(1, self.max_n + 1):
                for i in range(len(toks) - n + 1):
                    gram = " ".join(toks[i : i + n])
                    counts[fold(gram)][gram] += weight
        self.table = {k: c.most_common(1)[0][0] for k, c in counts.items()}
        return self

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.table, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, max_n: int = 3) -> "AccentRestorer":
        """The table ``save`` wrote: the archive is not read again."""
        restorer = cls(max_n)
        restorer.table = json.loads(path.read_text(encoding="utf-8"))
        return restorer

    def restore(self, text: str) -> str:
        matches = list(_WORD.finditer(text))
        out, last, i = [], 0, 0
        while i < len(matches):
            for n in range(min(self.max_n, len(matches) - i), 0, -1):
                span = matches[i : i + n]
                key = fold(" ".join(m.group() for m in span))
                if key in self.table and text[span[0].start() : span[-1].end()].count(" ") == n - 1:
                    out.append(text[last : span[0].start()])
                    out.append(self._case_like(self.table[key], text[span[0].start() : span[-1].end()]))
                    last = span[-1].end()
                    i += n
                    break
            else:
                i += 1
        out.append(text[last:])
        return "".join(out)

    @staticmethod
    def _case_like(accented: str, typed: str) -> str:
        return "".join(a.upper() if t.isupper() else a for a, t in zip(accented, typed)) if len(accented) == len(typed) else accented
