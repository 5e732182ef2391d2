"""Check an eval set against the articles it is written from, without loading any model.

    python scripts/check_evalset.py eval/archive-dev.jsonl [--archive DIR]
    python scripts/check_evalset.py eval/claims-dev.jsonl
    python scripts/check_evalset.py --show ARTICLE_ID [--archive DIR]
    python scripts/check_evalset.py --find "PHRASE" [--archive DIR]
    python scripts/check_evalset.py --training FILE.jsonl   # also require the training type mix
    python scripts/check_evalset.py --disjoint eval/train/*.jsonl -- eval/archive-dev.jsonl -- eval/blind-test.jsonl
                                         # groups of sets (split by --) that must share no article


For every question: the fields are present and typed; an answerable question's
gold article exists and each gold evidence sentence is found verbatim in the
article's cleaned text (what citations point into); its required numbers and
names are written in that evidence; an ``answer_span``, when given, is copied
from that evidence; and the warning lists other articles that also hold all of
them (the question may not have one answer in the archive). The type mix is
printed; ``--training`` makes a mix below ``QUESTION_MIX`` / ``CLAIM_MIX`` an
error (the shares the reader's training and test sets are written to).
``--show`` prints an article's cleaned text, as the evidence must quote it.
Exit code 1 when any question has an error.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.evaluate.claims import GOLD_VERDICTS as VERDICTS  # noqa: E402
from rag.evaluate.questions import has_name, has_number  # noqa: E402
from rag.ingest.corpus import load_corpus  # noqa: E402
from rag.schema import DIFF_KINDS  # noqa: E402
from rag.text.lang import STOPWORDS  # noqa: E402
from rag.text.vietnamese import fold, words  # noqa: E402

DEFAULT_ARCHIVE = Path(os.environ.get("RAG_ARCHIVE_SAMPLE", REPO.parent / "shared" / "archive-sample" / "vntc"))
# The least share of each kind a training or test set is written with (issues "A reader
# trained here" and "Fact-check that reads").
QUESTION_MIX = {"english": 0.10, "unaccented": 0.10, "paraphrase": 0.15, "near-miss": 0.15}
CLAIM_MIX = {"supported": 0.25, "refuted": 0.25, "nei": 0.15, "long": 0.20}
TYPES = {"figure", "name", "place", "date", "english", "unaccented", "paraphrase", "near-miss", "comparison",
         "list", "unanswerable", "two-turn", "followup"}


def _fields(n: int, d: dict, keys: tuple[str, ...], ids: set, errors: list[str]) -> str:
    """Check one line's required fields and unique id; return how to name it."""
    where = f"line {n} ({d.get('id', '?')})"
    errors += [f"{where}: missing {key}" for key in keys if key not in d]
    if d.get("id") in ids:
        errors.append(f"{where}: duplicate id")
    ids.add(d.get("id"))
    return where


def _evidence(where: str, d: dict, expected: bool, articles: dict, errors: list[str]):
    """Check a line's gold article and evidence: a line without evidence
    (``expected`` False) may name a near article, which must exist; otherwise
    the gold article exists and holds every evidence sentence verbatim.
    Return (article, evidence), or None when there is nothing more to check."""
    if not expected:
        near = d.get("near_article_id")
        if near and near not in articles:
            errors.append(f"{where}: near_article_id {near!r} is not an article")
        return None
    article = articles.get(d.get("gold_article_id", ""))
    if article is None:
        errors.append(f"{where}: gold article {d.get('gold_article_id')!r} not found")
        return None
    evidence = d.get("gold_evidence") or []
    evidence = [evidence] if isinstance(evidence, str) else evidence
    if not evidence:
        errors.append(f"{where}: no gold_evidence")
    for e in evidence:
        if e not in article.text:
            errors.append(f"{where}: evidence not verbatim in the cleaned article: {e[:80]!r}")
    return article, evidence


