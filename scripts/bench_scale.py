"""Growth of the index with the archive, per backend, printed as figures (not a test).

    python scripts/bench_scale.py --archive ../shared/archive-sample/vntc            # 100, 500, 1,500 + 100k synthetic
    python scripts/bench_scale.py --archive ../shared/archive-sample/vntc --backend faiss --sizes 100 --synthetic 0

For the seeds + N dev-archive articles (N = ``--sizes``) and a synthetic
replication to ``--synthetic`` chunks (real chunks and tokens repeated,
vectors = real vectors plus noise, renormalised: fine for latency, not for
quality), and for each backend, it prints:

* write chunks/s: the backend's add + commit of ready chunks (the embedding
  is measured once, apart: ``embed chunks/s`` on the first line, the default
  embedder on this machine), and the peak memory of that process;
* size on disk (index folder, Milvus file included);
* cold load: a new process opens the index and answers one query;
* query p50 / p95: retrieval of the eval questions (query embedding, dense
  and lexical search, fusion), warm, one at a time;
* recall@10: the backend's dense top 10 against an exact scan of the same
  vectors (1.000 for exact search; HNSW / Milvus indexes are approximate).

Every measured step runs in its own process, so memory and cold load are
those of a fresh start. Chunks, tokens and vectors are prepared once into
``--work`` (reused by later runs); the index folders are rebuilt each run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.evaluate.questions import load_items, percentile  # noqa: E402
from rag.settings import BACKENDS, Settings  # noqa: E402


# ---------------------------------------------------------------- prepare
def prepare(args) -> dict:
    """Chunks, tokens and vectors of the seeds + the largest N, saved in ``--work``."""
    from rag.index.chunking import chunk_article
    from rag.index.lexical import tokenize
    from rag.ingest.corpus import load_corpus
    from rag.models.embedder import make_embedder

    work = Path(args.work)
    meta_path = work / "prepared.json"
    settings = Settings()
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta["signature"] == settings.index_signature() and meta["max_n"] >= max(args.sizes, default=0):
            return meta
    work.mkdir(parents=True, exist_ok=True)
    embedder = make_embedder(settings)
    if args.from_index:  # chunks, tokens and vectors of an index built with these settings: nothing re-embedded
        from rag.index.files.store import (
            generation_manifest,
            live_generation,
            read_articles,
            read_chunks,
            read_dense,
            read_tokens,
        )

        gen = live_generation(Path(args.from_index))
        built = generation_manifest(gen) or {}
        if any(built.get(k) != v for k, v in settings.index_signature().items()):
            raise SystemExit(f"{args.from_index} was built with other settings")
        every = list(read_articles(gen).values())
        n_seeds = sum(1 for a in every if a.origin == "corpus")
        max_n = min(max(args.sizes, default=0), len(every) - n_seeds)
        articles = every[: n_seeds + max_n]
        keep = {a.id for a in articles}
        rows = [(c, t, i) for i, (c, t) in enumerate(zip(read_chunks(gen), read_tokens(gen))) if c.article_id in keep]
        chunks, tokens = [r[0] for r in rows], [r[1] for r in rows]
        vectors = read_dense(gen).vectors(np.array([r[2] for r in rows], dtype=np.int64))
        sample = [c.for_embedding() for c in chunks[:500]]
        t = time.perf_counter()
        embedder.embed_passages(sample)
        embed_rate = len(sample) / (time.perf_counter() - t)
    else:
        seeds = load_corpus(Path(args.corpus)).articles
        archive = sorted(load_corpus(Path(args.archive)).articles, key=lambda a: a.id) if args.archive else []
        max_n = min(max(args.sizes, default=0), len(archive))
        n_seeds = len(seeds)
        articles = list(seeds) + archive[:max_n]
        chunks = [c for a in articles for c in chunk_article(a, settings.chunk_chars, settings.overlap_sentences)]
        tokens = [tokenize(f"{c.header}\n{c.text}") for c in chunks]
        t = time.perf_counter()
        vectors = embedder.embed_passages([c.for_embedding() for c in chunks], progress=True)
        embed_rate = len(chunks) / (time.perf_counter() - t)
    np.save(work / "vectors.npy", vectors)
    with (work / "rows.jsonl").open("w", encoding="utf-8") as f:
        for c, tok in zip(chunks, tokens):
            f.write(json.dumps({"chunk": c.__dict__, "tokens": tok}, ensure_ascii=False) + "\n")
    (work / "articles.jsonl").write_text(
        "".join(json.dumps(a.__dict__, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    first_rows = {}
    for n in [0, *args.sizes]:
        keep = {a.id for a in articles[: n_seeds + min(n, max_n)]}
        first_rows[str(n)] = sum(1 for c in chunks if c.article_id in keep)
    meta = {"signature": settings.index_signature(), "max_n": max_n, "embed_chunks_per_s": embed_rate,
            "rows_for_n": first_rows, "n_seeds": n_seeds}
    meta_path.write_text(json.dumps(meta))
    return meta


def load_rows(work: Path, n_rows: int, synthetic: int):
    from rag.schema import Article, Chunk

    articles = {}
    for line in (work / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        a = Article(**json.loads(line))
        articles[a.id] = a
    chunks, tokens = [], []
    with (work / "rows.jsonl").open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            chunks.append(Chunk(**row["chunk"]))
            tokens.append(row["tokens"])
    vectors = np.load(work / "vectors.npy")
    if not synthetic:
        chunks, tokens, vectors = chunks[:n_rows], tokens[:n_rows], vectors[:n_rows]
        return {c.article_id: articles[c.article_id] for c in chunks}, chunks, tokens, vectors
    return replicate(articles, chunks, tokens, vectors, synthetic)


def replicate(articles, chunks, tokens, vectors, total: int):
    """Copies of the real rows under new article ids until ``total`` chunks."""
    from dataclasses import replace

    rng = np.random.default_rng(0)
    out_a, out_c, out_t, out_v = {}, [], [], []
    copy = 0
    while len(out_c) < total:
        for c, t, v in zip(chunks, tokens, vectors):
            if len(out_c) == total:
                break
            aid = f"{c.article_id}~{copy}"
            if aid not in out_a:
                out_a[aid] = replace(articles[c.article_id], id=aid)
            out_c.append(replace(c, id=f"{aid}:{c.id.split(':')[-1]}", article_id=aid))
            out_t.append(t)
            noisy = v + rng.normal(0, 0.02, v.shape).astype(np.float32)
            out_v.append(noisy / np.linalg.norm(noisy))
        copy += 1
    return out_a, out_c, out_t, np.stack(out_v).astype(np.float32)


# ------------------------------------------------------------ child steps
def child_build(args) -> dict:
    from rag.index.base import open_writer

    settings = _settings(args)
    articles, chunks, tokens, vectors = load_rows(Path(args.work), args.rows, args.synthetic)
    shutil.rmtree(settings.index_dir, ignore_errors=True)
    settings.index_dir.mkdir(parents=True)
    t = time.perf_counter()
    writer = open_writer(settings, rebuild=True)
    writer.add(chunks, tokens, vectors)
    count = writer.commit(articles, {"format": _format(), **settings.index_signature(),
                                     "articles": {a: "" for a in articles}, "provenance": {}})
    seconds = time.perf_counter() - t
    return {"chunks": count, "write_s": seconds, "peak_mb": _peak_mb()}


def child_query(args) -> dict:
    t0 = time.perf_counter()
    from rag.index.base import open_search
    from rag.models.embedder import make_embedder
    from rag.retrieve.query import parse_query
    from rag.retrieve.retrieval import Retriever

    settings = _settings(args)
    retriever = Retriever(open_search(settings), make_embedder(settings), settings)
    questions = [i.question for i in load_items(Path(args.queries)) if not i.history]
    retriever.search(parse_query(questions[0]))
    cold = time.perf_counter() - t0
    times = []
    for q in questions:
        query = parse_query(q)
        t = time.perf_counter()
        retriever.search(query)
        times.append((time.perf_counter() - t) * 1000)
    _, chunks, _, vectors = load_rows(Path(args.work), args.rows, args.synthetic)
    recall = dense_recall(retriever, questions[:50], vectors, {c.id: i for i, c in enumerate(chunks)})
    return {"cold_s": cold, "p50_ms": percentile(times, 0.5), "p95_ms": percentile(times, 0.95),
            "recall10": recall, "peak_mb": _peak_mb()}


def dense_recall(retriever, questions, vectors: np.ndarray, position: dict[str, int]) -> float:
    """The backend's dense top 10 against an exact scan of the same vectors."""
    from rag.filters import Filters

    found = 0
    for q in questions:
        qvec = retriever.embedder.embed_queries([q])[0]
        exact = set(np.argsort(-(vectors @ qvec))[:10].tolist())
        got = retriever.backend.dense_search(qvec, 10, Filters())
        found += len(exact & {position[c.id] for c in retriever.backend.fetch(got)})
    return found / (10 * len(questions))


