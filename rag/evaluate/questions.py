"""Eval set -> metrics and reports.

In: ``eval/qa.jsonl`` (question, reference answer, required numbers and
names, gold article id, gold evidence sentence, type, answerable) and a
``RAG``. Out: an ``EvalResult`` and ``eval/report.md`` + ``eval/report.json``
with retrieval hit@1/hit@5/MRR against the gold evidence, answer accuracy,
citation accuracy, refusal accuracy, false-answer rate, latency p50/p95, a
per-type breakdown, the fusion comparison and the failures. The metric
functions at the top are pure and unit-tested.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from rag.errors import EnvironmentFault, EvalSetError
from rag.schema import Source
from rag.text.vietnamese import fold, number_values

Span = tuple[str, int, int]  # article_id, start, end


# ------------------------------------------------------------ pure metrics
def overlaps(a: Span, b: Span) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def first_rank(spans: Sequence[Span], gold: Sequence[Span]) -> int | None:
    """1-based rank of the first span overlapping any gold evidence span."""
    return next((i for i, s in enumerate(spans, 1) if any(overlaps(s, g) for g in gold)), None)


def hit_at(ranks: Sequence[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr(ranks: Sequence[int | None]) -> float:
    return sum(1.0 / r for r in ranks if r) / len(ranks) if ranks else 0.0


def has_number(text: str, value: float, rel_tol: float = 1e-6) -> bool:
    """True when ``text`` writes ``value`` in any Vietnamese or English notation."""
    return any(abs(v - value) <= rel_tol * max(1.0, abs(value)) for v in number_values(text))


def has_name(text: str, name: str) -> bool:
    return " ".join(fold(name).split()) in " ".join(fold(text).split())


def answer_correct(text: str, numbers: Iterable[float], names: Iterable[str]) -> bool:
    return all(has_number(text, n) for n in numbers) and all(has_name(text, n) for n in names)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


# ------------------------------------------------------------------ harness
@dataclass(frozen=True)
class Item:
    id: str
    type: str
    question: str
    answerable: bool
    reference_answer: str = ""
    required_numbers: tuple[float, ...] = ()
    required_names: tuple[str, ...] = ()
    gold_article_id: str = ""
    gold_evidence: tuple[str, ...] = ()  # any of these sentences is valid evidence
    history: tuple[str, ...] = ()  # earlier questions of a multi-turn case


@dataclass
class Outcome:
    item: Item
    answer: str
    standalone: str
    answered: bool
    rank: int | None
    correct: bool
    cited_gold: bool
    latency_ms: float
    cited: list[str] = field(default_factory=list)
    answer_mode: str = "extractive"
    mode_reason: str = ""
    ttft_ms: float | None = None
    ungrounded: list[str] = field(default_factory=list)
    misleading_short: bool = False  # a right sentence under a short answer whose figures are none of the required ones
    confidence: float = 0.0  # the answerer's probability that its best sentence answers


def misleading_short_answer(short: str, numbers: Iterable[float]) -> bool:
    """A short answer that gives figures, none of them a required one: the
    quoted sentence may hold the answer, but the headline states another
    figure ("năm 2010?" -> the 2009 figure)."""
    numbers = list(numbers)
    return bool(numbers and number_values(short)) and not any(has_number(short, n) for n in numbers)


@dataclass
class EvalResult:
    summary: dict
    by_type: dict
    fusion: dict
    outcomes: list[Outcome]
    settings: dict
    calibration: list[dict] = field(default_factory=list)


def read_jsonl(path: Path) -> list[tuple[int, dict]]:
    """(line number, object) for each non-blank line of a JSONL file;
    ``EvalSetError`` naming the file (and line) when it cannot be read, holds
    no line, or a line is not a JSON object."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvalSetError(f"eval set not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalSetError(f"cannot read eval set {path}: {exc}") from None
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{path}:{n}: not valid JSON ({exc.msg}, column {exc.colno})") from None
        if not isinstance(row, dict):
            raise EvalSetError(f"{path}:{n}: expected a JSON object, got {type(row).__name__}")
        rows.append((n, row))
    if not rows:
        raise EvalSetError(f"eval set {path} is empty")
    return rows


def field_of(path: Path, n: int, row: dict, name: str, kind: type = str):
    """``row[name]``, which must be present and of ``kind``; else ``EvalSetError`` naming file, line and field."""
    if name not in row:
        raise EvalSetError(f"{path}:{n}: missing field {name!r}")
    if not isinstance(row[name], kind):
        raise EvalSetError(f"{path}:{n}: field {name!r} must be {kind.__name__}, got {type(row[name]).__name__}")
    return row[name]


