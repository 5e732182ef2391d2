"""Re-measure the answerer's hard rules (blockers) under the reader on dev: the dev figures with every
blocker, with none, and with each kind lifted alone (the threshold re-tuned each time at the same limits).

    python scripts/train_reader.py train --pack /tmp/reader-pack.npz --scores /tmp/dev.npy
    python scripts/measure_blockers.py --scores /tmp/dev.npy --pack /tmp/reader-pack.npz
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_reader as tr  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scores", required=True, help="the dev candidates' probabilities (train --scores)")
    p.add_argument("--pack", required=True, help="the pack the reader was trained from")
    args = p.parse_args()
    pack = np.load(args.pack)
    questions = json.loads(pack["meta"].tobytes())["questions"]
    labels, qindex, priors = pack["labels"], pack["qindex"], pack["priors"]
    with gzip.open(tr.TASKS["answer"]["pairs"], "rt", encoding="utf-8") as f:  # the pack's rows, in order
        kinds = np.array([c.get("blocker") or "" for line in f for c in json.loads(line)["cands"]])
    if len(kinds) != len(labels):
        raise SystemExit(f"{args.pack} was not packed from {tr.TASKS['answer']['pairs']}")
    scores = np.load(args.scores)[:, 0]
    dev = np.array([questions[q]["split"] == "dev" for q in qindex])
    limits = (tr.DEFAULTS["read"], tr.DEFAULTS["max_false"], tr.DEFAULTS["min_refusal"])

    def figures(blocked: np.ndarray, by: np.ndarray = scores) -> dict:
        return tr.dev_figures(by[dev], labels[dev], qindex[dev], priors[dev], blocked[dev], questions, *limits)

    print("every blocker  ", figures(kinds != ""))
    print("no blocker     ", figures(np.zeros(len(kinds), bool)))
    print("scorer alone   ", figures(kinds != "", priors))
    for kind in sorted(set(kinds[dev]) - {""}):
        print(f"lift {kind:10}", figures((kinds != "") & (kinds != kind)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
