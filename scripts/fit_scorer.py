"""Fit the answer scorer (``rag/answer/scorer.json``) on dev eval sets only.

    python scripts/fit_scorer.py --archive ../shared/archive-sample/vntc --index /tmp/index-archive \
        --set eval/archive-dev.jsonl --set eval/qa.jsonl

For each dev question, every candidate sentence the pipeline considers is a
training row: its signals, labelled 1 when it overlaps the question's gold
evidence. A first logistic regression ranks sentences. A second one decides
answerability from the best sentence's signals, rank probability and margin
over the next sentence,
labelled 1 when that sentence is the gold evidence of an answerable
question. The answer threshold is then swept over the dev questions,
choosing the one with the most right outcomes where a false answer (a wrong
sentence answered, or an unanswerable question answered) costs twice a
refusal, averaged with its neighbouring thresholds (``choose``). Never pass
a test split here: the test figures would no longer be honest. Prints the
sweep and writes the record with what it was fitted on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.answer.scorer import DECIDER_EXTRAS, ScorerWeights  # noqa: E402
from rag.answer.signals import FEATURES  # noqa: E402
from rag.api import RAG  # noqa: E402
from rag.evaluate.questions import first_rank, gold_spans, load_items  # noqa: E402
from rag.settings import Settings  # noqa: E402

FALSE_ANSWER_COST = 2.0


def collect(rag: RAG, paths: list[Path]):
    articles = rag.load().backend.articles
    rows = []  # (question index, features, label, blocked)
    questions = []  # (answerable, item id)
    for path in paths:
        for item in load_items(path):
            if "test" in path.name:
                raise SystemExit(f"refusing to fit on a test split: {path}")
            if item.history:
                continue  # multi-turn cases are scored through the follow-up rewriter, not here
            gold = gold_spans(item, articles)
            q = len(questions)
            questions.append((item.answerable, item.id))
            for c in rag.candidates(item.question):
                label = bool(gold) and first_rank([(c.hit.article.id, c.start, c.end)], gold) is not None
                rows.append((q, c.signals.vector(), label, bool(c.blocker)))
    return rows, questions


def top_rows(rows, questions, weights: np.ndarray, bias: float):
    """Per question, the best unblocked candidate under the ranker: its
    features plus ``DECIDER_EXTRAS`` (rank probability, margin over the next
    candidate), and whether the question is answered right by it (answerable
    and gold)."""
    ranked: dict[int, list[tuple[float, list[float], bool]]] = {}
    for q, x, label, blocked in rows:
        if not blocked:
            p = 1 / (1 + np.exp(-(bias + float(np.dot(weights, x)))))
            ranked.setdefault(q, []).append((p, x, label))
    out = []
    for q, (answerable, _) in enumerate(questions):
        cands = sorted(ranked.get(q, []), key=lambda r: -r[0])
        if cands:
            (p, x, label), runner_up = cands[0], (cands[1][0] if len(cands) > 1 else 0.0)
            extras = {"rank_probability": p, "margin": p - runner_up}
            out.append((q, [*x, *(extras[e] for e in DECIDER_EXTRAS)], answerable and label))
        else:
            out.append((q, None, False))
    return out


def sweep(tops, questions, model) -> list[tuple[float, float, dict]]:
    """(threshold, utility, figures) for thresholds 0.05 .. 0.95."""
    probs = {q: (model.predict_proba([x])[0, 1] if x is not None else 0.0, right) for q, x, right in tops}
    n_ans = sum(a for a, _ in questions) or 1
    n_un = (len(questions) - sum(a for a, _ in questions)) or 1
    out = []
    for t in np.arange(0.05, 0.96, 0.025):
        right = wrong = refused_ok = answered_bad = abstained = 0
        for q, (answerable, _) in enumerate(questions):
            p, is_right = probs[q]
            answers = p >= t
            if answerable:
                abstained += not answers
                right += answers and is_right
                wrong += answers and not is_right
            else:
                refused_ok += not answers
                answered_bad += answers
        utility = right + refused_ok - FALSE_ANSWER_COST * (wrong + answered_bad)
        out.append((round(float(t), 3), utility, {
            "right_sentence": round(float(right) / n_ans, 3), "wrong_sentence": round(float(wrong) / n_ans, 3),
            "abstained": round(abstained / n_ans, 3), "refusal": round(refused_ok / n_un, 3),
        }))
    return out


def choose(table: list[tuple[float, float, dict]]) -> int:
    """Index of the threshold with the best utility averaged with its two
    neighbours: the curve is flat near its top, so a lone peak one step wide
    is noise. A tie goes to the higher threshold (a false answer is the worse error)."""
    def smoothed(i: int) -> float:
        near = table[max(0, i - 1) : i + 2]
        return sum(r[1] for r in near) / len(near)
    return max(range(len(table)), key=lambda i: (smoothed(i), table[i][0]))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", default="corpus")
    p.add_argument("--archive", action="append", default=[])
    p.add_argument("--index", default="index")
    p.add_argument("--set", action="append", required=True, help="dev eval set (repeatable)")
    p.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    p.add_argument("--dry-run", action="store_true", help="print, do not write rag/answer/scorer.json")
    args = p.parse_args()
    from sklearn.linear_model import LogisticRegression

    settings = Settings(corpus_dir=Path(args.corpus), index_dir=Path(args.index), archives=tuple(map(Path, args.archive)),
                        reader="off")  # the scorer's own candidates
    rag = RAG(settings, auto_index=False)
    rows, questions = collect(rag, [Path(s) for s in args.set])
    x = np.array([r[1] for r in rows if not r[3]])
    y = np.array([r[2] for r in rows if not r[3]])
    print(f"{len(questions)} questions, {len(rows)} candidate sentences ({int(y.sum())} gold, {sum(r[3] for r in rows)} blocked)")
    ranker = LogisticRegression(C=args.C, class_weight="balanced", max_iter=2000).fit(x, y)
    weights, bias = ranker.coef_[0], float(ranker.intercept_[0])
    tops = top_rows(rows, questions, weights, bias)
    fit = [(xq, right) for _, xq, right in tops if xq is not None]
    decider = LogisticRegression(C=args.C, max_iter=2000).fit([f[0] for f in fit], [f[1] for f in fit])
    table = sweep(tops, questions, decider)
    for t, u, figs in table:
        print(f"threshold {t:.3f}  utility {u:7.1f}  {figs}")
    threshold, utility, figs = table[choose(table)]
    record = ScorerWeights(
        bias=round(bias, 4),
        weights={name: round(float(w), 4) for name, w in zip(FEATURES, weights)},
        answer_bias=round(float(decider.intercept_[0]), 4),
        answer_weights={name: round(float(w), 4) for name, w in zip((*FEATURES, *DECIDER_EXTRAS), decider.coef_[0])},
        threshold=threshold,
        fitted_on=", ".join(args.set),
        notes={"questions": len(questions), "candidates": len(rows), "C": args.C,
               "false_answer_cost": FALSE_ANSWER_COST, "dev_at_threshold": figs},
    )
    print("chosen:", record)
    if not args.dry_run:
        record.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