def load_items(path: Path) -> list[Item]:
    items = []
    for n, d in read_jsonl(path):
        try:
            items.append(Item(
                id=field_of(path, n, d, "id"), type=field_of(path, n, d, "type"),
                question=field_of(path, n, d, "question"), answerable=bool(field_of(path, n, d, "answerable", object)),
                reference_answer=d.get("reference_answer", ""),
                required_numbers=tuple(float(x) for x in d.get("required_numbers", [])),
                required_names=tuple(d.get("required_names", [])),
                gold_article_id=d.get("gold_article_id", ""),
                gold_evidence=tuple([ev] if isinstance(ev := d.get("gold_evidence", ""), str) else ev),
                history=tuple(d.get("history", [])),
            ))
        except EvalSetError:
            raise
        except (TypeError, ValueError) as exc:  # e.g. a required number that is no number
            raise EvalSetError(f"{path}:{n}: malformed item ({exc})") from None
    return items


def evidence_spans(item_id: str, article_id: str, evidence: Iterable[str], articles: dict) -> list[Span]:
    """Where each gold evidence sentence stands in its article; a sentence not
    found verbatim is an error in the eval set."""
    article = articles.get(article_id)
    if article is None:
        raise EvalSetError(f"{item_id}: gold article {article_id!r} is not in the index")
    spans = []
    for sentence in evidence:
        start = article.text.find(sentence)
        if start < 0:
            raise EvalSetError(f"{item_id}: gold evidence not found in {article_id}: {sentence!r}")
        spans.append((article.id, start, start + len(sentence)))
    return spans


def gold_spans(item: Item, articles: dict) -> list[Span]:
    if not item.answerable:
        return []
    return evidence_spans(item.id, item.gold_article_id, item.gold_evidence, articles)


def _run(rag, items: list[Item], fusion: str, progress: bool, mode: str = "extractive") -> list[Outcome]:
    from tqdm import tqdm

    articles = rag.load().backend.articles
    rag.ask("Lạng Sơn có bao nhiêu dự án FDI?", fusion=fusion, mode=mode)  # warm-up, not timed
    outcomes = []
    for item in tqdm(items, desc=f"eval ({fusion}, {mode})", disable=not progress, unit="q"):
        gold = gold_spans(item, articles)
        t0 = time.perf_counter()
        answer, hits = rag.ask_with_hits(item.question, fusion=fusion, history=item.history)
        *_, answer = rag.generate(answer, mode)
        latency = (time.perf_counter() - t0) * 1000
        spans = [(h.chunk.article_id, h.chunk.start, h.chunk.end) for h in hits]
        cited = [(c.article_id, c.start, c.end) for c in answer.citations]
        rank = first_rank(spans, gold) if gold else None
        correct = answer.answerable and answer_correct(answer.answer, item.required_numbers, item.required_names)
        outcomes.append(Outcome(
            item=item, answer=answer.answer, standalone=answer.standalone, answered=answer.answerable, rank=rank,
            correct=correct if item.answerable else not answer.answerable,
            cited_gold=first_rank(cited, gold) is not None,
            latency_ms=latency, cited=[c.chunk_id for c in answer.citations],
            answer_mode=answer.answer_mode, mode_reason=answer.mode_reason, ttft_ms=answer.timings.get("ttft_ms"),
            # numbers in the returned answer that its cited passages do not contain (must stay 0)
            ungrounded=list(answer.ungrounded),
            misleading_short=correct and misleading_short_answer(answer.short_answer, item.required_numbers),
            confidence=answer.confidence,
        ))
    return outcomes


