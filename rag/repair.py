"""The live index -> what an update can reuse, and what it has to repair.

In: the index folder and ``Settings``. Out: a ``Salvage``: the article hashes
the manifest records, the chunk table (with lexical tokens) and the vectors
where their files are intact, and one line per repair the update will make.
A sound index is reused whole. A damaged one is reused as far as it is
intact: ``dense.faiss`` is rebuilt from the vectors (no embedding), lost
vectors are re-embedded from the stored chunks, a lost chunk table means
re-chunking and re-embedding, and an unreadable manifest a full rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .schema import Chunk
from .settings import Settings
from .store import (
    LOAD_ERRORS, check_signature, generation_damage, generation_manifest, live_generation, read_chunks, read_vectors,
)


@dataclass(frozen=True)
class Salvage:
    found: bool = False  # there was a previous index
    hashes: dict[str, str] = field(default_factory=dict)  # article id -> content hash of the previous index
    chunks: tuple[Chunk, ...] = ()
    tokens: tuple[list[str], ...] = ()
    vectors: np.ndarray | None = None  # None: the reused chunks are embedded again
    repairs: tuple[str, ...] = ()  # "dense.faiss rebuilt from vectors.npy (dense.faiss missing)"
    provenance: dict[str, str] | None = None  # article id -> origin|added_at|added_by of the previous index


def _try(reader, gen: Path):
    try:
        return reader(gen)
    except LOAD_ERRORS:
        return None


def salvage(index_dir: Path, settings: Settings, rebuild: bool = False) -> Salvage:
    """What of the live index can be reused (raises ``IndexMismatch`` for other settings)."""
    gen = live_generation(index_dir)
    if rebuild or gen is None:
        return Salvage()
    problems = generation_damage(gen)
    manifest = generation_manifest(gen)
    if manifest is None:
        return Salvage(True, repairs=(f"rebuilt everything from the corpus ({'; '.join(problems.values())})",))
    check_signature(manifest, settings, index_dir)
    hashes = manifest.get("articles") or {}
    loaded = None if "chunks.jsonl" in problems else _try(read_chunks, gen)
    if loaded is None:
        why = problems.get("chunks.jsonl", "chunks.jsonl unreadable")
        return Salvage(True, hashes, repairs=(f"every article re-chunked and re-embedded ({why})",))
    chunks, tokens = loaded
    repairs = []
    vectors = None if "vectors.npy" in problems else _try(read_vectors, gen)
    if vectors is not None and vectors.shape != (len(chunks), settings.dim):
        problems["vectors.npy"] = f"vectors.npy holds {vectors.shape} for {len(chunks)} chunks"
        vectors = None
    if vectors is None:
        repairs.append(f"vectors re-embedded from chunks.jsonl ({problems.get('vectors.npy', 'vectors.npy unreadable')})")
    if "dense.faiss" in problems:
        source = "vectors.npy" if vectors is not None else "the re-embedded vectors"
        repairs.append(f"dense.faiss rebuilt from {source} ({problems['dense.faiss']})")
    if "articles.jsonl" in problems:
        repairs.append(f"articles.jsonl rewritten from the corpus ({problems['articles.jsonl']})")
    if "files" not in manifest:
        repairs.append("sizes and sha256 of the index files recorded in the manifest")
    return Salvage(True, hashes, tuple(chunks), tuple(tokens), vectors, tuple(repairs), manifest.get("provenance"))
