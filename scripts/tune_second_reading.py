"""Choose ``Settings.reader_second_threshold`` on the dev split: from two ``rag eval`` reports of one
set, the scorer alone (``RAG_READER=off``) and the reader deciding (``RAG_READER=on``), what the
second reading ("second": the scorer first; a question it refuses is answered when the reader's
probability reaches the threshold) would give at each threshold, and the least threshold whose
false answers stay within ``--max-false``.

    RAG_READER=off rag --archive A --index I eval --set eval/archive-dev.jsonl --out /tmp/dev-off
    RAG_READER=on  rag --archive A --index I eval --set eval/archive-dev.jsonl --out /tmp/dev-on
    python scripts/tune_second_reading.py --scorer /tmp/dev-off --reader /tmp/dev-on

A question the scorer refused counts as answered by the reader when its report answered it with a
probability (``confidence``) at least the threshold; ``rag eval`` with ``RAG_READER=second`` then
measures the chosen one for real (on the dev split: the same figures).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.answer.reader import manifest  # noqa: E402


def thresholds() -> list[float]:
    """0.02 apart up to 0.96, from the reader's own threshold up: below it the "on" report never answers."""
    own = manifest()["tasks"]["answer"]["threshold"]
    start = math.ceil(own * 50) / 50
    return [round(start + 0.02 * i, 2) for i in range(int(round((0.96 - start) * 50)) + 1)]


def outcomes(folder: str, mode: str) -> dict[str, dict]:
    """The outcomes of a ``rag eval`` report run with ``RAG_READER=mode`` (a one-line exit otherwise)."""
    path = Path(folder) / "report.json"
    if not path.is_file():
        sys.exit(f"error: no report at {path}: run `RAG_READER={mode} rag eval --set SET --out {folder}` first")
    report = json.loads(path.read_text(encoding="utf-8"))
    ran = report["settings"].get("reader")
    if ran != mode:
        sys.exit(f"error: {path} was run with RAG_READER={ran}, not {mode}")
    return {o["item"]["id"]: o for o in report["outcomes"]}


def second_reading(scorer: dict[str, dict], reader: dict[str, dict], threshold: float) -> dict[str, float]:
    """Answer accuracy, false answers (both of answerable questions) and refusal accuracy."""
    right = false = refused = answerable = 0
    for qid, first in scorer.items():
        again = reader[qid]
        o = first if first["answered"] else again if again["answered"] and again["confidence"] >= threshold else None
        if first["item"]["answerable"]:
            answerable += 1
            right += bool(o and o["correct"])
            false += bool(o and not o["correct"])
        else:
            refused += o is None
    unanswerable = len(scorer) - answerable
    return {"answer_accuracy": right / answerable, "false_answers": false / answerable,
            "refusal_accuracy": refused / max(unanswerable, 1)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scorer", required=True, help="rag eval report folder, RAG_READER=off")
    p.add_argument("--reader", required=True, help="rag eval report folder of the same set, RAG_READER=on")
    p.add_argument("--max-false", type=float, default=0.04, help="false answers allowed (default 0.04)")
    args = p.parse_args()
    scorer, reader = outcomes(args.scorer, "off"), outcomes(args.reader, "on")
    if set(scorer) != set(reader):
        sys.exit("error: the two reports are not of the same eval set")
    print("threshold  answer acc.  false answers  refusal acc.")
    alone = second_reading(scorer, reader, float("inf"))
    print(f"{'scorer':>9}  {alone['answer_accuracy']:11.3f}  {alone['false_answers']:13.3f}  {alone['refusal_accuracy']:12.3f}")
    chosen = None
    for t in thresholds():
        m = second_reading(scorer, reader, t)
        print(f"{t:9.2f}  {m['answer_accuracy']:11.3f}  {m['false_answers']:13.3f}  {m['refusal_accuracy']:12.3f}")
        if chosen is None and m["false_answers"] <= args.max_false:
            chosen = t
    if chosen is None:
        print(f"no threshold keeps false answers within {args.max_false}")
        return 1
    print(f"least threshold with false answers <= {args.max_false}: {chosen}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