def summarize(outcomes: list[Outcome]) -> dict:
    answerable = [o for o in outcomes if o.item.answerable]
    unanswerable = [o for o in outcomes if not o.item.answerable]
    ranks = [o.rank for o in answerable]
    latencies = [o.latency_ms for o in outcomes]
    n_ans = len(answerable) or 1
    out = {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "hit@1": round(hit_at(ranks, 1), 4),
        "hit@5": round(hit_at(ranks, 5), 4),
        "mrr": round(mrr(ranks), 4),
        "answer_accuracy": round(sum(o.correct for o in answerable) / n_ans, 4),
        # right sentence and a short answer that states a required figure (or no figure)
        "strict_answer_accuracy": round(sum(o.correct and not o.misleading_short for o in answerable) / n_ans, 4),
        "citation_accuracy": round(sum(o.cited_gold for o in answerable) / n_ans, 4),
        "refusal_accuracy": round(sum(not o.answered for o in unanswerable) / (len(unanswerable) or 1), 4),
        "false_answer_rate": round(sum(o.answered and not o.correct for o in answerable) / n_ans, 4),
        "abstained_on_answerable": round(sum(not o.answered for o in answerable) / n_ans, 4),
        "latency_p50_ms": round(percentile(latencies, 0.5), 2),
        "latency_p95_ms": round(percentile(latencies, 0.95), 2),
        "ungrounded_numbers": sum(len(o.ungrounded) for o in outcomes),
        "misleading_short_answers": sum(o.misleading_short for o in outcomes),
    }
    called = [o for o in outcomes if o.answer_mode != "extractive"]
    if called:  # the LLM was asked at least once
        ttfts = [o.ttft_ms for o in called if o.ttft_ms is not None]
        out.update({
            "generated": sum(o.answer_mode == Source.LLM for o in outcomes),
            "fell_back": sum(o.answer_mode == Source.FALLBACK for o in outcomes),
            "generated_share": round(sum(o.answer_mode == Source.LLM for o in called) / len(called), 4),
            "ttft_p50_ms": round(percentile(ttfts, 0.5), 1),
            "ttft_p95_ms": round(percentile(ttfts, 0.95), 1),
        })
    return out


def run_eval(rag, path: Path, progress: bool = True, mode: str = "extractive") -> EvalResult:
    """Score the eval set. The other fusion method is scored too in extractive
    mode (cheap); in LLM modes only the configured one (generation is slow)."""
    items = load_items(path)
    main = rag.settings.fusion
    outcomes = _run(rag, items, main, progress, mode)
    summary = summarize(outcomes)
    keys = ("hit@1", "hit@5", "mrr", "answer_accuracy", "citation_accuracy", "refusal_accuracy", "false_answer_rate")
    fusion = {main: {k: summary[k] for k in keys}}
    if mode == "extractive":
        other = "rrf" if main == "weighted" else "weighted"
        alt = summarize(_run(rag, items, other, progress))
        fusion[other] = {k: alt[k] for k in keys}
    types = sorted({o.item.type for o in outcomes})
    by_type = {}
    for t in types:
        group = [o for o in outcomes if o.item.type == t]
        s = summarize(group)
        by_type[t] = {"n": len(group), **{k: s[k] for k in ("hit@5", "answer_accuracy", "citation_accuracy", "refusal_accuracy")}}
        by_type[t]["correct"] = round(sum(o.correct for o in group) / len(group), 4)
    settings = {"mode": mode, "fusion": main, "reader": rag.settings.reader, "dense_weight": rag.settings.dense_weight, "k": rag.settings.k,
                "chunk_chars": rag.settings.chunk_chars, "model": rag.settings.model_id, "eval_set": str(path)}
    return EvalResult(summary, by_type, fusion, outcomes, settings, calibration(outcomes))


