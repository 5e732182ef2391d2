"""The on-disk index: write atomically, verify, read one generation back.

In: a ``Generation`` to write (manifest, articles, chunks, their lexical
tokens, their vectors). Out, read back: ``IndexData`` (manifest, articles,
chunks, the FAISS index holding the vectors, the bm25s lexical index, the
accent table's path). Layout of ``index/``::

    CURRENT            name of the live generation (replaced atomically)
    gen-<time>/        manifest.json, articles.jsonl, chunks.jsonl,
                       tokens.jsonl, dense.faiss, restorer.sqlite,
                       lexical/ (bm25s: sparse score matrix + vocabulary)
    .lock              held by the one writer (``lock.index_lock``)

Vectors are stored once, in ``dense.faiss``. The lexical index and the
accent table are built at write time, so a reader tokenises nothing; only a
writer reads ``tokens.jsonl`` (to rebuild the lexical index after a change).

A build (under the lock) writes a new generation folder beside the live one,
records each file's size and sha256 in its manifest, and only then swaps
``CURRENT`` with ``os.replace``; a crash at any point leaves the previous index
readable, and ``remove_stale`` clears what it left. A generation is never
changed once written: a reader resolves ``CURRENT`` once and reads every file
from that folder, re-reading the new one if a writer removed it meanwhile.
``damage`` lists what is wrong with the live generation; reading a damaged one
raises ``IndexDamaged``, never a traceback. Reading refuses an index whose model
or chunker settings differ from the current ``Settings``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from rag.errors import IndexDamaged, IndexMissing
from rag.fileio import fingerprint
from rag.index.accents import AccentRestorer
from rag.index.base import check_signature, read_json_object, writing
from rag.index.files.vectors import VectorIndex
from rag.index.lexical import LexicalIndex
from rag.schema import Article, Chunk
from rag.settings import Settings

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
LEXICAL = "lexical"
RESTORER = "restorer.sqlite"
# each with size + sha256 in the manifest, as are the files under lexical/
BYTES_PER_CHUNK = 11_000  # measured: the seeds + dev archive (10,726 chunks, 384-dim vectors) take 115 MB
FILES = ("articles.jsonl", "chunks.jsonl", "tokens.jsonl", "dense.faiss", RESTORER)
GEN_NAME = re.compile(r"gen-[\w.-]+")
DELAY_ENV = "RAG_TEST_DELAY_AFTER_SWITCH"  # test hook: seconds to wait between the switch and the cleanup
LOAD_ERRORS = (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError)  # a corrupt file, not a bug


@dataclass
class Generation:
    """What a writer hands over: one row of ``tokens`` and ``vectors`` per chunk."""

    manifest: dict
    articles: dict[str, Article]
    chunks: list[Chunk]
    tokens: list[list[str]]
    vectors: np.ndarray


@dataclass
class IndexData:
    """One generation, read back for questions."""

    manifest: dict
    articles: dict[str, Article]
    chunks: list[Chunk]
    dense: VectorIndex
    lexical: LexicalIndex
    folder: Path


# ------------------------------------------------------------------ files
def _jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_articles(gen: Path) -> dict[str, Article]:
    return {row["id"]: Article(**row) for row in _read_jsonl(gen / "articles.jsonl")}


def read_chunks(gen: Path) -> list[Chunk]:
    return [Chunk(**row) for row in _read_jsonl(gen / "chunks.jsonl")]


def read_tokens(gen: Path) -> list[list[str]]:
    with (gen / "tokens.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_dense(gen: Path) -> VectorIndex:
    return VectorIndex.load(gen / "dense.faiss")


def _recorded_files(manifest: dict) -> dict:
    return manifest.get("files") if isinstance(manifest.get("files"), dict) else {}


def generation_manifest(gen: Path) -> dict | None:
    """The manifest of ``gen``; None when missing or unreadable."""
    return read_json_object(gen / MANIFEST)


# ------------------------------------------------------------ generations
def live_generation(index_dir: Path) -> Path | None:
    """The folder ``CURRENT`` names (it may be missing or damaged: see
    ``damage``); None when there is no index at all."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        name = ""
    return index_dir / (name if GEN_NAME.fullmatch(name) else CURRENT)  # CURRENT itself: names no generation


