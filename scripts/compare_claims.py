"""Compare two checkers on the same claims sets: macro-F1 of each over the claims of all sets together,
and a paired bootstrap of the difference (claims resampled with replacement, both checkers' verdicts
kept together), from the ``report.json`` files ``rag eval`` writes.

    python scripts/compare_claims.py --a eval/claims-dev --a eval/claims-dev2 --b /tmp/new/claims-dev --b /tmp/new/claims-dev2
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def outcomes(folders: list[str]) -> dict[tuple[int, str], tuple[str, str]]:
    """(gold, predicted) verdict per (set's place in the list, claim id), over every report given."""
    out = {}
    for n, folder in enumerate(folders):
        report = json.loads((Path(folder) / "report.json").read_text(encoding="utf-8"))
        for o in report["outcomes"]:
            if (n, o["item"]["id"]) in out:
                raise SystemExit(f"{folder}: claim id {o['item']['id']!r} twice")
            out[n, o["item"]["id"]] = (o["item"]["verdict"], o["verdict"])
    return out


def macro_f1(gold: np.ndarray, pred: np.ndarray, classes: list[str]) -> float:
    """The mean F1 over the gold verdicts (a prediction outside them, such as "conflicting", is a miss)."""
    scores = []
    for v in classes:
        tp = np.sum((gold == v) & (pred == v))
        fp, fn = np.sum((gold != v) & (pred == v)), np.sum((gold == v) & (pred != v))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return float(np.mean(scores))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--a", action="append", required=True, help="a report folder of checker A (repeat per set)")
    p.add_argument("--b", action="append", required=True, help="the same set's report folder of checker B")
    p.add_argument("--samples", type=int, default=10000)
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args()
    if len(args.a) != len(args.b):
        raise SystemExit("give as many --b folders as --a folders, set by set")
    a, b = outcomes(args.a), outcomes(args.b)
    if set(a) != set(b) or any(a[k][0] != b[k][0] for k in a):
        raise SystemExit("the two checkers were not run on the same claims")
    keys = sorted(a)
    gold = np.array([a[k][0] for k in keys])
    classes = sorted(set(gold))
    pa, pb = np.array([a[k][1] for k in keys]), np.array([b[k][1] for k in keys])
    rng = np.random.default_rng(args.seed)
    diffs = []
    for _ in range(args.samples):
        i = rng.integers(0, len(keys), len(keys))
        diffs.append(macro_f1(gold[i], pb[i], classes) - macro_f1(gold[i], pa[i], classes))
    low, high = np.percentile(diffs, [2.5, 97.5])
    fa, fb = macro_f1(gold, pa, classes), macro_f1(gold, pb, classes)
    print(f"{len(keys)} claims: macro-F1 A {fa:.3f}, B {fb:.3f}, B - A {fb - fa:+.3f} "
          f"(95 % bootstrap interval {low:+.3f} to {high:+.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
