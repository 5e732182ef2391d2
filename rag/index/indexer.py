"""Corpus -> index, incrementally.

In: the corpus folder, the live index (through an ``IndexWriter`` of the
configured backend), an embedder factory and an ``Engine`` (where reading and
embedding run: this process, or Ray workers). Out: an ``IndexReport`` (added / changed / removed / unchanged articles, chunks
embedded, skipped files, seconds). Only added or changed articles are chunked
and embedded; vectors of unchanged articles are reused; removed ones are
dropped. An unchanged corpus writes nothing and never loads the model.
One writer at a time (``lock``); crash leftovers are removed first, and a
damaged index is repaired from what is intact (``repair``), never reported
as up to date.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Collection, Protocol, Sequence

import numpy as np

from rag.errors import IndexMismatch
from rag.fileio import write_atomic
from rag.index.base import FORMAT, Rows, writing
from rag.index.chunking import chunk_article
from rag.index.files.store import remove_stale
from rag.index.lexical import tokenize
from rag.index.lock import index_lock
from rag.index.open import open_writer
from rag.ingest.cache import IngestCache
from rag.ingest.corpus import Corpus, Skipped, load_corpus, skip_counts
from rag.models.embedder import Embedder
from rag.schema import PROVENANCE_FIELDS, Article
from rag.settings import Settings

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


class Engine(Protocol):
    """Where the heavy steps of an update run: in this process (``LocalEngine``)
    or as a Ray Data pipeline on local or cluster workers (``ray_ingest.RayEngine``)."""

    def load(self, settings: Settings, rebuild: bool, indexed: Collection[str] = ()) -> Corpus:
        """Read, decode and clean the corpus and archive files (``load_corpus``;
        ``indexed``: the live index's article ids, kept over their copies)."""

    def chunk_and_embed(self, articles: Sequence[Article], settings: Settings,
                        make_embedder: Callable[[], Embedder], progress: bool) -> Rows:
        """Chunks of ``articles`` with their lexical tokens and vectors."""


class LocalEngine:
    def load(self, settings: Settings, rebuild: bool, indexed: Collection[str] = ()) -> Corpus:
        cache = IngestCache.open(settings.index_dir, fresh=rebuild)  # unchanged files are not cleaned again
        corpus = load_corpus(settings.corpus_dir, *settings.archives, max_bytes=settings.max_file_bytes, cache=cache,
                             indexed=indexed)
        cache.save()
        return corpus

    def chunk_and_embed(self, articles: Sequence[Article], settings: Settings,
                        make_embedder: Callable[[], Embedder], progress: bool) -> Rows:
        chunks = [c for a in articles for c in chunk_article(a, settings.chunk_chars, settings.overlap_sentences)]
        tokens = [tokenize(f"{c.header}\n{c.text}") for c in chunks]
        vectors = np.zeros((0, settings.dim), dtype=np.float32)
        if chunks:
            embedder = make_embedder()
            if embedder.dim != settings.dim:
                raise IndexMismatch(f"embedder gives {embedder.dim}-dim vectors, settings expect {settings.dim}")
            vectors = embedder.embed_passages([c.for_embedding() for c in chunks], progress=progress)
        return Rows(chunks, tokens, vectors)


def update_index(
    settings: Settings,
    make_embedder: Callable[[], Embedder],
    rebuild: bool = False,
    progress: bool = False,
    engine: Engine | None = None,
) -> IndexReport:
    """Bring the index in line with the corpus, one writer at a time (waits
    for another writer up to ``settings.index_lock_timeout_s``)."""
    with index_lock(settings.index_dir, settings.index_lock_timeout_s):
        return _update(settings, make_embedder, rebuild, progress, engine or LocalEngine())


def _update(settings: Settings, make_embedder: Callable[[], Embedder], rebuild: bool, progress: bool,
            engine: Engine) -> IndexReport:
    t0 = time.perf_counter()
    with writing(settings.index_dir):
        cleaned = remove_stale(settings.index_dir)
    writer = open_writer(settings, rebuild)  # raises IndexMismatch
    previous = writer.previous
    old_hashes = previous.hashes
    corpus = engine.load(settings, rebuild, indexed=old_hashes.keys())
    t_load = time.perf_counter() - t0
    with writing(settings.index_dir):
        report = write_skipped(settings.index_dir, corpus.skipped)

    new_hashes = {a.id: article_hash(a) for a in corpus.articles}
    origins = {a.id: provenance(a) for a in corpus.articles}
    restamped = previous.found and previous.provenance != origins  # rewritten, never re-embedded
    added = [i for i in new_hashes if i not in old_hashes]
    changed = [i for i in new_hashes if i in old_hashes and old_hashes[i] != new_hashes[i]]
    unchanged = [i for i in new_hashes if old_hashes.get(i) == new_hashes[i]]
    removed = [i for i in old_hashes if i not in new_hashes]

    if previous.found and not (added or changed or removed or previous.repairs or restamped):
        return IndexReport(
            unchanged=tuple(unchanged), skipped=corpus.skipped, chunks=previous.chunk_count,
            seconds=time.perf_counter() - t0, skipped_report=report, cleaned=cleaned,
        )

    writer.delete(changed + removed)
    fresh = set(added) | set(changed) | writer.missing(unchanged)  # missing: lost to damage, embedded again
    t1 = time.perf_counter()
    new = engine.chunk_and_embed([a for a in corpus.articles if a.id in fresh], settings, make_embedder, progress)
    t_embed = time.perf_counter() - t1
    writer.add(new.chunks, new.tokens, new.vectors)
    manifest = {
        "format": FORMAT,
        **settings.index_signature(),
        "articles": new_hashes,
        "provenance": origins,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    t2 = time.perf_counter()
    count = writer.commit({a.id: a for a in corpus.articles}, manifest)
    return IndexReport(
        added=tuple(added), changed=tuple(changed), removed=tuple(removed), unchanged=tuple(unchanged),
        skipped=corpus.skipped, chunks=count, embedded=len(new.chunks),
        seconds=time.perf_counter() - t0, wrote=True,
        timings={"load_corpus": t_load, "chunk_tokenize_embed": t_embed, "write": time.perf_counter() - t2},
        skipped_report=report, repairs=previous.repairs, cleaned=cleaned,
    )


def write_skipped(index_dir: Path, skipped: tuple[Skipped, ...]) -> str:
    """The full list of skipped files (file, reason), one per row, replaced atomically at every run;
    returns its path ("" when nothing was skipped). Written by the csv module's tab dialect: a file
    name holding a tab, a line break or a quote is quoted, so each reason stays with its file
    (``read_skipped`` reads it back)."""
    path = index_dir / SKIPPED_FILE
    if not skipped:
        path.unlink(missing_ok=True)
        return ""
    index_dir.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    writer = csv.writer(out, dialect="excel-tab", lineterminator="\n")
    writer.writerow(["file", "reason"])
    writer.writerows([s.file, s.reason] for s in skipped)
    write_atomic(path, out.getvalue())
    return str(path)


def read_skipped(index_dir: Path) -> list[tuple[str, str]]:
    """The (file, reason) rows of ``skipped.tsv``; [] when nothing was skipped."""
    try:
        text = (index_dir / SKIPPED_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [(row[0], row[1]) for row in list(csv.reader(io.StringIO(text, newline=""), dialect="excel-tab"))[1:]]
