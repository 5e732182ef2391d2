"""The live index -> what an update can reuse, and what it has to repair.

In: the index folder and ``Settings``. Out: a ``Salvage``: the article hashes
the manifest records and one line per repair the update will make; then, if
the update needs them, ``Rows``: the chunk table, its lexical tokens and the
vectors, where their files are intact.
A sound index is reused whole. A damaged one is reused as far as it is
intact: the lexical index and accent table are rebuilt from the stored
tokens and chunks (no embedding); lost vectors (``dense.faiss``, where they
are stored), chunks or tokens mean re-chunking and re-embedding every
article; an unreadable manifest a full rebuild.
"""

from __future__ import annotations

from pathlib import Path

from rag.index.base import Rows, Salvage, check_signature
from rag.index.files.store import (
    LEXICAL,
    LOAD_ERRORS,
    RESTORER,
    generation_damage,
    generation_manifest,
    live_generation,
    read_chunks,
    read_dense,
    read_tokens,
)
from rag.settings import Settings


def _try(reader, gen: Path):
    try:
        return reader(gen)
    except LOAD_ERRORS:
        return None


def salvage(index_dir: Path, settings: Settings, rebuild: bool = False) -> Salvage:
    """What the live index records and what an update must repair (raises
    ``IndexMismatch`` for other settings). Reads the manifest and checks file
    hashes; the rows themselves are read by ``rows`` when an update needs them."""
    gen = live_generation(index_dir)
    if rebuild or gen is None:
        return Salvage()
    problems = generation_damage(gen)
    manifest = generation_manifest(gen)
    if manifest is None:
        return Salvage(True, repairs=(f"rebuilt everything from the corpus ({'; '.join(problems.values())})",))
    check_signature(manifest, settings, index_dir)
    hashes = manifest.get("articles") or {}
    count = (manifest.get("counts") or {}).get("chunks", 0)
    rows_lost = [problems[n] for n in ("chunks.jsonl", "tokens.jsonl", "dense.faiss") if n in problems]
    repairs = []
    if rows_lost:
        repairs.append(f"every article re-chunked and re-embedded ({'; '.join(rows_lost)})")
    lexical = [p for name, p in problems.items() if name.startswith(LEXICAL + "/")]
    if lexical:
        repairs.append(f"lexical index rebuilt from tokens.jsonl ({'; '.join(lexical)})")
    if RESTORER in problems:
        repairs.append(f"accent table rebuilt from chunks.jsonl ({problems[RESTORER]})")
    if "articles.jsonl" in problems:
        repairs.append(f"articles.jsonl rewritten from the corpus ({problems['articles.jsonl']})")
    if "files" not in manifest:
        repairs.append("sizes and sha256 of the index files recorded in the manifest")
    return Salvage(True, hashes, tuple(repairs), manifest.get("provenance"), count, problems)


def rows(index_dir: Path, settings: Settings, previous: Salvage) -> Rows:
    """The reusable rows of the live generation ``previous`` describes."""
    gen = live_generation(index_dir)
    if not previous.found or gen is None or any(n in previous.problems for n in ("chunks.jsonl", "tokens.jsonl", "dense.faiss")):
        return Rows()
    chunks, tokens, dense = _try(read_chunks, gen), _try(read_tokens, gen), _try(read_dense, gen)
    if chunks is None or tokens is None or dense is None:
        return Rows()
    vectors = dense.vectors()
    if not len(chunks) == len(tokens) == len(vectors) or vectors.shape[1:] != (settings.dim,):
        return Rows()
    # only rows of articles the manifest records are known: an unreadable manifest records none, and its
    # articles are all embedded again, so keeping their old rows would hold every article twice
    keep = [i for i, c in enumerate(chunks) if c.article_id in previous.hashes]
    if len(keep) == len(chunks):
        return Rows(chunks, tokens, vectors)
    return Rows([chunks[i] for i in keep], [tokens[i] for i in keep], vectors[keep])
