"""Warm latency of fact-checking, printed as figures (not a test).

    python scripts/bench_check.py --archive ../shared/archive-sample/vntc --index /tmp/index-archive \
        --set eval/claims-dev.jsonl

Loads the index and the model once, checks every claim of the sets once to
warm up, then again ``--runs`` times, and prints p50 / p95 of one claim (the
API's own timing: retrieval + verdict), then the wall time of whole drafts
of ten sentences (claims of the set joined, plus an opinion) checked with
``check_text``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.api import RAG  # noqa: E402
from rag.evaluate.claims import load_claims  # noqa: E402
from rag.evaluate.questions import percentile  # noqa: E402
from rag.settings import Settings  # noqa: E402

DRAFT_SENTENCES = 10
OPINION = "Theo tôi, đây là một kết quả đáng ghi nhận."


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", default="corpus")
    p.add_argument("--archive", action="append", default=[])
    p.add_argument("--index", default="index")
    p.add_argument("--set", action="append", default=[], help="claims set whose claims are checked (repeatable)")
    p.add_argument("--runs", type=int, default=2)
    args = p.parse_args()
    settings = Settings(corpus_dir=Path(args.corpus), index_dir=Path(args.index), archives=tuple(map(Path, args.archive)))
    rag = RAG(settings, auto_index=False)
    backend = rag.load().backend
    claims = [i.claim for s in (args.set or ["eval/claims-dev.jsonl"]) for i in load_claims(Path(s))]
    for c in claims:  # warm-up: caches, lazy imports
        rag.check(c)
    times = [rag.check(c).timings["total_ms"] for _ in range(args.runs) for c in claims]
    drafts = [" ".join(claims[i : i + DRAFT_SENTENCES - 1] + [OPINION])
              for i in range(0, len(claims) - DRAFT_SENTENCES, DRAFT_SENTENCES)]
    walls = []
    for draft in drafts:
        t0 = time.perf_counter()
        rag.check_text(draft)
        walls.append((time.perf_counter() - t0) * 1000)
    print(f"index: {len(backend.articles)} articles, {backend.count()} chunks")
    print(f"claims: {len(claims)} x {args.runs} runs, 2 cores")
    print(f"one claim (retrieval + verdict): p50 {percentile(times, 0.5):.1f} ms, p95 {percentile(times, 0.95):.1f} ms")
    print(f"{DRAFT_SENTENCES}-sentence draft ({len(drafts)} drafts): p50 {percentile(walls, 0.5):.0f} ms, "
          f"max {max(walls):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
