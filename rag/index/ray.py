"""The heavy steps of an index update as a Ray Data pipeline (``rag index --ray``).

In: ``Settings`` (corpus and archive folders, size cap, chunking), an
embedder factory that pickles to workers (``embedder_factory``: each worker
builds the default embedder from the settings, or gets a copy of a given
one), and where Ray runs: on this machine, started for the update and shut
down after it, or on a cluster (``address``: "auto" or "ray://host:port"),
whose nodes need this package's dependencies. Out: the two steps of
``indexer.Engine``, giving what ``LocalEngine`` gives:

- ``load`` -> ``Corpus``: ``corpus.load_corpus`` lists, checks (links,
  size cap, metadata.json) and reads the files here, with the ingest cache,
  and hands the files it must decode and clean to ``map_batches`` tasks
  (``build_article``); ids and exact/near duplicates are then settled here
  in load order. Only bytes travel, so workers need no shared filesystem.
- ``chunk_and_embed`` -> ``Rows``: a Dataset of the fresh articles ->
  ``map_batches`` tasks that chunk and tokenize -> ``map_batches`` actors that
  build one embedder each and embed (``num_gpus=1``: one GPU per actor, for
  an embedder that uses it: the default ones run on CPU) -> gathered here in
  article and chunk order.

Hold one Ray session across both steps with ``with RayEngine() as engine:``;
without it each step that has work starts (and stops) Ray itself. A Ray
already running in this process is used and left running.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from contextlib import contextmanager
from dataclasses import astuple, fields
from pathlib import Path
from typing import Callable, Collection, Iterator, Sequence

import numpy as np

from rag.errors import ConfigError, IndexMismatch, RagError
from rag.index.base import Rows
from rag.index.chunking import chunk_article
from rag.index.lexical import tokenize
from rag.ingest.cache import IngestCache
from rag.ingest.corpus import Corpus, Job, build_result, load_corpus
from rag.models.embedder import Embedder, make_embedder
from rag.schema import Article, Chunk
from rag.settings import Settings

MISSING = "rag index --ray needs the [scale] extra: pip install -e '.[scale]'"
# A local Ray may time out starting on a busy machine ("The current node timed out during startup"):
# it is started this many times before the error stands.
LOCAL_START_TRIES = 3
ARTICLE_FIELDS = tuple(f.name for f in fields(Article))
CHUNK_INTS = ("pos", "n", "start", "end")
CHUNK_STRS = ("id", "article_id", "text", "header", "passage")


def _require_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ConfigError(MISSING) from None
    return ray


# ------------------------------------------------------------ embedders
def _same(embedder: Embedder) -> Embedder:
    return embedder


def default_embedder(settings: Settings) -> Embedder:
    """The embedder ``RAG`` builds by default, built on a worker."""
    return make_embedder(settings)


def embedder_factory(settings: Settings, given: Embedder | None = None) -> Callable[[], Embedder]:
    """A factory that pickles to workers: a copy of ``given`` (a small or fake
    embedder) or the default embedder for ``settings``."""
    if given is not None:
        return functools.partial(_same, given)
    return functools.partial(default_embedder, settings)


# ---------------------------------------------------------- worker UDFs
def _build_batch(batch) -> dict:
    """Decode and clean: ``{i, stem, name, data, meta, origin}`` rows ->
    ``{i, article, reason}`` (the article's values as JSON, or why there is none)."""
    out: dict[str, list] = {"i": [], "article": [], "reason": []}
    cols = {k: batch.column(k).to_pylist() for k in ("i", "stem", "name", "data", "meta", "origin")}
    for i, stem, name, data, meta, origin in zip(*cols.values()):
        result = build_result(stem, data, json.loads(meta), name, origin)
        out["i"].append(i)
        out["article"].append("" if isinstance(result, str) else json.dumps(astuple(result), ensure_ascii=False))
        out["reason"].append(result if isinstance(result, str) else "")
    return out


def _chunk_batch(batch, chunk_chars: int, overlap_sentences: int):
    """Articles (``pos`` + Article fields) -> their chunks, lexical tokens and embedding texts."""
    import pyarrow as pa

    out: dict[str, list] = {k: [] for k in (*CHUNK_INTS, *CHUNK_STRS, "tokens")}
    cols = [batch.column(k).to_pylist() for k in ("pos", *ARTICLE_FIELDS)]
    for pos, *values in zip(*cols):
        for c in chunk_article(Article(*values), chunk_chars, overlap_sentences):
            for k, v in (("pos", pos), ("n", c.n), ("start", c.start), ("end", c.end), ("id", c.id),
                         ("article_id", c.article_id), ("text", c.text), ("header", c.header),
                         ("passage", c.for_embedding()), ("tokens", tokenize(f"{c.header}\n{c.text}"))):
                out[k].append(v)
    schema = pa.schema([*((k, pa.int64()) for k in CHUNK_INTS), *((k, pa.string()) for k in CHUNK_STRS),
                        ("tokens", pa.list_(pa.string()))])
    return pa.Table.from_pydict(out, schema=schema)


class _Embed:
    """Embedding actor: builds its embedder once (``factory`` and ``dim`` are
    class attributes of a subclass made per run)."""

    factory: Callable[[], Embedder]
    dim: int

    def __init__(self):
        # an error is raised by the first call: a task's error reaches the driver whole, an actor's does not
        self.error: RagError | None = None
        try:
            self.embedder = type(self).factory()
        except RagError as exc:  # ModelError, ConfigError
            self.error = exc
            return
        if self.embedder.dim != self.dim:
            self.error = IndexMismatch(f"embedder gives {self.embedder.dim}-dim vectors, settings expect {self.dim}")

    def __call__(self, batch):
        import pyarrow as pa

        if self.error is not None:
            raise self.error
        texts = batch.column("passage").to_pylist()
        vectors = np.asarray(self.embedder.embed_passages(texts, progress=False), dtype=np.float32)
        vectors = pa.array([v.tobytes() for v in vectors.reshape(len(texts), self.dim)], pa.binary())
        return batch.drop_columns(["passage"]).append_column("vector", vectors)


def _ray_cause(exc: BaseException) -> RagError | None:
    """The library error a worker raised, out of Ray's wrappers."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        cause = getattr(e, "cause", None)
        if isinstance(cause, RagError):
            return cause
        if isinstance(e, RagError) and type(e).__module__.startswith("rag."):
            return e
        todo += [cause if isinstance(cause, BaseException) else None, e.__cause__, e.__context__]
    return None


# --------------------------------------------------------------- engine
class RayEngine:
    """``indexer.Engine`` on Ray Data.

    ``address``: None starts Ray here (``num_cpus``, default all cores);
    "auto" or "ray://host:port" connects to a cluster. ``num_gpus``: GPUs per
    embedding actor (1 on a GPU cluster). ``cpus_per_worker``: CPUs per
    embedding actor (default: 1 with GPUs, else all the CPUs of the smallest
    node, since the embedders run one multi-threaded model per process);
    ``concurrency``: embedding actors (default: as many as fit the cluster);
    ``batch_size``: chunks per embedding call.
    """

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None,
                 concurrency: int | None = None, batch_size: int = 64, num_gpus: float = 0,
                 cpus_per_worker: float | None = None, build_batch_size: int = 32):
        _require_ray()
        self.address = address or None
        self.num_cpus = num_cpus
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.num_gpus = num_gpus
        self.cpus_per_worker = cpus_per_worker
        self.build_batch_size = build_batch_size
        self._held = 0
        self._started = False
        self._progress = False

    # ------------------------------------------------------------ session
    def __enter__(self) -> "RayEngine":
        self._held += 1
        return self

    def __exit__(self, *exc) -> None:
        self._held -= 1
        if not self._held:
            self._stop()

    @contextmanager
    def _ray(self) -> Iterator:
        ray = _require_ray()
        if not ray.is_initialized():
            self._start(ray)
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = self._progress
        ctx.raise_original_map_exception = True  # a worker's IndexMismatch & co. reach the caller as such
        logging.getLogger("ray.data._internal.progress").setLevel(logging.WARNING if self._progress else logging.ERROR)
        try:
            yield ray
        except Exception as exc:
            cause = _ray_cause(exc)
            if cause is not None:
                raise cause from None
            raise
        finally:
            if not self._held:
                self._stop()

    def _start(self, ray) -> None:
        quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
        if self.address:
            package = Path(__file__).resolve().parents[1]  # the package root (rag/): this code travels with the job
            ray.init(address=self.address, runtime_env={"py_modules": [str(package)]}, **quiet)
        else:
            for attempt in range(1, LOCAL_START_TRIES + 1):
                try:
                    ray.init(num_cpus=self.num_cpus or os.cpu_count(), include_dashboard=False, **quiet)
                    break
                except Exception:
                    ray.shutdown()  # what the failed start left behind
                    if attempt == LOCAL_START_TRIES:
                        raise
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        self._started = True

    def _stop(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def _blocks(self, ray, n: int) -> int:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        return max(1, min(n, 4 * cpus))

    def _actors(self, ray) -> tuple[int, float]:
        """How many embedding actors, and CPUs for each."""
        nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
        cpus = [r.get("CPU", 0) for r in nodes if r.get("CPU", 0) > 0] or [1]
        per = self.cpus_per_worker or (1 if self.num_gpus else min(cpus))
        if self.concurrency:
            return self.concurrency, per
        if self.num_gpus:
            return max(1, int(sum(r.get("GPU", 0) for r in nodes) // self.num_gpus)), per
        return max(1, sum(int(c // per) for c in cpus)), per

    # ----------------------------------------------------------- protocol
    def embedder_factory(self, settings: Settings, given: Embedder | None = None) -> Callable[[], Embedder]:
        """What ``RAG.index`` passes as ``make_embedder`` (see ``embedder_factory``)."""
        return embedder_factory(settings, given)

    def load(self, settings: Settings, rebuild: bool, indexed: Collection[str] = ()) -> Corpus:
        cache = IngestCache.open(settings.index_dir, fresh=rebuild)  # unchanged files are not cleaned again
        corpus = load_corpus(settings.corpus_dir, *settings.archives, max_bytes=settings.max_file_bytes,
                             cache=cache, build_many=self.build_many, indexed=indexed)
        cache.save()
        return corpus

    def build_many(self, jobs: Sequence[Job]) -> list[Article | str]:
        """``Job.build`` of each job, on Ray workers, in order."""
        rows = [{"i": i, "stem": j.path.stem, "name": j.path.name, "data": j.data,
                 "meta": json.dumps(j.meta, ensure_ascii=False), "origin": j.origin} for i, j in enumerate(jobs)]
        with self._ray() as ray:
            ds = ray.data.from_items(rows, override_num_blocks=self._blocks(ray, len(rows)))
            ds = ds.map_batches(_build_batch, batch_format="pyarrow", batch_size=self.build_batch_size)
            results: list[Article | str | None] = [None] * len(jobs)
            for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None):
                for i, article, reason in zip(*(batch.column(k).to_pylist() for k in ("i", "article", "reason"))):
                    results[i] = Article(*json.loads(article)) if article else reason
        if any(r is None for r in results):
            raise RuntimeError("the Ray pipeline lost files on the way")
        return results  # type: ignore[return-value]

    def chunk_and_embed(self, articles: Sequence[Article], settings: Settings,
                        make_embedder: Callable[[], Embedder], progress: bool) -> Rows:
        if not articles:
            return Rows([], [], np.zeros((0, settings.dim), dtype=np.float32))
        self._progress = progress
        rows = [dict(zip(("pos", *ARTICLE_FIELDS), (i, *astuple(a)))) for i, a in enumerate(articles)]
        embed = type("Embed", (_Embed,), {"factory": staticmethod(make_embedder), "dim": settings.dim})
        with self._ray() as ray:
            ds = ray.data.from_items(rows, override_num_blocks=self._blocks(ray, len(rows)))
            chunks = ds.map_batches(
                _chunk_batch, batch_format="pyarrow", batch_size=self.build_batch_size,
                fn_kwargs={"chunk_chars": settings.chunk_chars, "overlap_sentences": settings.overlap_sentences},
            ).materialize()  # chunked before the actors take the cores
            n = chunks.count()
            if n == 0:
                return Rows([], [], np.zeros((0, settings.dim), dtype=np.float32))
            calls = -(-n // self.batch_size)
            actors, cpus = self._actors(ray)
            actors = min(actors, calls)
            if chunks.num_blocks() < min(calls, 2 * actors):  # input for every actor, split before they start
                chunks = chunks.repartition(min(calls, 4 * actors)).materialize()
            gpus = {"num_gpus": self.num_gpus} if self.num_gpus else {}
            vectors = chunks.map_batches(
                embed, batch_format="pyarrow", batch_size=self.batch_size,
                compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=cpus, **gpus,
            )
            batches = list(vectors.iter_batches(batch_format="pyarrow", batch_size=None))
        return _rows(batches, settings.dim)


def _rows(batches: list, dim: int) -> Rows:
    """Gathered batches -> ``Rows`` in article order, then chunk order."""
    cols = {k: [v for b in batches for v in b.column(k).to_pylist()]
            for k in (*CHUNK_INTS, *CHUNK_STRS[:-1], "tokens", "vector")}
    order = sorted(range(len(cols["pos"])), key=lambda i: (cols["pos"][i], cols["n"][i]))
    chunks = [Chunk(cols["id"][i], cols["article_id"][i], cols["n"][i], cols["start"][i], cols["end"][i],
                    cols["text"][i], cols["header"][i]) for i in order]
    vectors = np.frombuffer(b"".join(cols["vector"][i] for i in order), dtype=np.float32).reshape(len(order), dim)
    return Rows(chunks, [cols["tokens"][i] for i in order], vectors.copy())