def check(items: list[dict], articles: dict) -> tuple[list[str], list[str]]:
    errors, warnings = [], []
    ids = set()
    for n, d in enumerate(items, 1):
        where = _fields(n, d, ("id", "type", "question", "answerable"), ids, errors)
        if d.get("type") not in TYPES:
            errors.append(f"{where}: unknown type {d.get('type')!r}")
        found = _evidence(where, d, bool(d.get("answerable")), articles, errors)
        if found is None:
            continue
        article, evidence = found
        joined = " ".join(evidence)
        for x in d.get("required_numbers", []):
            if not has_number(joined, float(x)):
                errors.append(f"{where}: required number {x} is not written in the evidence")
        for name in d.get("required_names", []):
            if not has_name(joined, name):
                errors.append(f"{where}: required name {name!r} is not in the evidence")
        span = d.get("answer_span")
        if span is not None and span not in joined:
            errors.append(f"{where}: answer_span {span!r} is not copied from the evidence")
        if not d.get("required_numbers") and not d.get("required_names"):
            errors.append(f"{where}: give required_numbers or required_names (what a right answer must contain)")
        others = [
            a.id for a in articles.values()
            if a.id != article.id
            and all(has_number(a.text, float(x)) for x in d.get("required_numbers", []))
            and all(has_name(a.text, name) for name in d.get("required_names", []))
        ]
        if 0 < len(others) <= 3:  # more means common figures, which the question's wording must single out
            warnings.append(f"{where}: other articles also hold the required answer: {others}")
    return errors, warnings


def check_claims(items: list[dict], articles: dict) -> tuple[list[str], list[str]]:
    """The same checks for a claims set: a verdict, and for supported or
    refuted claims a gold article whose evidence is verbatim in it."""
    errors, ids = [], set()
    for n, d in enumerate(items, 1):
        where = _fields(n, d, ("id", "claim", "verdict", "type"), ids, errors)
        if d.get("verdict") not in VERDICTS:
            errors.append(f"{where}: unknown verdict {d.get('verdict')!r}")
        for diff in d.get("diffs", []):
            if diff.get("kind") not in DIFF_KINDS:
                errors.append(f"{where}: unknown diff kind {diff.get('kind')!r}")
        found = _evidence(where, d, d.get("verdict") != "nei", articles, errors)
        if found is not None and d.get("verdict") == "refuted" and not d.get("diffs"):
            errors.append(f"{where}: a refuted claim names its diffs")
        if found is not None:
            joined = " ".join(found[1])
            for diff in d.get("diffs", []):
                if diff.get("archive") and not has_name(joined, str(diff["archive"])):
                    errors.append(f"{where}: diff's archive side {diff['archive']!r} is not in the evidence")
    return errors, []


def mix(items: list[dict], claims: bool) -> dict[str, float]:
    """Each kind's share: question types, or claim verdicts plus long claims."""
    n = max(1, len(items))
    keys = [d.get("verdict") for d in items] + ["long"] * sum(bool(d.get("long")) for d in items) if claims else [d.get("type") for d in items]
    return {k: keys.count(k) / n for k in sorted(set(keys), key=str)}


def mix_errors(shares: dict[str, float], least: dict[str, float]) -> list[str]:
    return [f"type mix: {k} is {shares.get(k, 0):.0%} of the set, at least {v:.0%} asked" for k, v in least.items() if shares.get(k, 0) < v]


def evidence_overlap(question: str, evidence: str) -> float:
    """The share of the question's ordinary words (not names, figures or ``STOPWORDS``; accents ignored)
    that its evidence also uses: how far a paraphrase kept to the article's wording."""
    tokens = re.findall(r"\w+", question)  # a capital is a name's, except the question's first word
    asked = [fold(w) for i, w in enumerate(tokens) if not (w[0].isdigit() or (i and w[0].isupper()))]
    asked = [w for w in asked if w not in STOPWORDS]
    said = set(words(evidence))
    return sum(w in said for w in asked) / len(asked) if asked else 0.0


