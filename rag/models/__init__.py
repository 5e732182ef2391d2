"""Models: weights from installed packages -> a text embedder (converted, int8 ONNX) and the local LLM."""

from rag.exports import lazy

__all__, __getattr__ = lazy(__name__, {
    "Embedder": "embedder", "make_embedder": "embedder",
    "ensure_model_dir": "convert",
    "ensure_onnx_dir": "onnx_export",
    "make_chat_model": "llm", "available": "llm",
    "ensure_gguf": "llm_weights",
})
