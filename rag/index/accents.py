"""Unaccented question -> accented question, learned from the archive itself.

In: the texts of the indexed chunks (``fit``), then a question typed without
diacritics (``restore``). Out: the question with each run of words replaced
by its most frequent accented spelling in the archive, longest runs first
(3, 2, then 1 word), so "lang son co bao nhieu du an fdi" becomes
"Lạng Sơn có bao nhiêu dự án fdi". Words the archive does not know stay as
typed. Helps the dense model and the word segmenter, which both expect
accented Vietnamese. The table is saved with the index as an SQLite file and
looked up in place: opening it costs nothing, where parsing its ~740,000
entries (seeds + dev archive) into a dict took 0.7 s of a cold question.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable

from rag.errors import IndexDamaged
from rag.text.vietnamese import fold

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
        """Write the table as an SQLite file at ``path`` (replaced if present)."""
        path.unlink(missing_ok=True)
        db = sqlite3.connect(path)
        try:
            db.execute("CREATE TABLE accents (folded TEXT PRIMARY KEY, accented TEXT NOT NULL) WITHOUT ROWID")
            db.executemany("INSERT INTO accents VALUES (?, ?)", sorted(self.table.items()))
            db.commit()
        finally:
            db.close()

    @classmethod
    def load(cls, path: Path, max_n: int = 3) -> "AccentRestorer":
        """The table ``save`` wrote, looked up in place: the archive is not read again."""
        restorer = cls(max_n)
        restorer.table = _SqliteTable(path)
        return restorer

    def restore(self, text: str) -> str:
        matches = list(_WORD.finditer(text))
        out, last, i = [], 0, 0
        while i < len(matches):
            for n in range(min(self.max_n, len(matches) - i), 0, -1):
                span = matches[i : i + n]
                typed = text[span[0].start() : span[-1].end()]
                accented = self.table.get(fold(" ".join(m.group() for m in span))) if typed.count(" ") == n - 1 else None
                if accented is not None:
                    out.append(text[last : span[0].start()])
                    out.append(self._case_like(accented, typed))
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


class _SqliteTable:
    """``get(folded)`` on the saved table, read-only, shared by threads. A
    missing or damaged file is ``IndexDamaged`` (``rag index`` rebuilds it)."""

    def __init__(self, path: Path):
        self._path = path
        self._lock = threading.Lock()
        if not path.is_file():
            raise self._damaged("missing")
        self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        self.get("")  # reads the schema: a file that is not this table fails here

    def _damaged(self, what: str) -> IndexDamaged:
        return IndexDamaged.at(self._path.parent, f"{self._path.name} {what}")

    def get(self, folded: str) -> str | None:
        try:
            with self._lock:
                row = self._db.execute("SELECT accented FROM accents WHERE folded = ?", (folded,)).fetchone()
        except sqlite3.Error as exc:
            raise self._damaged(f"unreadable: {exc}") from None
        return row[0] if row else None

    def items(self) -> list[tuple[str, str]]:
        """Every (folded, accented) pair, in key order."""
        with self._lock:
            return self._db.execute("SELECT folded, accented FROM accents ORDER BY folded").fetchall()
