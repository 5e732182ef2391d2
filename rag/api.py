"""The one Python API that the CLI, the UI and the eval harness call.

In: ``Settings`` (and optionally an embedder or chat model, for tests). Out:
``index()`` -> ``IndexReport``; ``ask(question, mode=...)`` -> ``Answer``
(``ask_stream`` yields generated text first); ``check(claim)`` ->
``ClaimCheck`` and ``check_text(draft)`` -> one per sentence; ``add_article`` /
``delete_article`` change the corpus and re-index incrementally. Models and
the index are loaded once, lazily; a missing index is built on first use
(``auto_index=True``) or explained with ``IndexMissing``. Retrieval and the
extractive answer always run; ``generate`` then turns the answer into a
verified generated one when the mode asks for it.

    >>> rag = RAG(Settings())
    >>> rag.ask("Lạng Sơn có bao nhiêu dự án FDI?").answer
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Iterator, Sequence

from rag import modes
from rag.answer.extractive import Candidate, ExtractiveAnswerer
from rag.answer.generate import LLMAnswerer, passages_of, without_model
from rag.answer.queue import GenerationQueue
from rag.answer.reader import Reader
from rag.answer.verify import verify
from rag.check import entail
from rag.check.claims import facts, read_claim, topic_of
from rag.check.verdict import CHECK_RULES, CheckRules, Evidence, verdict
from rag.errors import IndexMissing
from rag.filters import Filters
from rag.index.files.store import damage, read_manifest
from rag.index.indexer import Engine, IndexReport, update_index
from rag.index.open import index_exists, open_search
from rag.ingest.corpus import load_corpus
from rag.ingest.uploads import Added, add_article, delete_article
from rag.models import llm
from rag.models.embedder import Embedder, make_embedder
from rag.retrieve.followup import rewrite
from rag.retrieve.query import check_history, check_k, check_question, detect_language, parse_query, without_provinces
from rag.retrieve.statement import as_question
from rag.retrieve.retrieval import Retriever
from rag.schema import Answer, Article, ClaimCheck, Hit, Verdict
from rag.settings import Settings
from rag.text.figures import checkable, figures
from rag.text.lang import EXPLANATIONS, MODE_REASONS
from rag.text.sentences import sentences
from rag.text.vietnamese import normalize_text

TRUNCATION_NOTICE = "Câu hỏi quá dài nên đã được cắt còn {n} ký tự."
BUSY_NOTICE = ("Máy chủ đang bận (câu trả lời viết lại cần khoảng {expected:.1f} s, quá {budget:g} s cho phép): "
               "trả lời bằng trích dẫn nguyên văn.")
STATEMENT_NOTICE = {  # a statement asked as a question (``statement.as_question``)
    "vi": "Đây là một nhận định, không phải câu hỏi: đã tìm “{question}”. Để kiểm chứng nhận định, dùng rag check "
          "(thẻ Kiểm chứng).",
    "en": "This is a statement, not a question: searched “{question}”. To fact-check it, use rag check "
          "(the Kiểm chứng tab).",
}
UNTRUSTED_NOTICE = "Bỏ qua {ids}: bài có câu ra lệnh cho hệ thống (nội dung bài viết là dữ liệu, không phải chỉ dẫn)."


class RAG:
    def __init__(
        self,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        auto_index: bool = True,
        chat_model=None,
    ):
        """``embedder`` and ``chat_model`` (a LangChain chat model) replace the
        configured ones, e.g. with fakes in tests."""
        self.settings = settings or Settings()
        self._embedder = embedder
        self._given_embedder = embedder  # what index workers get a copy of; else they build their own
        self.auto_index = auto_index
        self._retriever: Retriever | None = None
        self.answerer = ExtractiveAnswerer(max_hits=self.settings.answer_hits)
        self._entail: Reader | None = None  # the reader's entailment head, for claims (``Settings.entail``)
        self._lock = threading.RLock()  # one index swap or question at a time (UI threads)
        self._llm: LLMAnswerer | None = LLMAnswerer(chat_model) if chat_model is not None else None
        # the local model generates one answer at a time, behind a bounded queue
        self._generation = GenerationQueue(self.settings.llm_first_guess_s)
        self._in_flight = 0  # questions being answered now (they share the cores with generation)
        self._counter = threading.Lock()

    # ---------------------------------------------------------------- parts
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        return self._embedder

    def index(self, rebuild: bool = False, progress: bool = False, engine: Engine | None = None) -> IndexReport:
        """``engine``: where reading and embedding run (default: here; ``ray_ingest.RayEngine``: Ray
        workers, which build the configured embedder themselves or get a copy of one given to ``RAG``)."""
        with self._lock:
            factory = getattr(engine, "embedder_factory", None)
            make = factory(self.settings, self._given_embedder) if factory else (lambda: self.embedder)
            report = update_index(self.settings, make, rebuild=rebuild, progress=progress, engine=engine)
            if report.wrote:
                self._retriever = None  # reload on next question
            return report

    def load(self) -> Retriever:
        with self._lock:
            return self._load()

    def _load(self) -> Retriever:
        if self._retriever is None:
            if not index_exists(self.settings):
                if not self.auto_index:
                    raise IndexMissing.at(self.settings.index_dir)
                self.index()
            self._retriever = Retriever(open_search(self.settings), self.embedder, self.settings)
            if self.settings.reader != "off" and self.answerer.reader is None:  # exported on first use, before a question
                reader = Reader(self.settings)
                second = self.settings.reader == "second"  # read only when the scorer refuses: opened then
                self.answerer.reader = reader.export() if second else reader.load()
                self.answerer.second = self.settings.reader_second_threshold if second else None
        return self._retriever

    def articles(self) -> list[tuple[Article, int]]:
        """The indexed articles with their chunk counts."""
        backend = self.load().backend
        counts = backend.chunk_counts()
        return [(a, counts[a.id]) for a in backend.articles.values()]

    def add_article(self, data: bytes, filename: str = "", **meta: str) -> tuple[Added, IndexReport]:
        """Save an uploaded/pasted article into the corpus and index it incrementally."""
        with self._lock:
            limit = self.settings.max_file_bytes
            existing = load_corpus(self.settings.corpus_dir, max_bytes=limit).articles
            added = add_article(self.settings.corpus_dir, data, existing, filename, **meta, max_bytes=limit)
            return added, self.index()

    def delete_article(self, article_id: str) -> IndexReport:
        with self._lock:
            delete_article(self.settings.corpus_dir, article_id)
            return self.index()

    def status(self, full: bool = True) -> dict:
        """The live index: counts, model, build time, and ``damage`` (what is
        missing or differs from the sizes and sha256 in its manifest; [] when
        sound). ``full=False`` compares sizes only, skipping the hashing."""
        if not index_exists(self.settings):
            return {"index": None}
        if self.settings.backend == "milvus":
            from rag.index.milvus import milvus_status

            return milvus_status(self.settings, full)
        manifest = read_manifest(self.settings.index_dir) or {}
        counts = manifest.get("counts") or {}
        return {
            "index": str(self.settings.index_dir),
            "articles": counts.get("articles"),
            "chunks": counts.get("chunks"),
            "model": manifest.get("model"),
            "built_at": manifest.get("built_at"),
            "damage": list(damage(self.settings.index_dir, full).values()),
        }

    # ------------------------------------------------------------ questions
    def _parse(self, question: str):
        backend = self._load().backend
        # the accent table is read only for a question typed without diacritics
        return parse_query(question, self.settings.max_question_chars, lambda text: backend.restorer().restore(text))

    def ask(self, question: str, mode: str | None = None, **options) -> Answer:
        """Answer ``question`` from the archive, citing the passages used.
        ``mode``: a question mode of ``modes.MODES`` (default: ``settings.answer_mode``).
        Other options as for ``ask_with_hits``: k, province, date_from, date_to, include_undated, origins, fusion,
        history."""
        *_, final = self.ask_stream(question, mode, **options)
        return final

    def ask_stream(self, question: str, mode: str | None = None, **options) -> Iterator[str | Answer]:
        """Like ``ask``, yielding generated text pieces first, then the final ``Answer``."""
        with self._counter:
            self._in_flight += 1
        try:
            answer, _ = self.ask_with_hits(question, **options)
            yield from self.generate(answer, mode)
        finally:
            with self._counter:
                self._in_flight -= 1

    def generate(self, answer: Answer, mode: str | None = None) -> Iterator[str | Answer]:
        """Turn an extractive answer into a verified generated one, per ``mode``."""
        chosen = modes.get(mode or self.settings.answer_mode)
        if not chosen.uses_llm:
            yield answer
            return
        if chosen.name == "auto" and not self.llm_available():
            yield replace(answer, mode_reason=MODE_REASONS[answer.language]["not_installed"].format(hint=llm.INSTALL_HINT))
            return
        model = self.load_llm()  # in llm mode: LLMUnavailable, saying how to install it
        final = without_model(answer)
        if final is not None:  # nothing for the model to phrase: no turn taken
            yield final
            return
        auto = chosen.name == "auto"
        budget = self.settings.llm_budget_s if auto else None
        with self._generation.turn(budget, others=max(0, self._in_flight - 1)) as turn:
            if not turn.granted:
                note = BUSY_NOTICE.format(expected=turn.expected_s, budget=budget)
                yield replace(answer, mode_reason=note, notices=answer.notices + (note,))
                return
            deadline = time.perf_counter() + self.settings.llm_max_s if auto else None
            yield from model.stream(answer, answer.language, deadline)

    def load_llm(self) -> LLMAnswerer:
        """The generative model, loaded once (``LLMUnavailable`` with an install hint if missing)."""
        if self._llm is None:
            self._llm = LLMAnswerer(llm.make_chat_model(self.settings))
        return self._llm

    def llm_available(self) -> bool:
        return self._llm is not None or llm.available(self.settings)

    def ask_with_hits(
        self,
        question: str,
        k: int | None = None,
        province: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        fusion: str | None = None,
        history: Sequence[str] = (),
        include_undated: bool = True,
        origins: Sequence[str] = (),
    ) -> tuple[Answer, list[Hit]]:
        """``ask`` plus the ranked passages it looked at (for evaluation and the UI).

        ``history``: the conversation's earlier standalone questions; a
        follow-up such as "Còn Lào Cai thì sao?" is rewritten against them.
        ``date_from``/``date_to`` (YYYY-MM-DD) keep undated articles unless
        ``include_undated`` is False. ``origins``: keep only articles from
        these sources ("corpus", "archive", "upload"). The answer is extractive in every mode until
        ``generate``. Bad input raises ``BadQuestion``."""
        check_question(question)
        check_k(k)
        check_history(history)
        filters = Filters.parse(province, date_from, date_to, include_undated, origins)
        standalone = rewrite(question, history).standalone
        restated = as_question(standalone, detect_language(standalone))
        with self._lock:
            answer, hits = self._ask(question, restated or standalone, filters, k, fusion)
        if restated:
            notice = STATEMENT_NOTICE[answer.language].format(question=restated)
            answer = replace(answer, notices=(notice, *answer.notices))
        return answer, hits

    def _retrieve(self, standalone: str, filters: Filters, k: int, fusion: str | None):
        """Parse and search: (query, hits)."""
        retriever = self._load()
        query = self._parse(standalone)
        depth = max(k, self.answerer.max_hits)
        if len(query.provinces) > 1:  # a comparison: one search per province, interleaved
            lists = [
                retriever.search(self._parse(without_provinces(query.original, p)), depth, filters, fusion)
                for p in query.provinces
            ]
            return query, _interleave(lists)
        return query, retriever.search(query, k=depth, filters=filters, fusion=fusion)

    def candidates(self, question: str) -> list[Candidate]:
        """Every candidate sentence for ``question`` with its signals and
        probability, best first (for fitting the scorer and for debugging)."""
        check_question(question)
        with self._lock:
            query, hits = self._retrieve(question, Filters(), self.settings.k, None)
            return self.answerer.candidates(query, hits, self._retriever.idf)

    # --------------------------------------------------------------- claims
    def check(self, claim: str, k: int | None = None) -> ClaimCheck:
        """Fact-check one claim against the archive: supported, refuted, nei
        (not enough information) or conflicting, citing the evidence."""
        t0 = time.perf_counter()
        evidence = self.claim_evidence(claim, k)
        t1 = time.perf_counter()
        result = verdict(evidence, CHECK_RULES)
        t2 = time.perf_counter()
        timings = {"read_ms": round((t1 - t0) * 1000, 2), "check_ms": round((t2 - t1) * 1000, 2),
                   "total_ms": round((t2 - t0) * 1000, 2)}
        return replace(result, claim=claim, timings=timings)

    def claim_evidence(self, claim: str, k: int | None = None, rules: CheckRules = CHECK_RULES) -> Evidence:
        """What ``verdict`` reads for ``claim``: the parsed claim, its candidate sentences, and the
        entailment head's readings of the first ``rules.read`` of them, for the claim and for each fact
        of a long claim, and (when ``rules.pair_support`` is on) of pairs of them from one article read as
        one (none when the head is off: ``Settings.entail``)."""
        check_question(claim)
        check_k(k)
        with self._lock:
            retriever = self._load()
            query, hits = self._retrieve(claim, Filters(), k or self.settings.k, None)
            found = figures(query.original)
            parsed = read_claim(query, found, self._parse(topic_of(query.original, found)))
            cands = self.answerer.candidates(parsed.topic, hits, retriever.idf)
            head = self.entail_reader()
            if head is None:
                return Evidence(parsed, cands, retriever.idf)
            read = cands[: rules.read]
            parts = facts(query.original)
            return Evidence(parsed, cands, retriever.idf, entail.read(head, query.original, read),
                            tuple((f, entail.read(head, f, read)) for f in parts) if len(parts) > 1 else (),
                            entail.read_pairs(head, query.original, read, rules.pair_read)
                            if rules.pair_support <= 1.0 else ())

    def entail_reader(self) -> Reader | None:
        """The reader's entailment head, exported on first use; None when it is off."""
        if self.settings.entail and self._entail is None:
            self._entail = Reader(self.settings, task="entail").load()
        return self._entail

    def check_text(self, draft: str) -> list[ClaimCheck]:
        """Fact-check a draft sentence by sentence; a sentence that states
        nothing checkable (an opinion, a question, a greeting) is returned as
        ``not_checkable``."""
        check_question(draft)
        text = normalize_text(draft)
        out = []
        for start, end in sentences(text):
            sentence = text[start:end]
            if checkable(sentence):
                out.append(self.check(sentence))
            else:
                lang = detect_language(sentence)
                out.append(ClaimCheck(sentence, Verdict.NOT_CHECKABLE, EXPLANATIONS[lang]["not_checkable"], language=lang))
        return out

    def _ask(self, question, standalone, filters, k, fusion) -> tuple[Answer, list[Hit]]:
        t_load = time.perf_counter()
        retriever = self._load()
        t0 = time.perf_counter()
        k = k or self.settings.k
        query, hits = self._retrieve(standalone, filters, k, fusion)
        t2 = time.perf_counter()
        answer = self.answerer.answer(query, hits, retriever.idf)
        t3 = time.perf_counter()
        notices = (TRUNCATION_NOTICE.format(n=len(query.original)),) if query.truncated else ()
        untrusted = self.answerer.untrusted(query, hits)
        if untrusted:
            notices += (UNTRUSTED_NOTICE.format(ids=", ".join(untrusted)),)
        timings = {
            "load_ms": round((t0 - t_load) * 1000, 2),
            "retrieve_ms": round((t2 - t0) * 1000, 2),
            "answer_ms": round((t3 - t2) * 1000, 2),
            "total_ms": round((t3 - t0) * 1000, 2),
        }
        ungrounded = verify(answer.answer, passages_of(answer.citations)).ungrounded_numbers if answer.answerable else ()
        answer = replace(answer, question=question, standalone=standalone, notices=notices, timings=timings,
                         ungrounded=tuple(ungrounded))
        return answer, hits[:k]


def _interleave(lists: list[list[Hit]]) -> list[Hit]:
    seen, out = set(), []
    for group in zip(*lists):
        for hit in group:
            if hit.chunk.id not in seen:
                seen.add(hit.chunk.id)
                out.append(hit)
    return out
