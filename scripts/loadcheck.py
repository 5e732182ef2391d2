"""Load check (not a timed test): N concurrent gradio_client clients each ask
M different questions through the ``ask`` endpoint; prints errors and
latency p50/p95.

    python scripts/loadcheck.py                       # starts app.py on a free port itself
    python scripts/loadcheck.py --url http://127.0.0.1:7860/
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.evaluate.questions import load_items, percentile  # noqa: E402
from rag.modes import names  # noqa: E402


def start_app() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(REPO / "app.py"), "--port", str(port)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            time.sleep(1)
    proc.kill()
    raise SystemExit("app.py did not start")


def how(out: dict) -> str:
    """How an answer was written: generated, quoted because the model was busy, ..."""
    if out["answer_mode"] == "extractive" and "bận" in out["mode_reason"]:
        return "quoted: model busy"
    if out["answer_mode"] == "extractive-fallback":
        return "quoted: over the time limit" if "time limit" in out["mode_reason"] else "quoted: generation failed checks"
    return out["answer_mode"] if out["answerable"] else "not in the archive"


def client_run(url: str, questions: list[str], mode: str) -> tuple[list[float], list[str], list[str]]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    latencies, errors, ways = [], [], []
    for q in questions:
        t0 = time.perf_counter()
        try:
            out = client.predict(q, "", 5, [], mode, api_name="/ask")
            if "answer" not in out:
                errors.append(f"{q}: malformed reply")
            else:
                ways.append(how(out))
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors.append(f"{q}: {exc}")
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies, errors, ways


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url")
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--questions", type=int, default=5, help="questions per client")
    p.add_argument("--mode", default="extractive", choices=names("question"))
    args = p.parse_args()
    proc = None
    url = args.url
    if not url:
        proc, url = start_app()
    try:
        pool = [i.question for i in load_items(REPO / "eval" / "qa.jsonl") if not i.history]
        work = [[pool[(c * args.questions + j) % len(pool)] for j in range(args.questions)] for c in range(args.clients)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as ex:
            results = list(ex.map(lambda qs: client_run(url, qs, args.mode), work))
        wall = time.perf_counter() - t0
    finally:
        if proc:
            proc.terminate()
    latencies = [x for lat, _, _ in results for x in lat]
    errors = [e for _, errs, _ in results for e in errs]
    ways = Counter(w for *_, ws in results for w in ws)
    print(f"{args.clients} clients x {args.questions} questions = {len(latencies)} requests in {wall:.1f} s")
    print(f"errors: {len(errors)}")
    for e in errors[:10]:
        print("  ", e)
    print("answers: " + ", ".join(f"{n} {way}" for way, n in ways.most_common()))
    print(f"latency per request: p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
          f"mean {statistics.mean(latencies):.0f} ms")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
