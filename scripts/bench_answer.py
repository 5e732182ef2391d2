"""Warm latency of retrieval + extractive answer, printed as figures (not a test).

    python scripts/bench_answer.py --archive ../shared/archive-sample/vntc --index /tmp/index-archive \
        --set eval/archive-dev.jsonl --set eval/qa.jsonl

Loads the index and the model once, asks every question of the sets once to
warm up, then again ``--runs`` times, and prints p50 / p95 / max of the
pipeline's own timing (parse, embed, search, answer; no process start) and
the index size.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.api import RAG  # noqa: E402
from rag.evaluate.questions import load_items, percentile  # noqa: E402
from rag.settings import Settings  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", default="corpus")
    p.add_argument("--archive", action="append", default=[])
    p.add_argument("--index", default="index")
    p.add_argument("--set", action="append", default=[], help="eval set whose questions are asked (repeatable)")
    p.add_argument("--runs", type=int, default=2)
    args = p.parse_args()
    settings = Settings(corpus_dir=Path(args.corpus), index_dir=Path(args.index), archives=tuple(map(Path, args.archive)))
    rag = RAG(settings, auto_index=False)
    backend = rag.load().backend
    questions = [i.question for s in (args.set or ["eval/qa.jsonl"]) for i in load_items(Path(s)) if not i.history]
    for q in questions:  # warm-up: caches, lazy imports
        rag.ask(q, mode="extractive")
    times = [rag.ask(q, mode="extractive").timings["total_ms"] for _ in range(args.runs) for q in questions]
    print(f"index: {len(backend.articles)} articles, {backend.count()} chunks")
    print(f"questions: {len(questions)} x {args.runs} runs, 2 cores" if args.runs else "")
    print(f"retrieval + answer: p50 {percentile(times, 0.5):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, "
          f"max {max(times):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
