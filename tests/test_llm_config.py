import pytest

from rag.errors import ConfigError, LLMUnavailable
from rag.models.llm import OLLAMA_URL, make_chat_model
from rag.settings import Settings


def test_openai_and_ollama_backends_share_one_interface(tmp_path):
    pytest.importorskip("langchain_openai")
    ollama = make_chat_model(Settings(cache_dir=tmp_path, llm_backend="ollama", llm_model="qwen2.5:1.5b"))
    assert str(ollama.openai_api_base).rstrip("/") == OLLAMA_URL and ollama.model_name == "qwen2.5:1.5b"
    custom = make_chat_model(Settings(cache_dir=tmp_path, llm_backend="openai", llm_base_url="http://127.0.0.1:9/v1"))
    assert str(custom.openai_api_base).startswith("http://127.0.0.1:9")


def test_bad_llm_configuration_is_explained(tmp_path):
    with pytest.raises(LLMUnavailable, match="RAG_LLM_BASE_URL"):
        make_chat_model(Settings(cache_dir=tmp_path, llm_backend="openai", llm_base_url=""))
    with pytest.raises(LLMUnavailable, match="unknown LLM backend"):
        make_chat_model(Settings(cache_dir=tmp_path, llm_backend="gpt5"))
    with pytest.raises(LLMUnavailable, match="unknown runtime"):
        make_chat_model(Settings(cache_dir=tmp_path, llm_backend="local", llm_runtime="vllm"))


def test_an_unknown_llm_backend_in_the_environment_is_refused_like_the_others(monkeypatch):
    monkeypatch.setenv("RAG_LLM_BACKEND", "gpt5")
    with pytest.raises(ConfigError, match="RAG_LLM_BACKEND must be one of local, openai, ollama, got 'gpt5'"):
        Settings()
