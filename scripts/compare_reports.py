"""Compare two runs of ``rag eval`` on the same sets, with a paired bootstrap of the difference (items
resampled with replacement, both runs' outcomes kept together), from the ``report.json`` files.

Claims sets: macro-F1 and verdict accuracy over the claims of all sets together. Question sets: correct outcomes (right
answers plus right refusals, over every question), with answer accuracy and false answers (both over
the answerable questions) beside it.

    python scripts/compare_reports.py --a eval/claims-dev --a eval/claims-dev2 --b /tmp/new/claims-dev --b /tmp/new/claims-dev2
    python scripts/compare_reports.py --a /tmp/old/archive-dev --b /tmp/new/archive-dev
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def outcomes(folders: list[str]) -> dict[tuple[int, str], dict]:
    """The outcome per (set's place in the list, item id), over every report given."""
    out = {}
    for n, folder in enumerate(folders):
        path = Path(folder) / "report.json"
        if not path.is_file():
            raise SystemExit(f"error: no report at {path}: run `rag eval --set SET --out {folder}` first")
        for o in json.loads(path.read_text(encoding="utf-8"))["outcomes"]:
            if (n, o["item"]["id"]) in out:
                raise SystemExit(f"{folder}: item id {o['item']['id']!r} twice")
            out[n, o["item"]["id"]] = o
    return out


def macro_f1(gold: np.ndarray, pred: np.ndarray, classes: list[str]) -> float:
    """The mean F1 over the gold verdicts (a prediction outside them, such as "conflicting", is a miss).

    Unrounded and on arrays, for 10,000 resamples: ``rag.evaluate.claims.per_class`` is the report's
    rounded, per-class version of the same figure."""
    scores = []
    for v in classes:
        tp = np.sum((gold == v) & (pred == v))
        fp, fn = np.sum((gold != v) & (pred == v)), np.sum((gold == v) & (pred != v))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return float(np.mean(scores))


def claims_metrics(rows: list[dict]) -> dict:
    """Macro-F1 and accuracy of the verdicts, each a function of the resampled indices."""
    gold = np.array([o["item"]["verdict"] for o in rows])
    pred = np.array([o["verdict"] for o in rows])
    classes = sorted(set(gold))
    right = (gold == pred).astype(float)
    return {"macro-F1": lambda i: macro_f1(gold[i], pred[i], classes),
            "verdict accuracy": lambda i: float(right[i].mean())}


def question_metrics(rows: list[dict]) -> dict:
    """The share of correct outcomes: a right answer to an answerable question, a refusal of the others."""
    right = np.array([(o["correct"] if o["item"]["answerable"] else not o["answered"]) for o in rows], float)
    return {"correct outcomes": lambda i: float(right[i].mean())}


def question_summary(rows: list[dict]) -> str:
    answerable = [o for o in rows if o["item"]["answerable"]]
    right = sum(o["correct"] for o in answerable)
    false = sum(o["answered"] and not o["correct"] for o in answerable)
    return f"answer accuracy {right / len(answerable):.3f}, false answers {false}/{len(answerable)}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--a", action="append", required=True, help="a report folder of run A (repeat per set)")
    p.add_argument("--b", action="append", required=True, help="the same set's report folder of run B")
    p.add_argument("--samples", type=int, default=10000)
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args()
    if len(args.a) != len(args.b):
        raise SystemExit("give as many --b folders as --a folders, set by set")
    a, b = outcomes(args.a), outcomes(args.b)
    if set(a) != set(b) or any(a[k]["item"] != b[k]["item"] for k in a):
        raise SystemExit("the two runs were not on the same items")
    keys = sorted(a)
    rows_a, rows_b = [a[k] for k in keys], [b[k] for k in keys]
    claims = "verdict" in rows_a[0]["item"]
    metrics = claims_metrics if claims else question_metrics
    ma, mb = metrics(rows_a), metrics(rows_b)
    everything = np.arange(len(keys))
    for name, fa in ma.items():
        fb = mb[name]
        rng = np.random.default_rng(args.seed)  # the same resamples for each metric, drawn again, not kept
        diffs = [fb(i) - fa(i) for i in (rng.integers(0, len(keys), len(keys)) for _ in range(args.samples))]
        low, high = np.percentile(diffs, [2.5, 97.5])
        va, vb = fa(everything), fb(everything)
        print(f"{len(keys)} {'claims' if claims else 'questions'}: {name} A {va:.3f}, B {vb:.3f}, B - A {vb - va:+.3f} "
              f"(95 % bootstrap interval {low:+.3f} to {high:+.3f})")
    if not claims:
        print(f"A: {question_summary(rows_a)}; B: {question_summary(rows_b)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
