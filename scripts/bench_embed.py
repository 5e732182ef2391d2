"""Embedding speed of each backend (``settings.EMBED_BACKENDS``) on the same passages.

In: N passages, by default 1,000 real chunks of the dev archive cut by the
repo's own chunker (the seed corpus when the archive is absent). Out: per
backend passages/s, CPU seconds per passage, cold import seconds, model load
seconds and peak RSS, then the speed ratio of each backend to the last one.

Each backend runs in a fresh process of its own (import cost is cold, peak
RSS is its own); the main process hands the same slices of passages to the
workers in turn, one working at a time, so other load on the machine falls
on both alike.

    python scripts/bench_embed.py [--n 1000] [--slice 50] [--archive DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARCHIVE = Path(os.environ.get("RAG_ARCHIVE_SAMPLE", REPO.parent / "shared" / "archive-sample" / "vntc"))
HEAVY = {"torch": ("torch", "sentence_transformers", "transformers"), "onnx-int8": ("onnxruntime", "tokenizers")}


def worker(backend: str) -> None:
    """Import, load, say so; then embed each JSON list of passages read from stdin."""
    import importlib
    import resource

    started = time.perf_counter()
    for name in HEAVY.get(backend, ()):
        importlib.import_module(name)
    from rag.models.embedder import make_embedder
    from rag.settings import Settings

    imported = time.perf_counter()
    embedder = make_embedder(Settings(embed_backend=backend))
    loaded = time.perf_counter()
    embedder.embed_passages(["passage warm-up: Hà Nội"] * 4)
    print(json.dumps({"import_s": imported - started, "load_s": loaded - imported}), flush=True)
    for line in sys.stdin:
        texts = json.loads(line)
        if texts is None:
            break
        wall, cpu = time.perf_counter(), time.process_time()
        embedder.embed_passages(texts)
        print(json.dumps({"s": time.perf_counter() - wall, "cpu": time.process_time() - cpu}), flush=True)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_rss_mb": rss_mb}), flush=True)


def passages(n: int, archive: Path) -> tuple[list[str], str]:
    from rag.index.chunking import chunk_article
    from rag.ingest.corpus import load_corpus
    from rag.settings import Settings

    s = Settings()
    folders = [archive] if archive.is_dir() else []
    articles = load_corpus(REPO / "corpus", *folders).articles
    texts = [c.for_embedding() for a in articles for c in chunk_article(a, s.chunk_chars, s.overlap_sentences)]
    random.Random(0).shuffle(texts)
    return texts[:n], f"{len(texts[:n])} chunks of {len(articles)} articles ({'archive' if folders else 'seeds'})"


class Worker:
    def __init__(self, backend: str):
        self.backend = backend
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", backend], cwd=REPO, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"},
        )
        self.info = self._reply()
        self.s = self.cpu = 0.0

    def _reply(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the {self.backend} worker died (see its error above)")
        return json.loads(line)

    def embed(self, texts: list[str]) -> None:
        self.proc.stdin.write(json.dumps(texts) + "\n")
        self.proc.stdin.flush()
        reply = self._reply()
        self.s += reply["s"]
        self.cpu += reply["cpu"]

    def close(self) -> None:
        self.proc.stdin.write("null\n")
        self.proc.stdin.flush()
        self.info.update(self._reply())
        self.proc.wait()


def main() -> None:
    from rag.settings import EMBED_BACKENDS

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1000, help="passages to embed (default 1000)")
    p.add_argument("--slice", type=int, default=50, help="passages per turn of each backend (default 50)")
    p.add_argument("--archive", type=Path, default=ARCHIVE, help=f"article folder (default {ARCHIVE})")
    p.add_argument("--backend", action="append", choices=EMBED_BACKENDS, help="backends to run (default: all)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args.worker)
    texts, what = passages(args.n, args.archive)
    print(f"{what}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    workers = [Worker(b) for b in args.backend or EMBED_BACKENDS]  # one at a time: load times uncontended
    for i, start in enumerate(range(0, len(texts), args.slice)):
        turn = workers if i % 2 == 0 else workers[::-1]  # neither always goes first
        for w in turn:
            w.embed(texts[start : start + args.slice])
    for w in workers:
        w.close()
    n = len(texts)
    print(f"{'backend':10} {'passages/s':>10} {'cpu ms/p':>9} {'import s':>9} {'load s':>7} {'peak RSS MB':>12}")
    for w in workers:
        print(f"{w.backend:10} {n / w.s:10.1f} {1000 * w.cpu / n:9.1f} {w.info['import_s']:9.2f} "
              f"{w.info['load_s']:7.2f} {w.info['peak_rss_mb']:12.0f}")
    base = workers[-1]
    for w in workers[:-1]:
        print(f"speed {w.backend} / {base.backend}: x{base.s / w.s:.2f} wall, x{base.cpu / w.cpu:.2f} CPU time, "
              f"load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