def paraphrase_overlap(items: list[dict]) -> tuple[int, float] | None:
    """How many paraphrases have gold evidence, and the median of their ``evidence_overlap``."""
    shares = sorted(evidence_overlap(d["question"], " ".join(d["gold_evidence"]))
                    for d in items if d.get("type") == "paraphrase" and d.get("gold_evidence"))
    return (len(shares), shares[len(shares) // 2]) if shares else None


def _articles(corpus: Path, archive: Path) -> dict:
    """The cleaned articles, cached in the temp folder while the cleaning code
    and the folders are unchanged (the checker is run again and again)."""
    stamp = [str(p.stat().st_mtime_ns) for p in (REPO / "rag" / "ingest" / "clean.py", REPO / "rag" / "text" / "vietnamese.py", corpus, archive)]
    cache = Path(tempfile.gettempdir()) / "rag-check-evalset.pkl"
    if cache.exists():
        try:
            saved_stamp, articles = pickle.loads(cache.read_bytes())
            if saved_stamp == stamp:
                return articles
        except Exception:  # a damaged or foreign cache is rebuilt
            pass
    articles = {a.id: a for a in load_corpus(corpus, archive).articles}
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps((stamp, articles)))
    os.replace(tmp, cache)
    return articles


def articles_of(path: Path) -> set[str]:
    """The gold and near articles a set's rows are written from."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {a for d in rows for a in (d.get("gold_article_id"), d.get("near_article_id")) if a}


def disjoint(groups: list[list[str]]) -> list[str]:
    """Errors naming each article that two groups of sets share."""
    seen: dict[str, int] = {}
    errors = []
    for g, paths in enumerate(groups):
        for a in sorted(set().union(*(articles_of(Path(p)) for p in paths))):
            if a in seen and seen[a] != g:
                errors.append(f"article {a} is in {' '.join(groups[seen[a]])} and in {' '.join(paths)}")
            seen.setdefault(a, g)
    return errors


def main() -> int:
    if "--disjoint" in sys.argv:
        args = sys.argv[sys.argv.index("--disjoint") + 1 :]
        groups, group = [], []
        for a in args + ["--"]:
            if a == "--":
                groups.append(group) if group else None
                group = []
            else:
                group.append(a)
        missing = [a for g in groups for a in g if not Path(a).is_file()]
        if missing:
            print(f"error: --disjoint takes only eval set files (groups split by --); not a file: {missing[0]}")
            return 2
        errors = disjoint(groups)
        for e in errors:
            print("error:", e)
        print(f"{len(groups)} groups of sets, {len(errors)} shared articles")
        return 1 if errors else 0
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("eval_set", nargs="?", help="JSONL eval set to check")
    p.add_argument("--archive", default=str(DEFAULT_ARCHIVE), help="dev archive folder")
    p.add_argument("--corpus", default=str(REPO / "corpus"), help="seed corpus folder")
    p.add_argument("--show", metavar="ARTICLE_ID", help="print one article's cleaned text")
    p.add_argument("--find", metavar="PHRASE", help="list the articles that contain PHRASE (accents ignored)")
    p.add_argument("--training", action="store_true", help="a type mix below the training shares is an error")
    args = p.parse_args()
    articles = _articles(Path(args.corpus), Path(args.archive))
    if args.show:
        a = articles.get(args.show)
        if a is None:
            print(f"error: no article {args.show!r}", file=sys.stderr)
            return 2
        print(f"id: {a.id}\ntitle: {a.title}\ndate: {a.date}\nprovince: {a.province}\n\n{a.text}")
        return 0
    if args.find:
        for a in articles.values():
            if has_name(f"{a.title} {a.text}", args.find):
                print(a.id, "|", a.title[:80])
        return 0
    if not args.eval_set:
        p.error("give an eval set or --show ARTICLE_ID")
    lines = Path(args.eval_set).read_text(encoding="utf-8").splitlines()
    try:
        items = [json.loads(line) for line in lines if line.strip()]
    except json.JSONDecodeError as exc:
        print(f"error: {args.eval_set}: {exc}", file=sys.stderr)
        return 2
    claims = any("claim" in d for d in items)
    errors, warnings = (check_claims if claims else check)(items, articles)
    shares = mix(items, claims)
    print("type mix:", ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    overlap = None if claims else paraphrase_overlap(items)
    if overlap:
        print(f"paraphrases: a median {overlap[1]:.0%} of their ordinary words are the evidence's ({overlap[0]} rows)")
    if args.training:
        errors += mix_errors(shares, CLAIM_MIX if claims else QUESTION_MIX)
    for w in warnings:
        print("warning:", w)
    for e in errors:
        print("error:", e)
    if claims:
        verdicts = ", ".join(f"{v} {sum(d.get('verdict') == v for d in items)}" for v in sorted(VERDICTS))
        print(f"{len(items)} claims ({verdicts}), {len(errors)} errors")
    else:
        answerable = sum(bool(d.get("answerable")) for d in items)
        print(f"{len(items)} questions ({answerable} answerable), {len(errors)} errors, {len(warnings)} warnings")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
