"""The one Python API that the CLI, the UI and the eval harness call.

In: ``Settings`` (and optionally an embedder, for tests). Out: ``index()`` ->
``IndexReport``; ``ask(question)`` -> ``Answer``. Models and the index are
loaded once, lazily, on the first question; a missing index is built on first
use (``auto_index=True``) or explained with ``IndexMissing``.

    >>> rag = RAG(Settings())
    >>> rag.ask("Lạng Sơn có bao nhiêu dự án FDI?").answer
"""

from __future__ import annotations

import time
from dataclasses import replace

from .accents import AccentRestorer
from .answer import ExtractiveAnswerer
from .embedder import E5Embedder, Embedder
from .errors import BadQuestion, IndexMissing
from .indexer import IndexReport, update_index
from .query import parse_query
from .retrieval import Filters, Retriever
from .schema import Answer
from .settings import Settings
from .store import dense_index, live_generation, read_index, read_manifest
from .vietnamese import canonical_province

TRUNCATION_NOTICE = "Câu hỏi quá dài nên đã được cắt còn {n} ký tự."


class RAG:
    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None, auto_index: bool = True):
        self.settings = settings or Settings()
        self._embedder = embedder
        self.auto_index = auto_index
        self._retriever: Retriever | None = None
        self._restorer: AccentRestorer | None = None
        self.answerer = ExtractiveAnswerer()

    # ---------------------------------------------------------------- parts
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = E5Embedder(self.settings)
        return self._embedder

    def index(self, rebuild: bool = False, progress: bool = False) -> IndexReport:
        report = update_index(self.settings, lambda: self.embedder, rebuild=rebuild, progress=progress)
        if report.wrote:
            self._retriever = None  # reload on next question
        return report

    def load(self) -> Retriever:
        if self._retriever is None:
            if live_generation(self.settings.index_dir) is None:
                if not self.auto_index:
                    raise IndexMissing(f"No index in {self.settings.index_dir}. Build it with: rag index")
                self.index()
            data = read_index(self.settings.index_dir, self.settings)
            self._retriever = Retriever(data, dense_index(self.settings.index_dir), self.embedder, self.settings)
            self._restorer = AccentRestorer().fit(c.text for c in data.chunks)
        return self._retriever

    def status(self) -> dict:
        manifest = read_manifest(self.settings.index_dir)
        if manifest is None:
            return {"index": None}
        return {
            "index": str(self.settings.index_dir),
            "articles": manifest["counts"]["articles"],
            "chunks": manifest["counts"]["chunks"],
            "model": manifest["model"],
            "built_at": manifest["built_at"],
        }

    # ------------------------------------------------------------ questions
    def ask(
        self,
        question: str,
        k: int | None = None,
        province: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> Answer:
        t0 = time.perf_counter()
        retriever = self.load()
        query = parse_query(question, self.settings.max_question_chars, self._restorer.restore)
        t1 = time.perf_counter()
        filters = Filters(_province(province), date_from or None, date_to or None)
        hits = retriever.search(query, k=max(k or self.settings.k, self.answerer.max_hits), filters=filters)
        t2 = time.perf_counter()
        answer = self.answerer.answer(query, hits)
        t3 = time.perf_counter()
        notices = (TRUNCATION_NOTICE.format(n=len(query.original)),) if query.truncated else ()
        timings = {
            "parse_ms": round((t1 - t0) * 1000, 2),
            "retrieve_ms": round((t2 - t1) * 1000, 2),
            "answer_ms": round((t3 - t2) * 1000, 2),
            "total_ms": round((t3 - t0) * 1000, 2),
        }
        return replace(answer, notices=notices, timings=timings)


def _province(name: str | None) -> str | None:
    if not name:
        return None
    canonical = canonical_province(name)
    if canonical is None:
        raise BadQuestion(f"Unknown province {name!r}. Use a Vietnamese province name, e.g. 'Lạng Sơn'.")
    return canonical
