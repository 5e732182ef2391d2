"""Articles -> which of them repeat an earlier one (exact or near copies).

In: articles in the order in which copies give way (``keep_order``: the ones
already in the index first, then the older). Out: ``{duplicate id: id of the
first article it repeats}``; the first article of each group is kept, and
``why_kept`` says why in words. Exact: the same text
once whitespace is normalised. Near: a Jaccard similarity of word 5-shingles
of at least ``NEAR_DUPLICATE``. Near pairs are found by prefix filtering (two
shingle sets that reach the threshold share one of the first few shingles of
each in one global order), so the cost grows with the number of articles,
not its square; each candidate pair is then measured exactly. Shingle sets
are sorted arrays of 64-bit hashes: about 8 bytes per word held.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from typing import Collection, Mapping, Sequence

import numpy as np

from rag.schema import Article

SHINGLE_WORDS = 5
NEAR_DUPLICATE = 0.9  # Jaccard of word 5-shingles at or above which two articles are one


def shingles(text: str, n: int = SHINGLE_WORDS) -> np.ndarray:
    """Sorted hashes of the runs of ``n`` lower-cased words of ``text`` (of the
    whole text when shorter; punctuation stays on its word, which is cheaper
    than a tokenizer); comparable within one process."""
    toks = text.lower().split()
    runs = zip(*(toks[i:] for i in range(n))) if len(toks) > n else [tuple(toks)]
    return np.unique(np.fromiter(map(hash, runs), dtype=np.int64))


def overlap(a: np.ndarray, b: np.ndarray) -> int:
    """How many shingles two sets share."""
    return len(np.intersect1d(a, b, assume_unique=True))


def keep_order(articles: Sequence[Article], indexed: Collection[str] = (),
               mtimes: Mapping[str, float] | None = None) -> list[Article]:
    """``articles`` in the order of which copy is kept: one already in the index
    (``indexed``: its ids) before a newcomer, so that a near-copy added later
    (an edited figure in a new file) never displaces what is served; then dated
    before undated and older before newer; then the older file (``mtimes``:
    id -> modification time); then load order."""
    mtimes = mtimes or {}
    return sorted(articles, key=lambda a: (a.id not in indexed, not a.date, a.date, mtimes.get(a.id, 0.0)))


def why_kept(kept: Article, copy: Article, indexed: Collection[str] = (),
             mtimes: Mapping[str, float] | None = None) -> str:
    """Why ``kept`` and not ``copy`` is the one indexed, in words (``keep_order``'s rule)."""
    mtimes = mtimes or {}
    if kept.id in indexed:
        return "kept: already in the index"
    if kept.date and kept.date != copy.date:
        return f"kept: older ({kept.date}, this one {copy.date or 'undated'})"
    if mtimes.get(kept.id, 0.0) < mtimes.get(copy.id, 0.0):
        return "kept: the older file"
    return "kept: first in load order"


def find_duplicates(articles: Sequence[Article], threshold: float = NEAR_DUPLICATE) -> dict[str, str]:
    """Map each article that repeats an earlier one to the first one's id."""
    firsts: dict[bytes, str] = {}  # digest of the normalised text -> first id
    dup: dict[str, str] = {}
    kept: list[tuple[str, np.ndarray]] = []
    for a in articles:
        key = hashlib.blake2b(" ".join(a.text.split()).encode("utf-8"), digest_size=16).digest()
        if key in firsts:
            dup[a.id] = firsts[key]
        else:
            firsts[key] = a.id
            kept.append((a.id, shingles(a.text)))
    return dup | _near(kept, threshold)


def _near(items: list[tuple[str, np.ndarray]], threshold: float) -> dict[str, str]:
    posting: dict[int, list[int]] = defaultdict(list)  # shingle -> kept items whose prefix holds it
    dup: dict[str, str] = {}
    for i, (article_id, sh) in enumerate(items):
        prefix = sh[: len(sh) - math.ceil(threshold * len(sh)) + 1].tolist()  # hash order: a random one
        candidates = sorted({j for h in prefix for j in posting.get(h, ())})
        first = next((items[j][0] for j in candidates if _similar(sh, items[j][1], threshold)), None)
        if first is not None:  # candidates in load order: the first article wins
            dup[article_id] = first
            continue
        for h in prefix:
            posting[h].append(i)
    return dup


def _similar(a: np.ndarray, b: np.ndarray, threshold: float) -> bool:
    if min(len(a), len(b)) < threshold * max(len(a), len(b)):
        return False  # sizes alone rule it out
    shared = overlap(a, b)
    return shared >= threshold * (len(a) + len(b) - shared)
