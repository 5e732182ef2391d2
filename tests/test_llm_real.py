"""The real Qwen2.5-Coder-1.5B model, locally and through an OpenAI-compatible
server on loopback (xllamacpp's embedded llama.cpp server), never a mock.
Needs the [llm] extra; CI sets RAG_REQUIRE_LLM=1 so a missing extra fails
instead of skipping."""

from __future__ import annotations

import os

import pytest

from rag.api import RAG
from rag.models.embedder import E5Embedder
from rag.models.llm import available
from rag.models.llm_weights import ensure_gguf
from rag.settings import Settings

pytestmark = pytest.mark.llm
FDI = "Lạng Sơn có bao nhiêu dự án FDI?"


@pytest.fixture(scope="module")
def e5():
    if not available(Settings(llm_backend="local")):
        if os.environ.get("RAG_REQUIRE_LLM"):
            pytest.fail('the [llm] extra is not installed: pip install -e ".[llm]"')
        pytest.skip("the [llm] extra is not installed")
    return E5Embedder(Settings())


@pytest.fixture
def llm_settings(settings):
    """Temporary corpus and index, but the shared model cache (the GGUF is 1.1 GB)."""
    return settings.with_(cache_dir=Settings().cache_dir)


def _check_fdi(answer):
    assert answer.answer_mode == "llm", (answer.mode_reason, answer.generated)
    assert "28" in answer.answer and "[1]" in answer.answer
    assert answer.citations[0].article_id == "000_bf7702f0972e1e9e"
    assert answer.timings["ttft_ms"] > 0


def test_local_model_answers_the_fdi_question(e5, llm_settings):
    rag = RAG(llm_settings.with_(llm_backend="local"), embedder=e5)
    events = list(rag.ask_stream(FDI, mode="llm"))
    assert sum(isinstance(e, str) for e in events) > 3  # tokens streamed
    _check_fdi(events[-1])
    refused = rag.ask("Dân số Lạng Sơn là bao nhiêu?", mode="llm")
    assert not refused.answerable and refused.answer_mode == "extractive"


def test_openai_compatible_backend_against_a_local_server(e5, llm_settings):
    xlc = pytest.importorskip("xllamacpp")
    params = xlc.CommonParams()
    params.model.path = str(ensure_gguf(llm_settings.cache_dir))
    params.n_ctx, params.n_batch, params.n_parallel, params.verbosity = 2048, 512, 1, -1
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = 2
    server = xlc.Server(params)  # serves /v1/chat/completions on loopback while alive
    assert server.listening_address.startswith("http://127.0.0.1:")
    openai = llm_settings.with_(llm_backend="openai", llm_base_url=server.listening_address + "/v1", llm_model="qwen")
    _check_fdi(RAG(openai, embedder=e5).ask(FDI, mode="llm"))

