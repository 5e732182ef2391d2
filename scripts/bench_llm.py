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

from rag.answer.generate import prompt_messages  # noqa: E402
from rag.api import RAG  # noqa: E402
from rag.models.llm import RUNTIMES  # noqa: E402
from rag.models.llm_weights import ensure_gguf  # noqa: E402
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
    messages = prompt_messages(extractive, "vi")
    other_messages = prompt_messages(rag.ask("Lào Cai có bao nhiêu dự án FDI?", mode="extractive"), "vi")

    def with_first_line(msgs: list[dict], line: str) -> list[dict]:
        """The same prompt with a unique first line in the question turn: only the
        shared system prompt and example can come from a cache, as for a new question."""
        return msgs[:-1] + [{"role": "user", "content": f"{line}\n" + msgs[-1]["content"]}]

    def uncached_long(run: int) -> list[dict]:
        """A long prompt that starts with a unique line, so no token of it is cached."""
        return [{"role": "system", "content": f"({run})\n" + msgs_text}]

    msgs_text = "\n\n".join(m["content"] for m in messages) * 2

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
        n_prompt_long, _ = usage(runtime, uncached_long(-1), 1)
        n_prompt, n_gen = usage(runtime, messages, 160)
        prompt_speed, gen_speed, ttfts, totals = [], [], [], []
        for run in range(args.runs):
            ttft_long, _, _ = timed_stream(runtime, uncached_long(run), 1)
            prompt_speed.append(n_prompt_long / ttft_long)
            # The FDI question as a fresh question in a running server: a unique first
            # line in the user turn, so only the shared system prompt can come from a cache.
            timed_stream(runtime, other_messages, 1)
            ttft, total, text = timed_stream(runtime, with_first_line(messages, f"({run + 1})"), 160)
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