def _settings(args) -> Settings:
    s = Settings(index_dir=Path(args.index), backend=args.backend)
    if args.hnsw is not None:
        s = s.with_(hnsw_threshold=args.hnsw)
    return s


def _format() -> int:
    from rag.index.base import FORMAT

    return FORMAT


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def run_child(step: str, args, index: Path, backend: str, rows: int, synthetic: int, hnsw: int | None) -> dict:
    cmd = [sys.executable, __file__, "--child", step, "--work", args.work, "--index", str(index),
           "--backend", backend, "--rows", str(rows), "--synthetic", str(synthetic), "--queries", args.queries]
    if hnsw is not None:
        cmd += ["--hnsw", str(hnsw)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(f"{step} failed for {backend}, {rows} rows:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", default="corpus")
    p.add_argument("--archive", default="")
    p.add_argument("--sizes", type=int, nargs="*", default=[100, 500, 1500])
    p.add_argument("--synthetic", type=int, default=100_000, help="chunks of the synthetic replication (0: none)")
    p.add_argument("--backend", action="append", choices=BACKENDS, help="backends to measure (default: all installed)")
    p.add_argument("--queries", default="eval/archive-dev.jsonl")
    p.add_argument("--from-index", help="take chunks, tokens and vectors from this files index (built with the "
                                        "current settings, seeds + archive) instead of embedding them again")
    p.add_argument("--work", default=str(Path(os.environ.get("TMPDIR", "/tmp")) / "rag-bench-scale"))
    p.add_argument("--child", choices=["build", "query"], help=argparse.SUPPRESS)
    p.add_argument("--index", help=argparse.SUPPRESS)
    p.add_argument("--rows", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--hnsw", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        args.backend = args.backend[0]
        print(json.dumps(child_build(args) if args.child == "build" else child_query(args)))
        return 0

    backends = args.backend or [b for b in BACKENDS if b == "faiss" or _installed(b)]
    meta = prepare(args)
    print(f"embedding ({Settings().embed_backend}): {meta['embed_chunks_per_s']:.1f} chunks/s on "
          f"{os.cpu_count()} cores")
    cases = [(f"seeds + {n}", meta["rows_for_n"][str(n)], 0, None) for n in args.sizes]
    if args.synthetic:
        cases.append((f"synthetic {args.synthetic:,}", 0, args.synthetic, None))
        cases.append((f"synthetic {args.synthetic:,} (HNSW)", 0, args.synthetic, 1))
    print("| backend | index | chunks | write chunks/s | build peak MB | disk MB | cold load s | "
          "query p50 ms | query p95 ms | recall@10 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for backend in backends:
        for name, rows, synthetic, hnsw in cases:
            if hnsw is not None and backend != "faiss":
                continue
            index = Path(args.work) / f"index-{backend}"
            built = run_child("build", args, index, backend, rows, synthetic, hnsw)
            queried = run_child("query", args, index, backend, rows, synthetic, hnsw)
            print(f"| {backend} | {name} | {built['chunks']:,} | {built['chunks'] / built['write_s']:,.0f} | "
                  f"{built['peak_mb']:,.0f} | {_disk_mb(index):,.1f} | {queried['cold_s']:.2f} | "
                  f"{queried['p50_ms']:.1f} | {queried['p95_ms']:.1f} | {queried['recall10']:.3f} |", flush=True)
    return 0


def _installed(backend: str) -> bool:
    import importlib.util

    return backend != "milvus" or importlib.util.find_spec("pymilvus") is not None


if __name__ == "__main__":
    sys.exit(main())
