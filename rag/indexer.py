"""Corpus -> index, incrementally.

In: the corpus folder, the live index (if any) and an embedder factory. Out:
an ``IndexReport`` (added / changed / removed / unchanged articles, chunks
embedded, skipped files, seconds). Only added or changed articles are chunked
and embedded; vectors of unchanged articles are reused; removed ones are
dropped. An unchanged corpus writes nothing and never loads the model.
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
from .schema import Article, Chunk
from .settings import Settings
from .store import FORMAT, IndexData, live_generation, read_index, write_index


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

    def summary(self) -> str:
        lines = [
            f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}, "
            f"unchanged {len(self.unchanged)} articles; {self.embedded} chunks embedded, "
            f"{self.chunks} chunks in the index; {self.seconds:.1f} s"
        ]
        if not self.wrote:
            lines.append("index already up to date: nothing embedded, nothing written")
        if self.skipped:
            counts = ", ".join(f"{n} {reason}" for reason, n in skip_counts(self.skipped).most_common())
            lines.append(f"skipped {len(self.skipped)} files ({counts}); the list is in {self.skipped_report}")
        return "\n".join(lines)


def article_hash(article: Article) -> str:
    payload = json.dumps(article.__dict__ | {"source_file": ""}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def update_index(
    settings: Settings,
    make_embedder: Callable[[], Embedder],
    rebuild: bool = False,
    progress: bool = False,
) -> IndexReport:
    t0 = time.perf_counter()
    corpus = load_corpus(settings.corpus_dir, *settings.archives)
    t_load = time.perf_counter() - t0
    report = write_skipped(settings.index_dir, corpus.skipped)

    previous: IndexData | None = None
    if not rebuild and live_generation(settings.index_dir) is not None:
        previous = read_index(settings.index_dir, settings)  # raises IndexMismatch
    old_hashes: dict[str, str] = previous.manifest["articles"] if previous else {}

    new_hashes = {a.id: article_hash(a) for a in corpus.articles}
    added = [i for i in new_hashes if i not in old_hashes]
    changed = [i for i in new_hashes if i in old_hashes and old_hashes[i] != new_hashes[i]]
    unchanged = [i for i in new_hashes if old_hashes.get(i) == new_hashes[i]]
    removed = [i for i in old_hashes if i not in new_hashes]

    if previous is not None and not (added or changed or removed):
        return IndexReport(
            unchanged=tuple(unchanged), skipped=corpus.skipped, chunks=len(previous.chunks),
            seconds=time.perf_counter() - t0, skipped_report=report,
        )

    keep = set(unchanged)
    chunks: list[Chunk] = []
    tokens: list[list[str]] = []
    parts: list[np.ndarray] = []
    if previous is not None:
        rows = [i for i, c in enumerate(previous.chunks) if c.article_id in keep]
        chunks += [previous.chunks[i] for i in rows]
        tokens += [previous.tokens[i] for i in rows]
        parts.append(previous.vectors[rows])

    fresh = [a for a in corpus.articles if a.id not in keep]
    t1 = time.perf_counter()
    new_chunks = [c for a in fresh for c in chunk_article(a, settings.chunk_chars, settings.overlap_sentences)]
    new_tokens = [tokenize(f"{c.header}\n{c.text}") for c in new_chunks]
    t_chunk = time.perf_counter() - t1
    t2 = time.perf_counter()
    if new_chunks:
        embedder = make_embedder()
        if embedder.dim != settings.dim:
            raise IndexMismatch(f"embedder gives {embedder.dim}-dim vectors, settings expect {settings.dim}")
        parts.append(embedder.embed_passages([c.for_embedding() for c in new_chunks], progress=progress))
    t_embed = time.perf_counter() - t2

    chunks += new_chunks
    tokens += new_tokens
    vectors = np.concatenate(parts) if parts else np.zeros((0, settings.dim), dtype=np.float32)
    manifest = {
        "format": FORMAT,
        **settings.index_signature(),
        "articles": new_hashes,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "counts": {"articles": len(corpus.articles), "chunks": len(chunks)},
    }
    write_index(settings.index_dir, IndexData(manifest, {a.id: a for a in corpus.articles}, chunks, tokens, vectors))
    return IndexReport(
        added=tuple(added), changed=tuple(changed), removed=tuple(removed), unchanged=tuple(unchanged),
        skipped=corpus.skipped, chunks=len(chunks), embedded=len(new_chunks),
        seconds=time.perf_counter() - t0, wrote=True,
        timings={"load_corpus": t_load, "chunk_and_tokenize": t_chunk, "embed": t_embed},
        skipped_report=report,
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
