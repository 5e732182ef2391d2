"""Article files -> the ``Article`` each gave last time (the ingest cache).

In: the index folder, where the cache is one file, ``ingest-cache.jsonl``,
beside the generations (like ``skipped.tsv``: never one of the generation
files the manifest checksums, ``store.FILES``); and, from
``corpus.load_corpus``, each article file's path, ``os.stat``, the
metadata.json entry for its stem and its origin. Out: the ``Article`` that
file gave last time, or the reason it could not be decoded, when nothing it
was built from has changed, so an unchanged file is neither decoded nor
cleaned again; ``save`` writes back what this run built.

Per file (keyed by its absolute path), an entry holds size, mtime_ns, the
sha256 of the bytes, a key of the metadata.json entry (``metadata_key``: a
metadata change rebuilds the article), the origin, and the ``Article`` or the
reason the file was skipped (``ingest.Undecodable``; an ``OSError`` is never
cached). Lookup: size and mtime equal -> reused unread; else the file is read
(the size cap checked first, as without the cache) and hashed: same sha256 ->
reused, the new mtime recorded; else rebuilt. An mtime that lies within
``RACY_NS`` of the moment the file was read is recorded as unknown (-1): a
second write in the same clock tick could keep both size and mtime, so the
next run hashes that file once more before trusting it.

Whole-cache invalidation: the header's ``cleaner`` key is a sha256 of the
source of the modules that turn bytes into an ``Article`` (``CLEANER_MODULES``:
ingest/clean.py, text/vietnamese.py, schema.py, ingest/corpus.py and this file), the Python and
Unicode database versions and ``FORMAT``. Any edit to those files drops every
entry (one cold run rebuilds them); nothing has to be bumped by hand.

The result of ``dedup.find_duplicates`` is remembered too (``duplicates``):
keyed by a sha256 of every article's id and text in load order, dedup.py's
source and its thresholds, so it is reused only for the very same input.

File layout (UTF-8, one JSON value per line): a header ``{"format",
"cleaner", "fields", "entries", "crc32"}``, then the body: the dedup memo,
then one row per entry, ``[path, size, mtime_ns, sha256, meta, origin,
result]`` where ``result`` is the skip reason (a string) or the article's
values in ``fields`` order (``Article(*values)``). Rows are arrays, not
objects: smaller and faster to parse (1,505 entries, 5.0 MB: ~40 ms to load).
``crc32`` covers the body. Written atomically (``.tmp`` + ``os.replace``);
a missing, truncated, corrupt or foreign file is ignored (everything is
rebuilt), never an error, and a save that fails (read-only folder, full disk)
is logged and ignored: the index itself reports such faults.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import os
import stat
import sys
import time
import unicodedata
import uuid
import zlib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Callable, Sequence, Union

from rag.fileio import write_atomic
from rag.schema import Article

log = logging.getLogger(__name__)

CACHE_FILE = "ingest-cache.jsonl"
FORMAT = 1
CLEANER_MODULES = ("rag.ingest.clean", "rag.text.vietnamese", "rag.schema", "rag.ingest.corpus", "rag.ingest.cache")
ARTICLE_FIELDS = tuple(f.name for f in fields(Article))
RACY_NS = 3 * 10**9  # an mtime this close to the read is not trusted (coarse clocks, FAT's 2 s)
UNKNOWN_MTIME = -1

Result = Union[Article, str]  # the article, or why the file was skipped


@dataclass
class Entry:
    size: int
    mtime_ns: int
    sha256: str
    meta: str
    origin: str
    result: Result


def _source_digest(modules: Sequence[str], *extra: str) -> str:
    """sha256 of the named modules' source, found by their files, not
    imported (a per-process random key when one cannot be read, e.g. a frozen
    install: the cache then never reuses)."""
    digest = hashlib.sha256("\0".join((str(FORMAT), *extra)).encode())
    for name in modules:
        try:
            spec = importlib.util.find_spec(name)
            digest.update(Path(spec.origin).read_bytes())  # type: ignore[union-attr, arg-type]
        except (AttributeError, TypeError, OSError, ImportError):
            return uuid.uuid4().hex
    return digest.hexdigest()


@functools.cache
def cleaner_key() -> str:
    """Changes whenever the code that makes an ``Article`` from bytes may have."""
    python = f"python {sys.version_info[0]}.{sys.version_info[1]} unicode {unicodedata.unidata_version}"
    return _source_digest(CLEANER_MODULES, python, ",".join(ARTICLE_FIELDS))


def metadata_key(meta: dict | None) -> str:
    """A key of the metadata.json entry used for an article ("" for none)."""
    if not meta:
        return ""
    serialised = json.dumps(meta, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(serialised.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class IngestCache:
    """The entries of one cache file; ``open`` it, let ``load_corpus`` use it, ``save`` it."""

    def __init__(self, path: Path | None = None):
        self.path = path
        self.entries: dict[str, Entry] = {}
        self.dedup: dict = {}  # {"key": ..., "copies": {...}}
        self.used: set[str] = set()
        self.dirty = False
        self.stats = {"unread": 0, "hashed": 0, "built": 0}

    # ------------------------------------------------------------ file
    @classmethod
    def open(cls, index_dir: Path, fresh: bool = False) -> "IngestCache":
        """The cache of ``index_dir``; empty when it is missing or unusable,
        or when ``fresh`` (``rag index --rebuild``: every file is read again
        and the cache rewritten)."""
        cache = cls(Path(index_dir) / CACHE_FILE)
        if fresh:
            cache.dirty = True
            return cache
        try:
            data = cache.path.read_bytes()  # type: ignore[union-attr]
        except FileNotFoundError:
            return cache
        except OSError as exc:
            log.info("ingest cache %s unreadable, rebuilding it: %s", cache.path, exc)
            return cache
        try:
            cache.entries, cache.dedup = _parse(data)
        except Exception as exc:  # noqa: BLE001 - any damage means: rebuild, never fail the run
            log.info("ingest cache %s ignored (%s: %s), rebuilding it", cache.path, type(exc).__name__, exc)
            cache.entries, cache.dedup, cache.dirty = {}, {}, True
        return cache

    def save(self) -> bool:
        """Write the entries back (atomically) when anything changed; entries
        of files not seen this run that no longer exist are dropped. Returns
        whether the file was written; a failure is logged, never raised."""
        gone = [p for p in self.entries if p not in self.used and not _is_file(p)]
        for p in gone:
            del self.entries[p]
        if self.path is None or not (self.dirty or gone):
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, _serialise(self.entries, self.dedup))
        except (OSError, ValueError) as exc:
            log.info("ingest cache not saved to %s: %s", self.path, exc)
            return False
        self.dirty = False
        return True

    # ---------------------------------------------------------- lookup
    def lookup(self, path: str, st: os.stat_result, meta: str, origin: str, sha256: str | None = None) -> Result | None:
        """The cached result for ``path`` when it still holds: without
        ``sha256``, when size and mtime match (and ``st`` is a regular file);
        with it, when the bytes hash the same (the new mtime is recorded)."""
        entry = self.entries.get(path)
        self.used.add(path)
        if entry is None or entry.meta != meta or entry.origin != origin or entry.size != st.st_size:
            return None
        if sha256 is None:
            if entry.mtime_ns != st.st_mtime_ns or entry.mtime_ns == UNKNOWN_MTIME or not stat.S_ISREG(st.st_mode):
                return None
            self.stats["unread"] += 1
            return entry.result
        if entry.sha256 != sha256:
            return None
        mtime = _trusted_mtime(st)
        if mtime != entry.mtime_ns:
            entry.mtime_ns, self.dirty = mtime, True
        self.stats["hashed"] += 1
        return entry.result

    def put(self, path: str, st: os.stat_result, sha256: str, meta: str, origin: str, result: Result) -> None:
        self.entries[path] = Entry(st.st_size, _trusted_mtime(st), sha256, meta, origin, result)
        self.used.add(path)
        self.dirty = True
        self.stats["built"] += 1

    def duplicates(self, articles: Sequence[Article],
                   find: Callable[[Sequence[Article]], dict[str, str]]) -> dict[str, str]:
        """``find(articles)``, remembered for the very same articles (ids and texts, in order)."""
        key = _dedup_key(articles)
        if self.dedup.get("key") == key and isinstance(self.dedup.get("copies"), dict):
            return dict(self.dedup["copies"])
        copies = find(articles)
        self.dedup, self.dirty = {"key": key, "copies": dict(copies)}, True
        return copies

    def __len__(self) -> int:
        return len(self.entries)


def _trusted_mtime(st: os.stat_result) -> int:
    """``st``'s mtime, or ``UNKNOWN_MTIME`` when it is too recent to rule out a same-tick rewrite."""
    return UNKNOWN_MTIME if st.st_mtime_ns > time.time_ns() - RACY_NS else st.st_mtime_ns