def damage(index_dir: Path, full: bool = True) -> dict[str, str]:
    """What is wrong with the live generation, by file: {} when it is sound
    (or when there is no index). ``full`` compares sha256 too, else sizes only."""
    gen = live_generation(index_dir)
    return generation_damage(gen, full) if gen else {}


def generation_damage(gen: Path, full: bool = True) -> dict[str, str]:
    """``damage`` of the generation folder that ``CURRENT`` named."""
    if gen.name == CURRENT:
        return {CURRENT: "CURRENT names no generation"}
    if not gen.is_dir():
        return {CURRENT: f"CURRENT names {gen.name}, which is missing"}
    if not (gen / MANIFEST).exists():
        return {MANIFEST: f"{MANIFEST} missing"}
    manifest = generation_manifest(gen)
    if manifest is None:
        return {MANIFEST: f"{MANIFEST} unreadable"}
    recorded = _recorded_files(manifest)
    problems = {}
    for name in dict.fromkeys([*FILES, *recorded]):
        path, want = gen / name, recorded.get(name)
        try:  # a writer may remove an old generation while it is checked: a vanished file is missing
            if not path.is_file():
                problems[name] = f"{name} missing"
            elif want and (size := path.stat().st_size) != want.get("size"):
                problems[name] = f"{name}: size {size}, manifest says {want.get('size')}"
            elif want and full and fingerprint(path)["sha256"] != want.get("sha256"):
                problems[name] = f"{name}: content differs from its sha256 in the manifest"
        except FileNotFoundError:
            problems[name] = f"{name} missing"
    return problems


def _damaged(index_dir: Path, problems) -> IndexDamaged:
    return IndexDamaged.at(index_dir, "; ".join(problems))


def remove_stale(index_dir: Path) -> tuple[str, ...]:
    """Remove ``CURRENT.tmp`` and every generation but the live one (call
    under the writer lock). Returns the crash leftovers among them: the
    switch file and generations without a readable manifest."""
    live = live_generation(index_dir)
    leftovers = []
    tmp = index_dir / f"{CURRENT}.tmp"
    if tmp.exists():
        tmp.unlink()
        leftovers.append(tmp.name)
    for gen in sorted(index_dir.glob("gen-*")):
        if gen != live:
            if generation_manifest(gen) is None:
                leftovers.append(f"{gen.name} (incomplete)")
            shutil.rmtree(gen, ignore_errors=True)
    return tuple(leftovers)


def _pause_after_switch() -> None:
    delay = os.environ.get(DELAY_ENV)
    if delay:
        time.sleep(float(delay))


def _write_files(gen: Path, data: Generation, settings: Settings) -> list[str]:
    """Every file of a generation but the manifest; returns their names."""
    _jsonl(gen / "articles.jsonl", (a.__dict__ for a in data.articles.values()))
    _jsonl(gen / "chunks.jsonl", (c.__dict__ for c in data.chunks))
    _jsonl(gen / "tokens.jsonl", data.tokens)
    VectorIndex.build(data.vectors, settings.hnsw_threshold, settings.hnsw_m, settings.hnsw_ef_construction).save(
        gen / "dense.faiss")
    LexicalIndex.build(data.tokens, settings.bm25_k1, settings.bm25_b).save(gen / LEXICAL)
    AccentRestorer().fit(c.text for c in data.chunks).save(gen / RESTORER)
    return [*FILES, *(f"{LEXICAL}/{p.name}" for p in sorted((gen / LEXICAL).iterdir()))]


