"""Benchmark the local LLM runtimes on this machine (figures, not a test).

For each installed runtime (xllamacpp, llama-cpp-python): model load time,
prompt processing and generation speed in tokens/s, and time to first token
and total time for the FDI question through our own prompt (the passages the
extractive gate picked). Each measurement is repeated; medians are printed.

    python scripts/bench_llm.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.api import RAG  # noqa: E402
from rag.generate import HUMAN, LANGUAGE, SYSTEM, format_passages, passages_of  # noqa: E402
from rag.llm import RUNTIMES  # noqa: E402
from rag.llm_weights import ensure_gguf  # noqa: E402
from rag.settings import Settings  # noqa: E402


def usage(runtime, messages, max_tokens):
    """(prompt_tokens, completion_tokens) from a non-streamed call."""
    if hasattr(runtime, "llm"):
        out = runtime.llm.create_chat_completion(messages, max_tokens=max_tokens, temperature=0)
    else:
        out = runtime.server.handle_chat_completions({"messages": messages, "max_tokens": max_tokens, "temperature": 0})
    return out["usage"]["prompt_tokens"], out["usage"]["completion_tokens"]


def timed_stream(runtime, messages, max_tokens):
    t0 = time.perf_counter()
    ttft, pieces = None, []
    for piece in runtime.stream(messages, max_tokens):
        ttft = ttft if ttft is not None else time.perf_counter() - t0
        pieces.append(piece)
    return ttft, time.perf_counter() - t0, "".join(pieces)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    settings = Settings()
    rag = RAG(settings)
    extractive = rag.ask("Lạng Sơn có bao nhiêu dự án FDI?", mode="extractive")
    messages = [
        {"role": "system", "content": SYSTEM.format(language=LANGUAGE["vi"])},
        {"role": "user", "content": HUMAN.format(passages=format_passages(passages_of(extractive.citations)),
                                                   question=extractive.question)},
    ]
    # Prompt speed: a long prompt with a unique first line each run, so no cache can serve it.
    def long_messages(run: int) -> list[dict]:
        return [{"role": "system", "content": f"Lần {run}. " + messages[0]["content"]},
                {"role": "user", "content": messages[1]["content"] * 4}]
    other = rag.ask("Lào Cai có bao nhiêu dự án FDI?", mode="extractive")
    other_messages = [messages[0], {"role": "user", "content": HUMAN.format(
        passages=format_passages(passages_of(other.citations)), question=other.question)}]
    model = ensure_gguf(settings.cache_dir)
    print(f"model {model.name}, {settings.llm_threads} threads; FDI prompt through our chain\n")
    print("| runtime | load s | prompt tok/s | gen tok/s | FDI TTFT s | FDI total s | answer |")
    print("|---|---|---|---|---|---|---|")
    for name, (module, cls) in RUNTIMES.items():
        try:
            __import__(module)
        except ImportError:
            print(f"| {name} | not installed | | | | | |")
            continue
        t0 = time.perf_counter()
        runtime = cls(model, settings.llm_threads)
        load = time.perf_counter() - t0
        timed_stream(runtime, messages, 8)  # warm-up
        n_prompt_long, _ = usage(runtime, long_messages(-1), 1)
        n_prompt, n_gen = usage(runtime, messages, 120)
        prompt_speed, gen_speed, ttfts, totals = [], [], [], []
        for run in range(args.runs):
            ttft_long, _, _ = timed_stream(runtime, long_messages(run), 1)
            prompt_speed.append(n_prompt_long / ttft_long)
            # The FDI question as a fresh question in a running server: a unique first
            # line in the user turn, so only the shared system prompt can come from a cache.
            timed_stream(runtime, other_messages, 1)
            fresh = [messages[0], {"role": "user", "content": f"({run + 1})\n" + messages[1]["content"]}]
            ttft, total, text = timed_stream(runtime, fresh, 120)
            ttfts.append(ttft)
            totals.append(total)
            gen_speed.append((n_gen - 1) / max(total - ttft, 1e-6))
        med = statistics.median
        print(f"| {name} | {load:.1f} | {med(prompt_speed):.0f} | {med(gen_speed):.1f} | {med(ttfts):.2f} | "
              f"{med(totals):.2f} | {text.strip()[:80]} |")
        del runtime
    print(f"\nFDI prompt: {n_prompt} tokens; long prompt for prompt speed: {n_prompt_long} tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
