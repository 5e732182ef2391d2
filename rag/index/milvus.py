"""The Milvus backend: chunks, vectors and BM25 weights in a Milvus collection.

In: ``Settings`` (``milvus_uri``: empty = Milvus Lite, one local file
``<index_dir>/milvus.db``; ``http://host:19530`` = Milvus Standalone or
Distributed, the same code; ``milvus_collection``). Out: ``MilvusSearch`` (a
``backend.SearchBackend``) and ``MilvusWriter`` (an ``IndexWriter``), through
``pymilvus`` (the optional ``[scale]`` extra, imported here only).

One row per chunk: an int64 id assigned here (stable: a chunk keeps its id
across updates, new chunks get ids past every earlier one), the article's id,
province, date and origin (scalar fields for ``filter_expression``), the chunk
record (JSON), its vector (FLOAT_VECTOR, inner product: exact FLAT on Milvus
Lite, AUTOINDEX on a server) and its BM25 weights (SPARSE_FLOAT_VECTOR, inner
product). The lexical side is the project's own Vietnamese tokens
(``lexical.tokenize``), not a Milvus analyser: a vocabulary token -> id and
the document frequencies are kept locally; a chunk stores the document half
of Lucene BM25 per token, tf*(k1+1) / (tf + k1*(1-b+b*len/avgdl)), a question
is {token id: idf}, so their inner product is the score ``LexicalIndex``
gives (``scores`` gets it by a sparse search restricted to the rows). avgdl is frozen when the collection is created (``--rebuild``
recomputes it): chunks added later are weighted with it, so after many
additions the scores drift slightly from a freshly built files index (still
BM25, with a fixed length norm shared by every row). Fusion stays in
``Retriever``.

``index_dir`` keeps what Milvus does not: the lock, the ingest cache,
skipped.tsv and the side files, each replaced atomically, the manifest last:
``milvus.manifest.json`` (article hashes, provenance, counts, the index
signature, sizes and sha256 of the others), ``milvus.articles.jsonl``,
``milvus.lexicon.json`` (vocabulary + document frequencies) and
``milvus.restorer.sqlite`` (the accent table, refitted at every update on all
chunk texts, read back with one query iterator: a pass over the collection
per update, as the files backend refits it from its chunk table). An update
changes Milvus first
and the manifest last; a crash in between is repaired by the next update
(rows past the manifest's ``next_row`` are removed; a row count that differs
from the manifest means deletions went through: frequencies are recounted
and articles without rows embedded again). Unlike the files backend's
generations, a question asked while another process updates a Milvus server
may see the update half applied; Milvus Lite serves one process at a time.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import shutil
import sys
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from rag.errors import ConfigError, EnvironmentFault, IndexDamaged, IndexMismatch, IndexMissing
from rag.fileio import fingerprint, write_atomic
from rag.filters import Filters
from rag.index.accents import AccentRestorer
from rag.index.base import Salvage, check_signature, read_json_object, writing
from rag.schema import Article, Chunk
from rag.settings import Settings

INSTALL_HINT = "the milvus backend needs the [scale] extra: pip install -e '.[scale]'"
LITE_FILE = "milvus.db"
MANIFEST = "milvus.manifest.json"
ARTICLES = "milvus.articles.jsonl"
LEXICON = "milvus.lexicon.json"
RESTORER = "milvus.restorer.sqlite"
SIDE_FILES = (ARTICLES, LEXICON, RESTORER)
BUILD_PROPERTY = "rag.build"  # collection property naming the build the manifest describes
EMPTY = ""  # vocabulary id 0: the one weight of a chunk without tokens (Milvus refuses empty sparse vectors)
BATCH = 512  # rows per insert / ids per query
MAX_LIMIT = 16384  # Milvus' largest top-k
FILTER_FIELDS = ("province", "date", "origin")  # copied from the article onto each chunk row


# ------------------------------------------------------------ connection
class _QuietLite(logging.Filter):
    """Milvus Lite has no timestamp service: at every query iterator pymilvus
    warns and Lite's in-process gRPC server logs the call it does not
    implement, both harmless (pymilvus falls back to client-side time)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "mvccTs" in record.getMessage():
            return False
        return not (record.exc_info and "AllocTimestamp" in "".join(logging.Formatter().formatException(record.exc_info)))


