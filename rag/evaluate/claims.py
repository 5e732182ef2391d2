"""Claims eval set -> verdict metrics and reports.

In: a JSONL claims set (claim, gold verdict, gold article and evidence
sentences, type; see ``scripts/check_evalset.py``) and a ``RAG``. Out: a
``ClaimsResult`` and ``report.md`` + ``report.json``: verdict accuracy,
macro-F1, precision and recall per verdict, strict accuracy (the right verdict
and, for a supported or refuted claim, the gold evidence cited: as in
ISE-DSC01), latency, a per-type breakdown and the failures. The metric
functions are pure and unit-tested.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from rag.errors import EvalSetError
from rag.evaluate.questions import evidence_spans, field_of, first_rank, percentile, read_jsonl, save_report
from rag.schema import VERDICTS, Verdict

GOLD_VERDICTS = tuple(v for v in VERDICTS if v != Verdict.NOT_CHECKABLE)  # a claim in a set is checkable


@dataclass(frozen=True)
class ClaimItem:
    id: str
    claim: str
    verdict: str
    type: str
    gold_article_id: str = ""
    gold_evidence: tuple[str, ...] = ()


@dataclass
class ClaimOutcome:
    item: ClaimItem
    verdict: str
    explanation: str
    cited_gold: bool
    latency_ms: float
    cited: list[str] = field(default_factory=list)
    diffs: list[dict] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return self.verdict == self.item.verdict

    @property
    def strict(self) -> bool:
        """Right verdict, and the gold evidence cited when there is any."""
        return self.correct and (self.item.verdict not in (Verdict.SUPPORTED, Verdict.REFUTED) or self.cited_gold)


@dataclass
class ClaimsResult:
    summary: dict
    per_class: dict
    by_type: dict
    outcomes: list[ClaimOutcome]
    settings: dict


def is_claims_set(path: Path) -> bool:
    """A claims set's lines carry a "claim"; a question set's a "question"."""
    return next(("claim" in d for _, d in read_jsonl(path)), False)


def load_claims(path: Path) -> list[ClaimItem]:
    items = []
    for n, d in read_jsonl(path):
        verdict = field_of(path, n, d, "verdict")
        if verdict not in GOLD_VERDICTS:
            raise EvalSetError(f"{path}:{n}: unknown verdict {verdict!r}")
        items.append(ClaimItem(field_of(path, n, d, "id"), field_of(path, n, d, "claim"), verdict, d.get("type", ""),
                               d.get("gold_article_id", ""), tuple(d.get("gold_evidence", []))))
    return items


# ------------------------------------------------------------ pure metrics
def per_class(gold: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> dict[str, dict]:
    """Precision, recall, F1 and support of each class."""
    out = {}
    for c in classes:
        tp = sum(g == c and p == c for g, p in zip(gold, predicted))
        said = sum(p == c for p in predicted)
        support = sum(g == c for g in gold)
        precision = tp / said if said else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[c] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                  "support": support, "predicted": said}
    return out


def macro_f1(table: dict[str, dict]) -> float:
    """Mean F1 over the classes that occur in the gold set."""
    scored = [m["f1"] for m in table.values() if m["support"]]
    return round(sum(scored) / len(scored), 4) if scored else 0.0


# ------------------------------------------------------------------ harness
def run_claims_eval(rag, path: Path, progress: bool = True) -> ClaimsResult:
    from tqdm import tqdm

    items = load_claims(path)
    articles = rag.load().backend.articles
    rag.check("Lạng Sơn có 28 dự án FDI.")  # warm-up, not timed
    outcomes = []
    for item in tqdm(items, desc="eval claims", disable=not progress, unit="claim"):
        gold = evidence_spans(item.id, item.gold_article_id, item.gold_evidence, articles) if item.gold_evidence else []
        t0 = time.perf_counter()
        result = rag.check(item.claim)
        latency = (time.perf_counter() - t0) * 1000
        cited = [(c.article_id, c.start, c.end) for c in result.citations]
        outcomes.append(ClaimOutcome(
            item=item, verdict=result.verdict, explanation=result.explanation,
            cited_gold=bool(gold) and first_rank(cited, gold) is not None, latency_ms=latency,
            cited=[f"{c.article_id}:{c.start}" for c in result.citations], diffs=[asdict(d) for d in result.diffs],
        ))
    return _result(outcomes, {"eval_set": str(path), "model": rag.settings.model_id, "k": rag.settings.k})


def _result(outcomes: list[ClaimOutcome], settings: dict) -> ClaimsResult:
    gold = [o.item.verdict for o in outcomes]
    predicted = [o.verdict for o in outcomes]
    classes = [c for c in GOLD_VERDICTS if c in gold or c in predicted]
    table = per_class(gold, predicted, classes)
    n = len(outcomes) or 1
    latencies = [o.latency_ms for o in outcomes]
    summary = {
        "claims": len(outcomes),
        **{f"gold_{c}": gold.count(c) for c in classes},
        "verdict_accuracy": round(sum(o.correct for o in outcomes) / n, 4),
        "strict_accuracy": round(sum(o.strict for o in outcomes) / n, 4),
        "macro_f1": macro_f1(table),
        "supported_precision": table.get("supported", {}).get("precision", 0.0),
        "nei_recall": table.get("nei", {}).get("recall", 0.0),
        "wrong_supported": sum(o.verdict == Verdict.SUPPORTED and not o.correct for o in outcomes),
        "latency_p50_ms": round(percentile(latencies, 0.5), 2),
        "latency_p95_ms": round(percentile(latencies, 0.95), 2),
    }
    by_type = {}
    for t in sorted({o.item.type for o in outcomes}):
        group = [o for o in outcomes if o.item.type == t]
        by_type[t] = {"n": len(group), "verdict": group[0].item.verdict,
                      "correct": round(sum(o.correct for o in group) / len(group), 4),
                      "strict": round(sum(o.strict for o in group) / len(group), 4)}
    return ClaimsResult(summary, table, by_type, outcomes, settings)


def render_claims_markdown(result: ClaimsResult) -> str:
    s = result.summary
    lines = ["# Claims evaluation report", "",
             f"Claims set `{result.settings['eval_set']}`: {s['claims']} claims. Model: {result.settings['model']}.",
             "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in s.items()]
    lines += ["", "## Per verdict", "", "| verdict | precision | recall | F1 | gold | predicted |", "|---|---|---|---|---|---|"]
    for c, m in result.per_class.items():
        lines.append(f"| {c} | {m['precision']} | {m['recall']} | {m['f1']} | {m['support']} | {m['predicted']} |")
    lines += ["", "## By claim type", "", "| type | gold verdict | n | correct | strict |", "|---|---|---|---|---|"]
    for t, m in result.by_type.items():
        lines.append(f"| {t} | {m['verdict']} | {m['n']} | {m['correct']} | {m['strict']} |")
    fails = [o for o in result.outcomes if not o.strict]
    lines += ["", f"## Failures ({len(fails)})", ""]
    if not fails:
        lines.append("None.")
    for o in fails:
        why = f"expected {o.item.verdict}, got {o.verdict}" if not o.correct else "gold evidence not cited"
        lines.append(f"- **{o.item.id}** ({o.item.type}) {o.item.claim} — {why}")
        lines.append(f"  - explanation: {o.explanation}")
    return "\n".join(lines) + "\n"


def write_claims_reports(result: ClaimsResult, out_dir: Path) -> str:
    payload = {"summary": result.summary, "per_class": result.per_class, "by_type": result.by_type,
               "settings": result.settings,
               "outcomes": [{**asdict(o), "item": asdict(o.item), "correct": o.correct, "strict": o.strict}
                            for o in result.outcomes]}
    return save_report(out_dir, render_claims_markdown(result), payload)
