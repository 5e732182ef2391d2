"""Corpus -> index, incrementally.

In: the corpus folder, the live index (if any) and an embedder factory. Out:
an ``IndexReport`` (added / changed / removed / unchanged articles, chunks
embedded, skipped files, seconds). Only added or changed articles are chunked
and embedded; vectors of unchanged articles are reused; removed ones are
dropped. An unchanged corpus writes nothing and never loads the model.
One writer at a time (``lock``); crash leftovers are removed first, and a
damaged index is repaired from what is intact (``repair``), never reported
as up to date.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .chunking import chunk_article
from .corpus import Skipped, load_corpus, skip_counts
from .embedder import Embedder
from .errors import IndexMismatch
from .lexical import tokenize
from .schema import PROVENANCE_FIELDS, Article, Chunk
from .settings import Settings
from .lock import index_lock
from .repair import salvage
from .store import FORMAT, IndexData, remove_stale, write_index, writing


SKIPPED_FILE = "skipped.tsv"


@dataclass(frozen=True)
class IndexReport:
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    wrote: bool = False
    timings: dict = field(default_factory=dict)
    skipped_report: str = ""
    repairs: tuple[str, ...] = ()  # what was damaged in the previous index and how it was mended
    cleaned: tuple[str, ...] = ()  # crash leftovers removed (CURRENT.tmp, incomplete generations)

    def summary(self) -> str:
        lines = [
            f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}, "
            f"unchanged {len(self.unchanged)} articles; {self.embedded} chunks embedded, "
            f"{self.chunks} chunks in the index; {self.seconds:.1f} s"
        ]
        lines += [f"repaired: {r}" for r in self.repairs]
        if self.cleaned:
            lines.append(f"removed crash leftovers: {', '.join(self.cleaned)}")
        if not self.wrote:
            lines.append("index already up to date: nothing embedded, nothing written")
        if self.skipped:
            counts = ", ".join(f"{n} {reason}" for reason, n in skip_counts(self.skipped).most_common())
            lines.append(f"skipped {len(self.skipped)} files ({counts}); the list is in {self.skipped_report}")
        return "\n".join(lines)


def article_hash(article: Article) -> str:
    """Hash of what the chunks are made of (provenance and file name left out)."""
    content = {k: v for k, v in article.__dict__.items() if k not in PROVENANCE_FIELDS}
    payload = json.dumps(content | {"source_file": ""}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def provenance(article: Article) -> str:
    return "|".join(getattr(article, f) for f in PROVENANCE_FIELDS)


def update_index(
    settings: Settings,
    make_embedder: Callable[[], Embedder],
    rebuild: bool = False,
    progress: bool = False,
) -> IndexReport:
    """Bring the index in line with the corpus, one writer at a time (waits
    for another writer up to ``settings.index_lock_timeout_s``)."""
    with index_lock(settings.index_dir, settings.index_lock_timeout_s):
        return _update(settings, make_embedder, rebuild, progress)


def _update(settings: Settings, make_embedder: Callable[[], Embedder], rebuild: bool, progress: bool) -> IndexReport:
    t0 = time.perf_counter()
    corpus = load_corpus(settings.corpus_dir, *settings.archives, max_bytes=settings.max_file_bytes)
    t_load = time.perf_counter() - t0
    with writing(settings.index_dir):
        cleaned = remove_stale(settings.index_dir)
        report = write_skipped(settings.index_dir, corpus.skipped)

    previous = salvage(settings.index_dir, settings, rebuild)  # raises IndexMismatch
    old_hashes = previous.hashes

    new_hashes = {a.id: article_hash(a) for a in corpus.articles}
    origins = {a.id: provenance(a) for a in corpus.articles}
    restamped = previous.found and previous.provenance != origins  # rewritten, never re-embedded
    added = [i for i in new_hashes if i not in old_hashes]
    changed = [i for i in new_hashes if i in old_hashes and old_hashes[i] != new_hashes[i]]
    unchanged = [i for i in new_hashes if old_hashes.get(i) == new_hashes[i]]
    removed = [i for i in old_hashes if i not in new_hashes]

    if previous.found and not (added or changed or removed or previous.repairs or restamped):
        return IndexReport(
            unchanged=tuple(unchanged), skipped=corpus.skipped, chunks=len(previous.chunks),
            seconds=time.perf_counter() - t0, skipped_report=report, cleaned=cleaned,
        )

    keep = set(unchanged)
    rows = [i for i, c in enumerate(previous.chunks) if c.article_id in keep]
    chunks: list[Chunk] = [previous.chunks[i] for i in rows]
    tokens: list[list[str]] = [previous.tokens[i] for i in rows]
    vectors_lost = previous.vectors is None  # damaged: the reused chunks are embedded again
    parts: list[np.ndarray] = [] if vectors_lost else [previous.vectors[rows]]
    reused = {c.article_id for c in chunks}

    fresh = [a for a in corpus.articles if a.id not in reused]
    t1 = time.perf_counter()
    new_chunks = [c for a in fresh for c in chunk_article(a, settings.chunk_chars, settings.overlap_sentences)]
    new_tokens = [tokenize(f"{c.header}\n{c.text}") for c in new_chunks]
    t_chunk = time.perf_counter() - t1
    t2 = time.perf_counter()
    to_embed = chunks + new_chunks if vectors_lost else new_chunks
    if to_embed:
        embedder = make_embedder()
        if embedder.dim != settings.dim:
            raise IndexMismatch(f"embedder gives {embedder.dim}-dim vectors, settings expect {settings.dim}")
        parts.append(embedder.embed_passages([c.for_embedding() for c in to_embed], progress=progress))
    t_embed = time.perf_counter() - t2

    chunks += new_chunks
    tokens += new_tokens
    vectors = np.concatenate(parts) if parts else np.zeros((0, settings.dim), dtype=np.float32)
    manifest = {
        "format": FORMAT,
        **settings.index_signature(),
        "articles": new_hashes,
        "provenance": origins,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "counts": {"articles": len(corpus.articles), "chunks": len(chunks)},
    }
    write_index(settings.index_dir, IndexData(manifest, {a.id: a for a in corpus.articles}, chunks, tokens, vectors))
    return IndexReport(
        added=tuple(added), changed=tuple(changed), removed=tuple(removed), unchanged=tuple(unchanged),
        skipped=corpus.skipped, chunks=len(chunks), embedded=len(to_embed),
        seconds=time.perf_counter() - t0, wrote=True,
        timings={"load_corpus": t_load, "chunk_and_tokenize": t_chunk, "embed": t_embed},
        skipped_report=report, repairs=previous.repairs, cleaned=cleaned,
    )


def write_skipped(index_dir: Path, skipped: tuple[Skipped, ...]) -> str:
    """The full list of skipped files (file, reason), one per line, replaced
    atomically at every run; returns its path ("" when nothing was skipped)."""
    path = index_dir / SKIPPED_FILE
    if not skipped:
        path.unlink(missing_ok=True)
        return ""
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("file\treason\n" + "".join(f"{s.file}\t{s.reason}\n" for s in skipped), encoding="utf-8")
    os.replace(tmp, path)
    return str(path)