def generation_bytes(index_dir: Path, chunks: int) -> int:
    """About how many bytes a generation of ``chunks`` chunks takes: the live
    generation's size per chunk where there is one, else ``BYTES_PER_CHUNK``."""
    live = live_generation(index_dir)
    manifest = generation_manifest(live) if live else None
    held = (manifest or {}).get("counts", {}).get("chunks", 0)
    if live is not None and held:
        size = sum(p.stat().st_size for p in live.rglob("*") if p.is_file())
        return int(size / held * chunks)
    return BYTES_PER_CHUNK * chunks


def write_index(index_dir: Path, data: Generation, settings: Settings) -> Path:
    """Write ``data`` as a new generation and make it live; the caller holds
    the writer lock. Returns its folder. On failure nothing changes."""
    with writing(index_dir, needed=lambda: generation_bytes(index_dir, len(data.chunks))):
        index_dir.mkdir(parents=True, exist_ok=True)
        gen = index_dir / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        tmp = index_dir / f"{CURRENT}.tmp"
        gen.mkdir()
        try:
            files = {name: fingerprint(gen / name) for name in _write_files(gen, data, settings)}
            (gen / MANIFEST).write_text(json.dumps({**data.manifest, "files": files}, ensure_ascii=False, indent=2))
            tmp.write_text(gen.name)
            os.replace(tmp, index_dir / CURRENT)  # the atomic switch
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            tmp.unlink(missing_ok=True)
            raise
    _pause_after_switch()
    remove_stale(index_dir)
    return gen


# ---------------------------------------------------------------- reading
def read_manifest(index_dir: Path) -> dict | None:
    """The live manifest; None when there is no index or it is unreadable."""
    gen = live_generation(index_dir)
    return generation_manifest(gen) if gen else None


def _load_file(index_dir: Path, gen: Path, name: str, reader: Callable[[Path], object]):
    """``reader(gen)``, with a corrupt or vanished ``name`` raised as ``IndexDamaged``."""
    try:
        return reader(gen)
    except LOAD_ERRORS as exc:
        raise _damaged(index_dir, [f"{name} unreadable"]) from exc


def _read(index_dir: Path, gen: Path, settings: Settings) -> IndexData:
    manifest = generation_manifest(gen) or {}
    affordable = sum(int(f.get("size") or 0) for f in _recorded_files(manifest).values() if isinstance(f, dict))
    problems = generation_damage(gen, full=affordable <= settings.verify_sha256_bytes)  # a same-size edit too
    if problems:
        raise _damaged(index_dir, problems.values())
    check_signature(manifest, settings, index_dir)
    articles = _load_file(index_dir, gen, "articles.jsonl", read_articles)
    chunks = _load_file(index_dir, gen, "chunks.jsonl", read_chunks)
    dense = _load_file(index_dir, gen, "dense.faiss", lambda g: VectorIndex.load(g / "dense.faiss", settings.hnsw_ef_search))
    lexical = _load_file(index_dir, gen, LEXICAL, lambda g: LexicalIndex.load(g / LEXICAL, settings.bm25_k1))
    if not len(chunks) == len(dense) == len(lexical):
        raise _damaged(index_dir, [f"{len(chunks)} chunks, {len(dense)} in dense.faiss, {len(lexical)} in {LEXICAL}/"])
    if any(c.article_id not in articles for c in chunks):
        raise _damaged(index_dir, ["chunks.jsonl names articles missing from articles.jsonl"])
    return IndexData(manifest, articles, chunks, dense, lexical, gen)


def read_index(index_dir: Path, settings: Settings) -> IndexData:
    """Every file of ONE generation, checked for size and consistency."""
    gen = live_generation(index_dir)
    if gen is None:
        raise IndexMissing.at(index_dir)
    try:
        return _read(index_dir, gen, settings)
    except IndexDamaged:
        now = live_generation(index_dir)
        if now is None or now == gen:
            raise
        return _read(index_dir, now, settings)  # a writer replaced it while we read: read the new one
