"""Shared fixtures. ``HashEmbedder`` is the fake for the slow part (the neural
model): deterministic bag-of-folded-words vectors, so the fast tests exercise
the real chunking, lexical index, FAISS, fusion and answering code."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.settings import Settings
from rag.text.vietnamese import words

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
# The dev archive (1,500 real news files) lives beside the checkout, never in it.
ARCHIVE = Path(os.environ.get("RAG_ARCHIVE_SAMPLE", REPO.parent / "shared" / "archive-sample" / "vntc"))


class HashEmbedder:
    model_id = Settings().model_id
    dim = Settings().dim

    def __init__(self):
        self.passages_embedded = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for w in words(text):
            h = int.from_bytes(hashlib.md5(w.encode()).digest()[:4], "little")
            v[h % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_queries(self, texts):
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_passages(self, texts, progress=False):
        self.passages_embedded += len(texts)
        return self.embed_queries(texts)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


# Models converted or exported on first use (the reader's ONNX file, the embedder) are cached once for
# the whole run, in the user's cache as in real use: a fresh folder per test would export them again.
MODEL_CACHE = Settings().cache_dir


@pytest.fixture
def settings(tmp_path: Path, corpus_copy: Path) -> Settings:
    return Settings(corpus_dir=corpus_copy, index_dir=tmp_path / "index", cache_dir=MODEL_CACHE)


def require_extra(*modules: str) -> None:
    """Skip the calling test module when an optional extra's module is missing,
    naming it; fail instead when RAG_REQUIRE_SCALE=1 (CI installs the extra)."""
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            reason = f"{name} is not installed (the [scale] extra: pip install -e '.[scale]')"
            if os.environ.get("RAG_REQUIRE_SCALE"):
                pytest.fail(reason, pytrace=False)
            pytest.skip(reason, allow_module_level=True)


@pytest.fixture
def fake() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture(scope="session")
def archive_dir() -> Path:
    """The dev archive folder; skipped with the reason when absent (a user's
    clone), required when RAG_REQUIRE_ARCHIVE=1 (CI)."""
    if not ARCHIVE.is_dir():
        reason = f"dev archive not found at {ARCHIVE} (set RAG_ARCHIVE_SAMPLE to its vntc/ folder)"
        if os.environ.get("RAG_REQUIRE_ARCHIVE"):
            pytest.fail(reason)
        pytest.skip(reason)
    return ARCHIVE
