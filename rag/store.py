"""The on-disk index: write atomically, read back with its settings checked.

In/out: ``IndexData`` (manifest, articles, chunks, their lexical tokens, and
the vectors). Layout of ``index/``::

    CURRENT            name of the live generation (replaced atomically)
    gen-<time>/        manifest.json, articles.jsonl, chunks.jsonl,
                       vectors.npy, dense.faiss

A build writes a new generation folder beside the live one and only then
swaps ``CURRENT`` with ``os.replace``; a crash at any point leaves the previous
index readable. Reading refuses an index whose model or chunker settings
differ from the current ``Settings``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import IndexMismatch, IndexMissing
from .schema import Article, Chunk
from .settings import Settings
from .vectors import VectorIndex

FORMAT = 1
CURRENT = "CURRENT"


@dataclass
class IndexData:
    manifest: dict
    articles: dict[str, Article]
    chunks: list[Chunk]
    tokens: list[list[str]]
    vectors: np.ndarray


def _jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def live_generation(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT
    if not pointer.exists():
        return None
    gen = index_dir / pointer.read_text().strip()
    return gen if (gen / "manifest.json").exists() else None


def write_index(index_dir: Path, data: IndexData) -> Path:
    """Write ``data`` as a new generation and make it live. Returns its folder."""
    index_dir.mkdir(parents=True, exist_ok=True)
    gen = index_dir / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    gen.mkdir()
    try:
        _jsonl(gen / "articles.jsonl", (a.__dict__ for a in data.articles.values()))
        _jsonl(gen / "chunks.jsonl", ({**c.__dict__, "tokens": t} for c, t in zip(data.chunks, data.tokens)))
        np.save(gen / "vectors.npy", data.vectors)
        VectorIndex.build(data.vectors).save(gen / "dense.faiss")
        (gen / "manifest.json").write_text(json.dumps(data.manifest, ensure_ascii=False, indent=2))
        tmp = index_dir / f"{CURRENT}.tmp"
        tmp.write_text(gen.name)
        os.replace(tmp, index_dir / CURRENT)  # the atomic switch
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
    for old in index_dir.glob("gen-*"):
        if old != gen:
            shutil.rmtree(old, ignore_errors=True)
    return gen


def check_signature(manifest: dict, settings: Settings, index_dir: Path) -> None:
    want = settings.index_signature()
    have = {k: manifest.get(k) for k in want}
    if manifest.get("format") != FORMAT or have != want:
        diff = [f"{k}: index has {have[k]!r}, settings want {want[k]!r}" for k in want if have[k] != want[k]]
        if manifest.get("format") != FORMAT:
            diff.append(f"format: index has {manifest.get('format')!r}, this version reads {FORMAT}")
        raise IndexMismatch(
            f"The index in {index_dir} was built with other settings ("
            + "; ".join(diff)
            + "). Rebuild it with: rag index --rebuild"
        )


def read_manifest(index_dir: Path) -> dict | None:
    gen = live_generation(index_dir)
    return json.loads((gen / "manifest.json").read_text()) if gen else None


def read_index(index_dir: Path, settings: Settings) -> IndexData:
    gen = live_generation(index_dir)
    if gen is None:
        raise IndexMissing(f"No index in {index_dir}. Build it with: rag index")
    manifest = json.loads((gen / "manifest.json").read_text())
    check_signature(manifest, settings, index_dir)
    articles = {row["id"]: Article(**row) for row in _read_jsonl(gen / "articles.jsonl")}
    chunks, tokens = [], []
    for row in _read_jsonl(gen / "chunks.jsonl"):
        tokens.append(row.pop("tokens"))
        chunks.append(Chunk(**row))
    vectors = np.load(gen / "vectors.npy")
    if len(vectors) != len(chunks):
        raise IndexMismatch(f"{gen} holds {len(vectors)} vectors for {len(chunks)} chunks; rebuild with: rag index --rebuild")
    return IndexData(manifest, articles, chunks, tokens, vectors)


def dense_index(index_dir: Path) -> VectorIndex:
    gen = live_generation(index_dir)
    if gen is None:
        raise IndexMissing(f"No index in {index_dir}. Build it with: rag index")
    return VectorIndex.load(gen / "dense.faiss")
