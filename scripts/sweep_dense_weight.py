"""How often the gold article is among the passages retrieved, by the dense weight of the fusion, for the
questions of one language: the training and dev questions only (``eval/train/questions-*.jsonl`` and
``eval/archive-dev.jsonl``; the test splits are never read here). Prints one line per weight.

    python scripts/sweep_dense_weight.py --archive ../shared/archive-sample/vntc --index I --language en

Round 13 (eval/report.md): English questions share few words with the Vietnamese articles, so the lexical
half of the default fusion (``Settings.dense_weight`` 0.5) is mostly noise for them.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.api import RAG  # noqa: E402
from rag.errors import RagError  # noqa: E402
from rag.evaluate.questions import read_jsonl  # noqa: E402
from rag.retrieve.query import detect_language, parse_query  # noqa: E402
from rag.retrieve.retrieval import Retriever  # noqa: E402
from rag.settings import Settings  # noqa: E402

SETS = [*sorted((REPO / "eval" / "train").glob("questions-*.jsonl")), REPO / "eval" / "archive-dev.jsonl"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--archive", action="append", default=[], help="archive folder indexed with the seeds")
    p.add_argument("--index", default="index", help="index of the seeds + archive")
    p.add_argument("--language", choices=["en", "vi"], default="en",
                   help="the questions read (their language as the answerer detects it)")
    p.add_argument("--every", type=int, default=1, help="read every n-th question (a quicker sweep)")
    p.add_argument("--weights", type=float, nargs="+", default=[0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
                   help="dense weights of the fusion to try (Settings.dense_weight: 0.5)")
    p.add_argument("--k", type=int, default=Settings.answer_hits, help="passages retrieved (the answerer reads 8)")
    args = p.parse_args()
    if args.every < 1 or args.k < 1:
        p.error("--every and --k must be at least 1")
    settings = Settings(index_dir=Path(args.index), archives=tuple(Path(a) for a in args.archive), reader="off")
    try:
        rag = RAG(settings, auto_index=False)
        base = rag.load()
    except RagError as exc:
        sys.exit(f"error: {exc}")
    items = [d for path in SETS for _, d in read_jsonl(path)
             if d.get("answerable") and d.get("gold_article_id") and detect_language(d["question"]) == args.language]
    items = items[:: args.every]
    if not items:
        sys.exit(f"error: no answerable {args.language} question to read")
    missing = sum(d["gold_article_id"] not in base.backend.articles for d in items)
    if missing:
        sys.exit(f"error: {missing} of {len(items)} questions' gold articles are not in {args.index}: "
                 "index the seeds with the dev archive (--archive)")
    restore = base.backend.restorer().restore  # a question typed without diacritics is searched restored, as asked
    queries = [(parse_query(d["question"], settings.max_question_chars, restore), d["gold_article_id"]) for d in items]
    print(f"{len(items)} answerable {args.language} questions (training + dev)")
    for weight in args.weights:
        retriever = Retriever(base.backend, base.embedder, replace(settings, dense_weight=weight))
        first = top = 0
        for query, gold in tqdm(queries, desc=f"dense weight {weight}", leave=False):
            ids = [h.article.id for h in retriever.search(query, k=args.k)]
            first += ids[:1] == [gold]
            top += gold in ids
        print(f"dense weight {weight:.2f}: gold article first {first / len(items):.3f}, "
              f"in the top {args.k} {top / len(items):.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