def _is_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _dedup_key(articles: Sequence[Article]) -> str:
    from rag.ingest import dedup

    digest = hashlib.sha256(
        f"{_source_digest(('rag.ingest.dedup',))} {dedup.NEAR_DUPLICATE} {dedup.SHINGLE_WORDS} {len(articles)}".encode()
    )
    for a in articles:
        for value in (a.id, a.text):
            b = value.encode("utf-8", "surrogatepass")
            digest.update(len(b).to_bytes(8, "little"))
            digest.update(b)
    return digest.hexdigest()


# ------------------------------------------------------------- format
def _serialise(entries: dict[str, Entry], dedup: dict) -> bytes:
    dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
    lines = [dumps(dedup)]
    for path, e in entries.items():
        result = e.result if isinstance(e.result, str) else [getattr(e.result, f) for f in ARTICLE_FIELDS]
        lines.append(dumps([path, e.size, e.mtime_ns, e.sha256, e.meta, e.origin, result]))
    body = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    header = {"format": FORMAT, "cleaner": cleaner_key(), "fields": list(ARTICLE_FIELDS),
              "entries": len(entries), "crc32": zlib.crc32(body)}
    return json.dumps(header).encode("ascii") + b"\n" + body


def _parse(data: bytes) -> tuple[dict[str, Entry], dict]:
    """Entries and dedup memo of a cache file; raises on any damage or mismatch."""
    head, _, body = data.partition(b"\n")
    header = json.loads(head)
    if header.get("format") != FORMAT or header.get("fields") != list(ARTICLE_FIELDS):
        raise ValueError(f"format {header.get('format')!r}, this version reads {FORMAT}")
    if header.get("cleaner") != cleaner_key():
        raise ValueError("made by other cleaning code")
    if zlib.crc32(body) != header.get("crc32"):
        raise ValueError("checksum mismatch (truncated or damaged)")
    lines = body.decode("utf-8", "surrogatepass").split("\n")
    n = header["entries"]
    if len(lines) != n + 2 or lines[-1]:
        raise ValueError(f"{len(lines) - 2} rows, header says {n}")
    dedup = json.loads(lines[0])
    if not isinstance(dedup, dict):
        raise ValueError("dedup memo is not an object")
    entries: dict[str, Entry] = {}
    width = len(ARTICLE_FIELDS)
    for line in lines[1:-1]:
        path, size, mtime_ns, sha256, meta, origin, result = json.loads(line)
        if not (isinstance(size, int) and isinstance(mtime_ns, int)
                and all(isinstance(v, str) for v in (path, sha256, meta, origin))):
            raise ValueError("malformed row")
        if not isinstance(result, str):
            if not (isinstance(result, list) and len(result) == width and all(isinstance(v, str) for v in result)):
                raise ValueError("malformed article")
            result = Article(*result)
        entries[path] = Entry(size, mtime_ns, sha256, meta, origin, result)
    return entries, dedup