def milvus_uri(settings: Settings) -> str:
    """The server URI, or the Milvus Lite file in the index folder."""
    return settings.milvus_uri or str((settings.index_dir / LITE_FILE).resolve())


def _is_lite(uri: str) -> bool:
    return "://" not in uri


@contextmanager
def _milvus_errors(uri: str) -> Iterator[None]:
    """A Milvus failure (server gone, file held by another process) as one line."""
    from pymilvus.exceptions import MilvusException

    try:
        yield
    except MilvusException as exc:
        raise EnvironmentFault(f"Milvus at {uri}: {getattr(exc, 'message', exc)}") from exc


_clients: dict[tuple[str, str], object] = {}
LITE_RETRY_S = 0.5  # how often a process waiting for Milvus Lite tries again


def _connect(settings: Settings):
    """A ``MilvusClient`` for the configured URI (one per URI per process)."""
    try:
        import pymilvus  # noqa: F401
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    uri = milvus_uri(settings)
    if _is_lite(uri):
        try:
            import milvus_lite  # noqa: F401
        except ImportError:
            raise ConfigError(INSTALL_HINT + " (Milvus Lite: milvus-lite)") from None
    key = (uri, settings.milvus_token)
    if key not in _clients:
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        options = {}
        if _is_lite(uri):
            for name in ("pymilvus.client.iterator.query_iterator", "grpc._server"):
                logger = logging.getLogger(name)
                if not any(isinstance(f, _QuietLite) for f in logger.filters):
                    logger.addFilter(_QuietLite())
            # Lite's in-process server refuses pymilvus' 10 s keepalive pings after
            # an idle spell ("too_many_pings"); a loopback channel needs none
            options = {"grpc_options": {"grpc.keepalive_time_ms": 2**31 - 1, "grpc.keepalive_permit_without_calls": 0}}
            with writing(settings.index_dir):
                settings.index_dir.mkdir(parents=True, exist_ok=True)
        _quiet_libraries()
        deadline, told = time.monotonic() + settings.index_lock_timeout_s, False
        while key not in _clients:
            try:
                _clients[key] = MilvusClient(uri=uri, token=settings.milvus_token, **options)
            except MilvusException as exc:
                held = _is_lite(uri) and _held_elsewhere(uri)
                if held and time.monotonic() < deadline:  # another process's turn: wait for it, as for a writer
                    if not told:
                        print(f"another process is using Milvus Lite at {uri}; waiting…", file=sys.stderr, flush=True)
                        told = True
                    time.sleep(LITE_RETRY_S)
                    continue
                why = (f" (Milvus Lite serves one process at a time: another rag or app.py held it for "
                       f"{settings.index_lock_timeout_s:g} s)" if held else "")
                raise EnvironmentFault(f"cannot open Milvus at {uri}: {getattr(exc, 'message', exc)}{why}") from exc
    return _clients[key]


def _unreadable_lite(client, settings: Settings) -> str:
    """What Milvus Lite says when its files cannot be read (a truncated
    ``*.parquet``), "" when they can or the store is a server's."""
    from pymilvus.exceptions import MilvusException

    if not _is_lite(milvus_uri(settings)):
        return ""
    try:
        client.has_collection(settings.milvus_collection)
        return ""
    except MilvusException as exc:
        return str(getattr(exc, "message", exc))


def _reset_lite(settings: Settings):
    """A new, empty Milvus Lite store in place of a damaged one (its folder is
    the index's own, under ``index_dir``); a client for it."""
    uri = milvus_uri(settings)
    client = _clients.pop((uri, settings.milvus_token), None)
    if client is not None:
        client.close()
    with writing(settings.index_dir):
        if Path(uri).is_dir():
            shutil.rmtree(uri)
        else:
            Path(uri).unlink(missing_ok=True)
    return _connect(settings)


