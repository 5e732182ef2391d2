"""Fit the entailment head's limits in ``CheckRules`` on the claims dev split: each dev claim is read
once (retrieval, candidates, the head's readings), then every combination of the limits is scored
with the pure ``verdict``; the rules alone are printed first for comparison.

    python scripts/tune_check.py --archive ../shared/archive-sample/vntc --index I

Only the claims dev splits (``eval/claims-dev.jsonl``, ``eval/claims-dev2.jsonl``, ``eval/claims-dev3.jsonl``) are
read: the test splits are never tuned on.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEV = tuple(REPO / "eval" / f"{name}.jsonl" for name in ("claims-dev", "claims-dev2", "claims-dev3"))
# the head's limits on the whole claim first, then (at the best of those) its limits on a long claim's facts,
# then on pairs of sentences read as one
GRIDS = (
    {"head_guard": (0.5, 0.7, 0.9, 1.1), "head_support": (0.6, 0.8, 1.1), "head_related": (0.5, 0.7, 0.9, 1.1),
     "head_refute": (0.5, 0.7, 0.9, 1.1), "head_refute_topic": (0.5, 0.7)},
    {"fact_refute": (0.5, 0.6, 0.7, 0.8, 0.9, 1.1), "fact_support": (0.0, 0.1, 0.2, 0.3, 0.5),
     "fact_join": (0.3, 0.5, 0.7, 0.9, 1.1)},
    {"pair_support": (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.1)},
)
MIN_PRECISION = 0.95  # of "supported": the limits chosen keep it at least this on dev


def main() -> int:
    from tqdm import tqdm

    from rag.api import RAG
    from rag.check.verdict import CHECK_RULES, relations, weigh
    from rag.evaluate.claims import load_claims, macro_f1, per_class
    from rag.evaluate.questions import evidence_spans, first_rank
    from rag.settings import Settings

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--archive", action="append", default=[], help="archive folder indexed with the seeds")
    p.add_argument("--index", default="index", help="index of the seeds + archive")
    p.add_argument("--top", type=int, default=12, help="combinations printed")
    p.add_argument("--fix", action="append", default=[], metavar="LIMIT=VALUE",
                   help="hold a limit at this value instead of searching it (one a seed test needs)")
    args = p.parse_args()
    fixed = {}
    for item in args.fix:
        name, _, value = item.partition("=")
        if not any(name in grid for grid in GRIDS) or not value:
            p.error(f"--fix takes LIMIT=VALUE with a searched limit ({', '.join(k for g in GRIDS for k in g)}): {item}")
        fixed[name] = float(value)
    rag = RAG(Settings(index_dir=Path(args.index), archives=tuple(Path(a) for a in args.archive), reader="off"),
              auto_index=False)
    articles = rag.load().backend.articles
    items = [item for path in DEV for item in load_claims(path)]
    reading = replace(CHECK_RULES, pair_support=0.0)  # every pair read, whatever the shipped limit
    read = [rag.claim_evidence(item.claim, rules=reading) for item in tqdm(items, desc="reading dev claims", unit="claim")]
    ruled = [relations(e, CHECK_RULES) for e in read]  # the rules' part: the same at every head limit
    gold_spans = [evidence_spans(i.id, i.gold_article_id, i.gold_evidence, articles) if i.gold_evidence else []
                  for i in items]

    def score(rules, with_head: bool = True, confusion: bool = False) -> dict:
        said, strict = [], 0
        for item, evidence, rel, gold in zip(items, read, ruled, gold_spans):
            result = weigh(evidence if with_head else replace(evidence, readings=(), facts=(), pairs=()), rel, rules)
            said.append(result.verdict)
            cited = [(c.article_id, c.start, c.end) for c in result.citations]
            strict += result.verdict == item.verdict and (
                item.verdict not in ("supported", "refuted") or (bool(gold) and first_rank(cited, gold) is not None))
        truth = [i.verdict for i in items]
        table = per_class(truth, said, ("supported", "refuted", "nei"))
        if confusion:
            print("gold \\ said:", {g: {p: sum(t == g and s == p for t, s in zip(truth, said)) for p in table}
                                     for g in table})
        return {"accuracy": round(sum(a == b for a, b in zip(truth, said)) / len(items), 4),
                "strict": round(strict / len(items), 4), "macro_f1": macro_f1(table),
                "supported_precision": table["supported"]["precision"], "refuted_precision": table["refuted"]["precision"],
                "refuted_recall": table["refuted"]["recall"]}

    print("rules alone:", score(CHECK_RULES, with_head=False, confusion=True))
    print("shipped limits:", score(CHECK_RULES))
    for value in GRIDS[-1]["pair_support"][:-1]:  # the pair reading alone, on the shipped limits
        print(f"shipped limits, pair_support {value}:", score(replace(CHECK_RULES, pair_support=value)))
    rules = replace(CHECK_RULES, fact_refute=1.1, fact_support=0.0)  # the whole claim first, facts not read
    rules = replace(rules, **fixed)
    for grid in GRIDS:
        grid = {k: v for k, v in grid.items() if k not in fixed}
        results = []
        for values in tqdm(list(itertools.product(*grid.values())), desc="limits", unit="set"):
            limits = dict(zip(grid, values))
            figures = score(replace(rules, **limits))
            results.append(((figures["supported_precision"] >= MIN_PRECISION, figures["macro_f1"], figures["strict"]),
                            limits, figures))
        results.sort(key=lambda r: r[0], reverse=True)
        for _, limits, figures in results[: args.top]:
            print(limits, figures)
        rules = replace(rules, **results[0][1])
    print("best:", {k: getattr(rules, k) for grid in GRIDS for k in grid}, score(rules, confusion=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
