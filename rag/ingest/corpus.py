"""Corpus folder -> list of ``Article`` (plus what was skipped and why).

In: ``corpus/`` with one text file per article (the file stem is the article
id) and ``metadata.json`` mapping ids to title/outlet/author/date/province/
language, plus any read-only archive folders of the same shape (e.g. the dev
archive). Out: cleaned articles in id order; what is not read is reported
in ``skipped`` with a reason and never stops the rest: binary or undecodable
files, symlinks (never followed: nothing outside the folders is read), files
larger than ``Settings.max_file_bytes`` (refused before reading), and exact or
near copies of another article (the one already indexed is kept, else the
older, else the first loaded: ``dedup.keep_order``). With an
``IngestCache`` (``rag index`` passes one), a file whose size and mtime, or
else bytes, metadata entry and origin are unchanged gives its cached article
without being decoded or cleaned again (see ``ingest_cache``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Collection, Iterable, Iterator, Sequence

from rag.errors import CorpusError
from rag.fileio import write_atomic
from rag.ingest.cache import IngestCache, metadata_key
from rag.ingest.clean import Undecodable, build_article
from rag.ingest.dedup import find_duplicates, keep_order, why_kept
from rag.schema import Article
from rag.settings import Settings, mb

log = logging.getLogger(__name__)

METADATA_FILE = "metadata.json"
TEXT_SUFFIXES = {".txt", ".md"}
SYMLINK = "symlink (not followed)"


@dataclass(frozen=True)
class Skipped:
    file: str
    reason: str


@dataclass(frozen=True)
class Corpus:
    articles: tuple[Article, ...]
    skipped: tuple[Skipped, ...] = field(default=())


@dataclass(frozen=True)
class Job:
    """A regular text file read (size cap and no-link rules passed) and not
    yet decoded and cleaned: ``build_article``'s inputs, and for the ingest
    cache the ``fstat`` and sha256 of what was read. ``load_corpus(build_many=...)``
    hands them to another executor (``ray_ingest``) instead of building each in turn."""

    path: Path
    data: bytes
    meta: dict | None
    origin: str
    st: os.stat_result | None = None  # set when the file went through a cache
    digest: str = ""

    def build(self) -> Article | str:
        return build_result(self.path.stem, self.data, self.meta, self.path.name, self.origin)


def build_result(stem: str, data: bytes, meta: dict | None, filename: str, origin: str) -> Article | str:
    """``build_article``, or the reason the bytes give no article (``Undecodable``)."""
    try:
        return build_article(stem, data, meta, filename, origin)
    except Undecodable as exc:
        return str(exc)


def read_metadata(corpus_dir: Path) -> dict[str, dict]:
    path = corpus_dir / METADATA_FILE
    if not path.exists() or path.is_symlink():  # a link is never followed (reported by the loader)
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CorpusError(f"{path} must map article ids to metadata objects")
    return data


def write_metadata(corpus_dir: Path, metadata: dict[str, dict]) -> None:
    """Replace ``metadata.json`` atomically (write aside, then rename)."""
    write_atomic(corpus_dir / METADATA_FILE, json.dumps(metadata, ensure_ascii=False, indent=2) + "\n")


def article_files(corpus_dir: Path) -> list[Path]:
    """The article entries of a folder: files, and symlinks (to be refused)."""
    return sorted(
        p for p in corpus_dir.iterdir()
        if (p.is_symlink() or p.is_file())
        and not p.name.startswith(".") and p.name != METADATA_FILE and not p.name.endswith(".tmp")
    )


def load_corpus(corpus_dir: Path, *archives: Path, max_bytes: int = Settings.max_file_bytes,
                cache: IngestCache | None = None,
                build_many: Callable[[Sequence[Job]], Sequence[Article | str]] | None = None,
                indexed: Collection[str] = ()) -> Corpus:
    """The articles of ``corpus_dir`` and of any read-only ``archives``
    folders, in that order. An id seen twice keeps its first file; a file
    larger than ``max_bytes`` is skipped unread. ``cache``: reuse what
    unchanged files gave last time and record what this call built (the
    caller saves it); None reads and cleans every file. ``build_many``: every
    file that must be decoded and cleaned is read first and handed over at
    once (``Job.build`` for each, in order; e.g. on Ray workers); None builds
    each file as it is read. ``indexed``: the ids the live index holds; of two
    copies, one of these is kept."""
    articles: list[Article] = []
    skipped: list[Skipped] = []
    ids: set[str] = set()
    folders: dict[str, Path] = {}
    items: Iterable[tuple[Path, Article | Skipped | Job]] = (
        (folder, item)
        for folder, origin in ((corpus_dir, "corpus"), *((a, "archive") for a in archives))
        for item in _load_folder(folder, max_bytes, origin, cache, defer=build_many is not None)
    )
    if build_many is not None:
        items = _build_jobs(list(items), build_many, cache)
    for folder, item in items:
        if isinstance(item, Skipped):
            skipped.append(item)
        elif item.id in ids:
            skipped.append(Skipped(str(folder / item.source_file), f"duplicate article id {item.id!r}"))
        else:
            ids.add(item.id)
            folders[item.id] = folder
            articles.append(item)
    mtimes = {a.id: _mtime(folders[a.id] / a.source_file) for a in articles}
    ranked = keep_order(articles, indexed, mtimes)
    copies = find_duplicates(ranked) if cache is None else cache.duplicates(ranked, find_duplicates)
    if copies:
        by_id = {a.id: a for a in articles}
        skipped += [Skipped(str(folders[a.id] / a.source_file),
                            f"duplicate of {copies[a.id]} ({why_kept(by_id[copies[a.id]], a, indexed, mtimes)})")
                    for a in articles if a.id in copies]
        articles = [a for a in articles if a.id not in copies]
    if skipped:
        log.info("skipped %d files: %s", len(skipped), dict(skip_counts(skipped)))
    return Corpus(tuple(articles), tuple(skipped))


def _mtime(path: Path) -> float:
    try:
        return os.lstat(path).st_mtime
    except OSError:  # gone since it was read: no claim to be the older
        return float("inf")


def skip_counts(skipped: Iterable[Skipped]) -> Counter:
    return Counter(s.reason for s in skipped)


def _build_jobs(items: list[tuple[Path, Article | Skipped | Job]],
                build_many: Callable[[Sequence[Job]], Sequence[Article | str]],
                cache: IngestCache | None) -> list[tuple[Path, Article | Skipped]]:
    """``items`` with every ``Job`` replaced by what ``build_many`` made of it."""
    jobs = [item for _, item in items if isinstance(item, Job)]
    results = list(build_many(jobs)) if jobs else []
    if len(results) != len(jobs):
        raise RuntimeError(f"build_many gave {len(results)} results for {len(jobs)} files")
    done = iter(results)
    return [(folder, _finish(item, next(done), cache) if isinstance(item, Job) else item) for folder, item in items]


def _finish(job: Job, result: Article | str, cache: IngestCache | None) -> Article | Skipped:
    """A built job as ``_load_folder`` yields it, recorded in ``cache`` when it came through one."""
    if cache is not None and job.st is not None:
        cache.put(os.path.abspath(job.path), job.st, job.digest, metadata_key(job.meta), job.origin, result)
    return Skipped(str(job.path), result) if isinstance(result, str) else result


def _load_folder(folder: Path, max_bytes: int, origin: str, cache: IngestCache | None = None,
                 defer: bool = False) -> Iterator[Article | Skipped | Job]:
    if not folder.is_dir():
        raise CorpusError(f"corpus folder not found: {folder}")
    if (folder / METADATA_FILE).is_symlink():
        yield Skipped(str(folder / METADATA_FILE), SYMLINK)
    metadata = read_metadata(folder)
    root = folder.resolve()
    expected = f"not a text article (expected {', '.join(sorted(TEXT_SUFFIXES))})"
    too_large = f"larger than {mb(max_bytes)} (Settings.max_file_bytes)"
    for path in article_files(folder):
        if path.is_symlink():
            yield Skipped(str(path), SYMLINK)
        elif path.resolve().parent != root:
            yield Skipped(str(path), "outside the corpus folder (not read)")
        elif path.suffix.lower() not in TEXT_SUFFIXES:
            yield Skipped(str(path), expected)
        else:
            try:
                if cache is not None:
                    yield _load_cached(path, metadata.get(path.stem), origin, max_bytes, too_large, cache, defer)
                    continue
                data = _read_capped(path, max_bytes)
                if data is None:
                    yield Skipped(str(path), too_large)
                else:
                    job = Job(path, data, metadata.get(path.stem), origin)
                    yield job if defer else _finish(job, job.build(), None)
            except (Undecodable, OSError) as exc:
                yield Skipped(str(path), str(exc))


def _load_cached(path: Path, meta: dict | None, origin: str, max_bytes: int, too_large: str,
                 cache: IngestCache, defer: bool = False) -> Article | Skipped | Job:
    """``_load_folder``'s reading of one regular text file, through ``cache``:
    unread when size and mtime match, else read (size cap first, no link
    followed, as without a cache), hashed, and rebuilt only when the bytes,
    the metadata entry or the origin differ (``defer``: returned as a ``Job``
    to build, recorded by ``_finish``). A decoding failure is cached as its
    reason; an ``OSError`` propagates (never cached)."""
    key, meta_key = os.path.abspath(path), metadata_key(meta)
    st = os.lstat(path)
    found = cache.lookup(key, st, meta_key, origin) if st.st_size <= max_bytes else None
    if found is None:
        data, st = _read_capped_stat(path, max_bytes)
        if data is None:
            return Skipped(str(path), too_large)
        digest = hashlib.sha256(data).hexdigest()
        found = cache.lookup(key, st, meta_key, origin, digest)
        if found is None:
            job = Job(path, data, meta, origin, st, digest)
            return job if defer else _finish(job, job.build(), cache)
    return Skipped(str(path), found) if isinstance(found, str) else found


def _read_capped(path: Path, max_bytes: int) -> bytes | None:
    """The file's bytes, or None when it holds more than ``max_bytes``
    (checked before reading, and never more than ``max_bytes + 1`` read).
    Opened without following a link, should one replace the file meanwhile."""
    return _read_capped_stat(path, max_bytes)[0]


def _read_capped_stat(path: Path, max_bytes: int) -> tuple[bytes | None, os.stat_result]:
    """``_read_capped``, with the ``fstat`` of the file that was read."""
    with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb") as f:
        st = os.fstat(f.fileno())
        if st.st_size > max_bytes:
            return None, st
        data = f.read(max_bytes + 1)
    return (None if len(data) > max_bytes else data), st