def _held_elsewhere(uri: str) -> bool:
    """Is the Milvus Lite file locked by another process (not damaged, not missing)?"""
    lock = Path(uri) / "LOCK"
    try:
        with lock.open("a") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(f, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False


def _quiet_libraries() -> None:
    """pymilvus and Milvus Lite log each failure with its traceback before
    raising it; the failure reaches the user as one line (``_milvus_errors``)."""
    for name in ("pymilvus", "milvus_lite"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _quote(value: str) -> str:
    """A string literal of Milvus' filter language (backslash, quotes and
    line breaks escaped: the value can never end the literal)."""
    escaped = (str(value).replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))
    return f'"{escaped}"'


def filter_expression(filters: Filters) -> str:
    """``filters`` as a Milvus boolean expression, true exactly where
    ``Filters.allows`` is ("" for no filter). Dates are ISO strings, so a
    range is a string comparison; undated articles (date "") are kept iff
    ``include_undated``."""
    parts = []
    if filters.province:
        parts.append(f"province == {_quote(filters.province)}")
    if filters.origins:
        parts.append(f"origin in [{', '.join(_quote(o) for o in filters.origins)}]")
    bounds = ([f"date >= {_quote(filters.date_from)}"] if filters.date_from else []) + (
        [f"date <= {_quote(filters.date_to)}"] if filters.date_to else [])
    if bounds:
        dated = " and ".join(['date != ""', *bounds])
        parts.append(f'(date == "" or ({dated}))' if filters.include_undated else f"({dated})")
    elif not filters.include_undated:
        parts.append('date != ""')
    return " and ".join(parts)


def _in(field: str, values: Sequence) -> str:
    return f"{field} in [{', '.join(_quote(v) if isinstance(v, str) else str(int(v)) for v in values)}]"


def _batches(items: Sequence, size: int = BATCH) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# ----------------------------------------------------------- side files
def read_milvus_manifest(index_dir: Path) -> dict | None:
    """The side manifest; None when missing or unreadable."""
    return read_json_object(index_dir / MANIFEST)


def milvus_index_exists(settings: Settings) -> bool:
    """Whether an index was built (a manifest exists; it may be damaged or mismatched)."""
    return (settings.index_dir / MANIFEST).exists()


def side_damage(index_dir: Path, manifest: dict, full: bool = True) -> dict[str, str]:
    """What is wrong with the side files, by name ({} when sound)."""
    recorded = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    problems = {}
    for name in SIDE_FILES:
        path, want = index_dir / name, recorded.get(name) or {}
        if not path.is_file():
            problems[name] = f"{name} missing"
        elif path.stat().st_size != want.get("size"):
            problems[name] = f"{name}: size {path.stat().st_size}, manifest says {want.get('size')}"
        elif full and fingerprint(path)["sha256"] != want.get("sha256"):
            problems[name] = f"{name}: content differs from its sha256 in the manifest"
    return problems


def _check_bm25(manifest: dict, settings: Settings, index_dir: Path) -> None:
    """The stored weights depend on k1 and b: other values need a rebuild."""
    have = manifest.get("milvus") or {}
    if (have.get("bm25_k1"), have.get("bm25_b")) != (settings.bm25_k1, settings.bm25_b):
        raise IndexMismatch(
            f"The index in {index_dir} was built with BM25 k1={have.get('bm25_k1')}, b={have.get('bm25_b')}; "
            f"settings want k1={settings.bm25_k1}, b={settings.bm25_b}. Rebuild it with: rag index --rebuild")


def _rows_of(client, name: str, expr: str = "") -> int:
    return int(client.query(name, filter=expr, output_fields=["count(*)"])[0]["count(*)"])


def collection_damage(client, settings: Settings, manifest: dict) -> dict[str, str]:
    """What is wrong with the collection the manifest describes ({} when
    sound): ``collection`` missing, ``build`` another index's, or ``rows``
    other than the manifest counts."""
    name, info = settings.milvus_collection, manifest.get("milvus") or {}
    where = f"collection {name} in {milvus_uri(settings)}"
    if not client.has_collection(name):
        return {"collection": f"{where} missing"}
    build = (client.describe_collection(name).get("properties") or {}).get(BUILD_PROPERTY)
    if build != info.get("build"):
        return {"build": f"{where} belongs to another index (build {build}, the manifest says {info.get('build')})"}
    client.load_collection(name)  # a server may have released it
    leftovers = _rows_of(client, name, f"id >= {int(info.get('next_row', 0))}")
    if leftovers:
        return {"rows": f"{where} holds {leftovers} chunks of an interrupted update"}
    rows, want = _rows_of(client, name), (manifest.get("counts") or {}).get("chunks")
    if rows != want:
        return {"rows": f"{where} holds {rows} chunks, {MANIFEST} says {want}"}
    return {}


def _other_index(problems: dict, index_dir: Path) -> None:
    if "build" in problems:
        raise IndexMismatch(f"The index in {index_dir} does not describe the Milvus collection: {problems['build']}. "
                            "Set another milvus_collection, or rebuild (dropping it) with: rag index --rebuild")


def milvus_status(settings: Settings, full: bool = True) -> dict:
    """``RAG.status()`` of a Milvus index (counts, model and build time from
    the side manifest; ``damage``: side files, then the collection)."""
    manifest = read_milvus_manifest(settings.index_dir)
    if manifest is None:
        return {"index": milvus_uri(settings), "articles": None, "chunks": None, "model": None, "built_at": None,
                "damage": [f"{MANIFEST} unreadable"]}
    counts = manifest.get("counts") or {}
    damage = list(side_damage(settings.index_dir, manifest, full).values())
    try:
        client = _connect(settings)
        with _milvus_errors(milvus_uri(settings)):
            damage += list(collection_damage(client, settings, manifest).values())
    except EnvironmentFault as exc:
        damage.append(str(exc))
    return {"index": f"{milvus_uri(settings)} (collection {settings.milvus_collection}; "
                     f"side files in {settings.index_dir})",
            "articles": counts.get("articles"), "chunks": counts.get("chunks"),
            "model": manifest.get("model"), "built_at": manifest.get("built_at"), "damage": damage}


def _idf(df: float, n: int) -> float:
    """Lucene's BM25 idf, as ``LexicalIndex`` (bm25s) computes it."""
    return math.log1p((n - df + 0.5) / (df + 0.5))


# --------------------------------------------------------------- search
class MilvusSearch:
    def __init__(self, settings: Settings, client, manifest: dict, articles: dict[str, Article],
                 tokens: list[str], df: list[int]):
        self.settings = settings
        self.client = client
        self.name = settings.milvus_collection
        self.uri = milvus_uri(settings)
        self.manifest = manifest
        self.articles = articles
        self._n = int((manifest.get("counts") or {}).get("chunks", 0))
        self._vocab = {t: i for i, t in enumerate(tokens)}
        self._df = np.asarray(df, dtype=np.float64)
        self._cache: dict[int, dict] = {}  # the rows ``scores`` read, for the ``fetch`` that follows
        self._restorer: AccentRestorer | None = None

    @classmethod
    def open(cls, settings: Settings) -> "MilvusSearch":
        folder = settings.index_dir
        if not milvus_index_exists(settings):
            raise IndexMissing.at(folder)
        manifest = read_milvus_manifest(folder)
        if manifest is None:
            raise IndexDamaged.at(folder, f"{MANIFEST} unreadable")
        check_signature(manifest, settings, folder)
        _check_bm25(manifest, settings, folder)
        client = _connect(settings)
        broken = _unreadable_lite(client, settings)
        if broken:
            raise IndexDamaged.at(folder, f"Milvus Lite store unreadable: {broken}")
        with _milvus_errors(milvus_uri(settings)):
            problems = {**side_damage(folder, manifest, full=False), **collection_damage(client, settings, manifest)}
            _other_index(problems, folder)
            if problems:
                raise IndexDamaged.at(folder, "; ".join(problems.values()))
        try:
            with (folder / ARTICLES).open(encoding="utf-8") as f:
                articles = {row["id"]: Article(**row) for row in map(json.loads, f) if row}
            lexicon = json.loads((folder / LEXICON).read_text(encoding="utf-8"))
            tokens, df = lexicon["tokens"], lexicon["df"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexDamaged.at(folder, f"{ARTICLES} or {LEXICON} unreadable") from exc
        return cls(settings, client, manifest, articles, tokens, df)

    def count(self) -> int:
        return self._n

    def chunk_counts(self) -> Counter:
        return Counter(self.manifest.get("chunk_counts") or {})

    def _get(self, rows: Sequence[int], fields: list[str]) -> dict[int, dict]:
        ids = [int(r) for r in rows]
        found = {}
        with _milvus_errors(self.uri):
            for batch in _batches(ids):
                found.update({int(r["id"]): r for r in self.client.query(self.name, ids=list(batch), output_fields=fields)})
        if len(found) < len(set(ids)):
            raise IndexDamaged(f"index damaged (rows {sorted(set(ids) - set(found))[:5]} missing from "
                               f"collection {self.name}): run rag index to repair")
        return found

    def fetch(self, rows: Sequence[int]) -> list[Chunk]:
        wanted = [int(r) for r in rows]
        records = self._cache if all(r in self._cache for r in wanted) else self._get(wanted, ["chunk"])
        return [Chunk(**records[r]["chunk"]) for r in wanted]

    def _search(self, data, field: str, n: int, filters: Filters) -> list[tuple[float, int]]:
        """(score, row) of the top ``n``, best first; equal scores in row order
        (as the files backend breaks ties)."""
        limit = min(n, self._n, MAX_LIMIT)
        if limit <= 0:
            return []
        with _milvus_errors(self.uri):
            hits = self.client.search(self.name, data=[data], anns_field=field, limit=limit,
                                      filter=filter_expression(filters), output_fields=[],
                                      search_params={"metric_type": "IP"})[0]
        ranked = sorted((-float(h["distance"]), int(h["id"])) for h in hits)
        return [(-score, row) for score, row in ranked]

    def dense_search(self, qvec: np.ndarray, n: int, filters: Filters) -> np.ndarray:
        hits = self._search(np.asarray(qvec, dtype=np.float32).tolist(), "dense", n, filters)
        return np.array([row for _, row in hits], dtype=np.int64)

    def _query_weights(self, tokens: Sequence[str]) -> dict[int, float]:
        """{token id: idf} for the distinct query tokens some chunk has."""
        weights = {}
        for token in set(tokens):
            i = self._vocab.get(token)
            if i and self._df[i] > 0:
                weights[i] = _idf(self._df[i], self._n)
        return weights

    def lexical_search(self, tokens: Sequence[str], n: int, filters: Filters) -> np.ndarray:
        weights = self._query_weights(tokens)
        hits = self._search(weights, "sparse", n, filters) if weights else []
        return np.array([row for score, row in hits if score > 0], dtype=np.int64)

    def scores(self, qvec: np.ndarray, tokens: Sequence[str], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Dense: the stored vectors of ``rows`` (read with their chunks, for
        the ``fetch`` that follows) @ ``qvec``; lexical: a sparse search
        restricted to ``rows`` (cheaper than reading their sparse vectors back)."""
        ids = [int(r) for r in rows]
        self._cache = self._get(ids, ["dense", "chunk"])
        dense = np.array([self._cache[r]["dense"] for r in ids], dtype=np.float32).reshape(len(ids), -1) @ qvec
        weights, found = self._query_weights(tokens), {}
        if weights:
            with _milvus_errors(self.uri):
                for batch in _batches(ids):
                    hits = self.client.search(self.name, data=[weights], anns_field="sparse", limit=len(batch),
                                              filter=_in("id", batch), output_fields=[],
                                              search_params={"metric_type": "IP"})[0]
                    found.update((int(h["id"]), float(h["distance"])) for h in hits)
        return dense, np.array([found.get(r, 0.0) for r in ids], dtype=np.float32)

    def idf(self, token: str) -> float | None:
        i = self._vocab.get(token)
        if not i or self._df[i] <= 0:
            return None
        return _idf(self._df[i], self._n)

    def max_idf(self) -> float:
        held = self._df[1:][self._df[1:] > 0]
        return _idf(float(held.min()), self._n) if held.size else 1.0

    def restorer(self) -> AccentRestorer:
        if self._restorer is None:
            self._restorer = AccentRestorer.load(self.settings.index_dir / RESTORER)
        return self._restorer


# --------------------------------------------------------------- writer
class MilvusWriter:
    """An update of a Milvus index: deletions go to Milvus at once, added
    chunks are weighted at ``add`` and inserted at ``commit`` (their
    articles' province, date and origin arrive with the article table)."""

    def __init__(self, settings: Settings, rebuild: bool = False):
        self.settings = settings
        self.folder = settings.index_dir
        self.name = settings.milvus_collection
        self.uri = milvus_uri(settings)
        self.client = _connect(settings)
        self._pending: list[dict] = []
        self._held: set[str] | None = None  # article ids with rows, when an interrupted update was found
        manifest = None if rebuild else read_milvus_manifest(self.folder)
        broken = _unreadable_lite(self.client, settings)
        if broken:  # Lite's own files are damaged: the store is the index's to rebuild, from the corpus
            self.client = _reset_lite(settings)
            if manifest is not None:
                manifest, repair = None, f"Milvus Lite store unreadable: {broken}"
        else:
            repair = f"{MANIFEST} unreadable"
        with _milvus_errors(self.uri):
            if manifest is None:
                self.previous = Salvage()
                if not rebuild and milvus_index_exists(settings):
                    self.previous = Salvage(True, repairs=(f"rebuilt everything from the corpus ({repair})",))
                self._fresh()
                return
            check_signature(manifest, settings, self.folder)
            _check_bm25(manifest, settings, self.folder)
            self.previous = self._salvage(manifest)

    # -- state
    def _fresh(self) -> None:
        """An empty collection and lexicon under a new build id."""
        self._tokens, self._df = [EMPTY], [0]
        self._vocab = {EMPTY: 0}
        self._counts: Counter = Counter()
        self._next_row, self._avgdl, self._build = 0, None, uuid.uuid4().hex
        self._create()

    def _create(self) -> None:
        from pymilvus import DataType

        if self.client.has_collection(self.name):
            self.client.drop_collection(self.name)
        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("article_id", DataType.VARCHAR, max_length=1024)
        schema.add_field("province", DataType.VARCHAR, max_length=256)
        schema.add_field("date", DataType.VARCHAR, max_length=64)
        schema.add_field("origin", DataType.VARCHAR, max_length=64)
        schema.add_field("chunk", DataType.JSON)  # the ``Chunk`` fields
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.settings.dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        index = self.client.prepare_index_params()
        # exact search on Milvus Lite (the files backend is exact below hnsw_threshold too); the server chooses
        index.add_index("dense", index_type="FLAT" if _is_lite(self.uri) else "AUTOINDEX", metric_type="IP")
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        self.client.create_collection(self.name, schema=schema, index_params=index, consistency_level="Strong",
                                      properties={BUILD_PROPERTY: self._build})

    def _salvage(self, manifest: dict) -> Salvage:
        info = manifest.get("milvus") or {}
        hashes = manifest.get("articles") or {}
        count = int((manifest.get("counts") or {}).get("chunks", 0))
        found = dict(hashes=hashes, provenance=manifest.get("provenance"), chunk_count=count)
        side = side_damage(self.folder, manifest)
        problems = {**side, **collection_damage(self.client, self.settings, manifest)}
        _other_index(problems, self.folder)
        lexicon = self._read_lexicon() if LEXICON not in side else None
        if lexicon is None or "collection" in problems:
            lost = problems["collection"] if lexicon is not None else side.get(LEXICON, f"{LEXICON} unreadable")
            self._fresh()
            self._held = set()  # nothing held: every unchanged article is embedded again
            return Salvage(True, repairs=(f"every article re-chunked and re-embedded ({lost})",), problems=problems,
                           **found)
        self._tokens, self._df = lexicon
        self._vocab = {t: i for i, t in enumerate(self._tokens)}
        self._counts = Counter(manifest.get("chunk_counts") or {})
        self._next_row, self._avgdl, self._build = int(info.get("next_row", 0)), info.get("avgdl"), info.get("build")
        repairs = []
        leftovers = _rows_of(self.client, self.name, f"id >= {self._next_row}")
        if leftovers:
            self.client.delete(self.name, filter=f"id >= {self._next_row}")
            repairs.append(f"removed {leftovers} chunks an interrupted update had added")
        if _rows_of(self.client, self.name) != count:
            self._recount()
            repairs.append("document frequencies recounted from the collection and articles without chunks "
                           f"embedded again (the collection held other chunks than {MANIFEST} says)")
        if ARTICLES in side:
            repairs.append(f"{ARTICLES} rewritten from the corpus ({side[ARTICLES]})")
        if RESTORER in side:
            repairs.append(f"accent table refitted from the chunks ({side[RESTORER]})")
        return Salvage(True, repairs=tuple(repairs), problems=problems, **found)

    def _read_lexicon(self) -> tuple[list[str], list[int]] | None:
        try:
            lexicon = json.loads((self.folder / LEXICON).read_text(encoding="utf-8"))
            tokens, df = list(lexicon["tokens"]), [int(d) for d in lexicon["df"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return (tokens, df) if len(tokens) == len(df) and tokens[:1] == [EMPTY] else None

    def _scan(self, expr: str, fields: list[str]) -> Iterator[dict]:
        """Every row matching ``expr`` (a query iterator: one pass, in batches)."""
        it = self.client.query_iterator(self.name, batch_size=BATCH * 2, filter=expr, output_fields=fields)
        try:
            while batch := it.next():
                yield from batch
        finally:
            it.close()

    def _recount(self) -> None:
        """Frequencies, per-article counts and the held articles from the rows themselves."""
        df = [0] * len(self._tokens)
        self._counts = Counter()
        for row in self._scan("", ["article_id", "sparse"]):
            self._counts[row["article_id"]] += 1
            for t in row["sparse"]:
                if t:
                    df[int(t)] += 1
        self._df, self._held = df, set(self._counts)

    # -- IndexWriter
    def missing(self, article_ids: Iterable[str]) -> set[str]:
        # The side manifest records every article's chunks and the collection's
        # row count was checked against it when this writer opened: when they
        # agree (and no rows past ``next_row`` were left), every recorded
        # article is held and nothing needs re-embedding, without reading the
        # collection. Otherwise ``_recount`` read which articles still have rows.
        if self._held is None:
            return set()
        return {a for a in article_ids if a not in self._held}

    def delete(self, article_ids: Iterable[str]) -> None:
        ids = list(dict.fromkeys(article_ids))
        with _milvus_errors(self.uri):
            for batch in _batches(ids):
                expr = _in("article_id", batch)
                for row in self._scan(expr, ["sparse"]):  # their tokens no longer count in the frequencies
                    for t in row["sparse"]:
                        if t:
                            self._df[int(t)] -= 1
                self.client.delete(self.name, filter=expr)
        for a in ids:
            self._counts.pop(a, None)
            if self._held is not None:
                self._held.discard(a)

    def add(self, chunks: Sequence[Chunk], tokens: Sequence[Sequence[str]], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(chunks), self.settings.dim)
        if len(tokens) != len(chunks):
            raise ValueError(f"{len(chunks)} chunks but {len(tokens)} token lists")
        if self._avgdl is None and chunks:  # frozen at the first build (see the module docstring)
            self._avgdl = float(np.mean([len(t) for t in tokens])) or 1.0
        k1, b = self.settings.bm25_k1, self.settings.bm25_b
        for chunk, toks, vec in zip(chunks, tokens, vectors):
            tf = Counter(toks)
            norm = k1 * (1 - b + b * len(toks) / self._avgdl)
            sparse = {}
            for token, n in tf.items():
                i = self._vocab.get(token)
                if i is None:
                    i = self._vocab[token] = len(self._tokens)
                    self._tokens.append(token)
                    self._df.append(0)
                self._df[i] += 1
                sparse[i] = n * (k1 + 1) / (n + norm)
            self._pending.append({"id": self._next_row, "article_id": chunk.article_id, "chunk": chunk.__dict__,
                                  "dense": vec, "sparse": sparse or {0: 1.0}})
            self._next_row += 1
            self._counts[chunk.article_id] += 1

    def commit(self, articles: dict[str, Article], manifest: dict) -> int:
        count = sum(self._counts.values())
        with _milvus_errors(self.uri):
            for batch in _batches(self._pending):
                self.client.insert(self.name, [{**row, **_fields(articles[row["article_id"]])} for row in batch])
            self._pending = []
            self.client.flush(self.name)
            # One pass over the collection per update: every chunk text, for the
            # accent table (fitted in row order, as the files backend does), and
            # the filter fields, to find rows whose article's fields changed
            # without new chunks (a provenance change is not a content change).
            texts, stale = [], set()
            for r in self._scan("", ["id", "article_id", "chunk", *FILTER_FIELDS]):
                texts.append((int(r["id"]), r["chunk"]["text"]))
                article = articles.get(r["article_id"])
                if article is None or _fields(article) != {f: r[f] for f in FILTER_FIELDS}:
                    stale.add(r["article_id"])
            if len(texts) != count or not stale <= set(articles):
                raise IndexDamaged(f"collection {self.name} holds {len(texts)} chunks after the update, {count} "
                                   f"expected ({len(stale - set(articles))} articles unknown): run rag index --rebuild")
            self._restamp(articles, sorted(stale))
        texts.sort()
        restorer = AccentRestorer().fit(text for _, text in texts)
        with writing(self.folder):
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomic(self.folder / ARTICLES,
                     "".join(json.dumps(a.__dict__, ensure_ascii=False) + "\n" for a in articles.values()))
            write_atomic(self.folder / LEXICON, json.dumps({"tokens": self._tokens, "df": self._df}, ensure_ascii=False))
            tmp = self.folder / (RESTORER + ".tmp")
            restorer.save(tmp)
            os.replace(tmp, self.folder / RESTORER)
            manifest = {
                **manifest,
                "counts": {"articles": len(articles), "chunks": count},
                "chunk_counts": {a: n for a, n in self._counts.items() if n},
                "files": {name: fingerprint(self.folder / name) for name in SIDE_FILES},
                "milvus": {"uri": self.uri, "collection": self.name, "build": self._build, "next_row": self._next_row,
                           "avgdl": self._avgdl, "bm25_k1": self.settings.bm25_k1, "bm25_b": self.settings.bm25_b},
            }
            write_atomic(self.folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        return count

    def _restamp(self, articles: dict[str, Article], stale: Sequence[str]) -> None:
        """Rewrite the rows of ``stale`` articles with their articles' current filter fields."""
        fields = ["id", "article_id", "chunk", "dense", "sparse"]
        for batch in _batches(stale):
            rows = [{**r, **_fields(articles[r["article_id"]])} for r in self._scan(_in("article_id", batch), fields)]
            for part in _batches(rows):
                self.client.upsert(self.name, list(part))
        if stale:
            self.client.flush(self.name)


def _fields(article: Article) -> dict:
    """The filterable fields a chunk row copies from its article."""
    return {f: getattr(article, f) for f in FILTER_FIELDS}