# whose probability ``Answer.confidence`` is, by reader mode (``Settings.reader``)
CALIBRATED_BY = {"off": "scorer", "on": "reader", "second": "the reader's where it answered a question the scorer refused, else the scorer's"}
BANDS = (0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


def calibration(outcomes: list[Outcome]) -> list[dict]:
    """Per band of the answerer's probability: how many questions, how many answered, and of the
    answered ones how many were right (a right answer to an answerable question; any answer to an
    unanswerable one is wrong). A calibrated answerer is right about as often as its band says."""
    rows = []
    for lo, hi in zip(BANDS, BANDS[1:]):
        group = [o for o in outcomes if lo <= o.confidence < hi]
        answered = [o for o in group if o.answered]
        right = sum(o.item.answerable and o.correct for o in answered)
        rows.append({"band": f"{lo:.1f}–{min(hi, 1.0):.1f}", "n": len(group), "answered": len(answered),
                     "right_when_answered": round(right / len(answered), 4) if answered else None})
    return rows


def failures(result: EvalResult) -> list[Outcome]:
    return [o for o in result.outcomes
            if not o.correct or (o.item.answerable and not o.cited_gold) or o.ungrounded or o.misleading_short]


def render_markdown(result: EvalResult) -> str:
    s = result.summary
    lines = [
        "# Evaluation report",
        "",
        f"Eval set `{result.settings['eval_set']}`: {s['questions']} questions "
        f"({s['answerable']} answerable, {s['unanswerable']} not answerable from the archive). "
        f"Answer mode: {result.settings['mode']}. Fusion: {result.settings['fusion']}. Model: {result.settings['model']}.",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    for key in ("hit@1", "hit@5", "mrr", "answer_accuracy", "strict_answer_accuracy", "citation_accuracy", "refusal_accuracy",
                "false_answer_rate", "abstained_on_answerable", "latency_p50_ms", "latency_p95_ms",
                "ungrounded_numbers", "misleading_short_answers", "generated", "fell_back",
                "generated_share", "ttft_p50_ms", "ttft_p95_ms"):
        if key in s:
            lines.append(f"| {key} | {s[key]} |")
    lines += ["", "## Fusion comparison (same eval set)", "", "| fusion | " + " | ".join(next(iter(result.fusion.values()))) + " |",
              "|---|" + "---|" * len(next(iter(result.fusion.values())))]
    for name, m in result.fusion.items():
        lines.append(f"| {name} | " + " | ".join(str(v) for v in m.values()) + " |")
    lines += ["", "## By question type", "", "| type | n | correct | hit@5 | answer acc. | citation acc. |", "|---|---|---|---|---|---|"]
    for t, m in result.by_type.items():
        lines.append(f"| {t} | {m['n']} | {m['correct']} | {m['hit@5']} | {m['answer_accuracy']} | {m['citation_accuracy']} |")
    reader = result.settings.get("reader")
    margin = ", the reader's less its margin times the next sentence's" if reader in ("on", "second") else ""
    lines += ["", f"## Calibration ({CALIBRATED_BY.get(reader, 'scorer')}: probability that the best "
              f"sentence answers{margin})", "", "| band | questions | answered | right when answered |", "|---|---|---|---|"]
    for row in result.calibration:
        lines.append(f"| {row['band']} | {row['n']} | {row['answered']} | {row['right_when_answered']} |")
    fails = failures(result)
    lines += ["", f"## Failures ({len(fails)})", ""]
    if not fails:
        lines.append("None.")
    for o in fails:
        why = []
        if o.item.answerable and not o.answered:
            why.append("abstained")
        elif o.item.answerable and not o.correct:
            why.append("answer lacks required numbers/names")
        if not o.item.answerable and o.answered:
            why.append("answered an unanswerable question")
        if o.item.answerable and not o.cited_gold:
            why.append(f"gold evidence not cited (retrieval rank {o.rank})")
        if o.misleading_short:
            why.append("short answer states another figure")
        if o.answer_mode == Source.FALLBACK:
            why.append(f"LLM answer rejected: {o.mode_reason}")
        lines.append(f"- **{o.item.id}** ({o.item.type}) {o.item.question} — {'; '.join(why)}")
        if o.item.history:
            lines.append(f"  - after: {' / '.join(o.item.history)} → searched: {o.standalone}")
        lines.append(f"  - expected: {o.item.reference_answer}")
        lines.append(f"  - got: {o.answer[:300]}")
    return "\n".join(lines) + "\n"


def check_report_dir(out_dir: Path) -> None:
    """Refuse, before an eval runs, a report folder that cannot be one: an existing file, or a
    folder that cannot be created or written."""
    if out_dir.exists() and not out_dir.is_dir():
        raise EvalSetError(f"--out {out_dir} is a file, not a folder: give a folder for report.md and report.json")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise EnvironmentFault(f"cannot write reports to {out_dir}: {exc.strerror or exc}") from None


def save_report(out_dir: Path, md: str, payload: dict) -> str:
    """Write ``report.md`` and ``report.json`` into ``out_dir``: both are written aside first, then
    switched in, so a full disk or a stop leaves the previous pair (or none) and never half of a new
    one beside the old; return the markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staged = [(out_dir / "report.md", md), (out_dir / "report.json", json.dumps(payload, ensure_ascii=False, indent=1))]
    try:
        for path, text in staged:
            path.with_name(path.name + ".new").write_text(text, encoding="utf-8")
    except OSError as exc:
        for path, _ in staged:
            path.with_name(path.name + ".new").unlink(missing_ok=True)
        raise EnvironmentFault(f"cannot write the reports to {out_dir}: {exc.strerror or exc}") from None
    for path, _ in staged:
        os.replace(path.with_name(path.name + ".new"), path)
    return md


def write_reports(result: EvalResult, out_dir: Path) -> str:
    payload = {
        "summary": result.summary, "by_type": result.by_type, "fusion": result.fusion, "settings": result.settings,
        "calibration": result.calibration,
        "outcomes": [{**asdict(o), "item": asdict(o.item)} for o in result.outcomes],
    }
    return save_report(out_dir, render_markdown(result), payload)
