"""Corpus folder -> list of ``Article`` (plus what was skipped and why).

In: ``corpus/`` with one text file per article (the file stem is the article
id) and ``metadata.json`` mapping ids to title/outlet/author/date/province/
language, plus any read-only archive folders of the same shape (e.g. the dev
archive). Out: cleaned articles in id order; what is not read is reported
in ``skipped`` with a reason and never stops the rest: binary or undecodable
files, symlinks (never followed: nothing outside the folders is read), files
larger than ``Settings.max_file_bytes`` (refused before reading), and exact or
near copies of an earlier article (the first one is kept).
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .dedup import find_duplicates
from .errors import CorpusError
from .ingest import Undecodable, build_article
from .schema import Article
from .settings import Settings, mb

log = logging.getLogger(__name__)

METADATA_FILE = "metadata.json"
TEXT_SUFFIXES = {".txt", ".md"}
SYMLINK = "symlink (not followed)"


@dataclass(frozen=True)
class Skipped:
    file: str
    reason: str


@dataclass(frozen=True)
class Corpus:
    articles: tuple[Article, ...]
    skipped: tuple[Skipped, ...] = field(default=())


def read_metadata(corpus_dir: Path) -> dict[str, dict]:
    path = corpus_dir / METADATA_FILE
    if not path.exists() or path.is_symlink():  # a link is never followed (reported by the loader)
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CorpusError(f"{path} must map article ids to metadata objects")
    return data


def write_metadata(corpus_dir: Path, metadata: dict[str, dict]) -> None:
    """Replace ``metadata.json`` atomically (write aside, then rename)."""
    path = corpus_dir / METADATA_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(metadata, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def article_files(corpus_dir: Path) -> list[Path]:
    """The article entries of a folder: files, and symlinks (to be refused)."""
    return sorted(
        p for p in corpus_dir.iterdir()
        if (p.is_symlink() or p.is_file())
        and not p.name.startswith(".") and p.name != METADATA_FILE and not p.name.endswith(".tmp")
    )


def load_corpus(corpus_dir: Path, *archives: Path, max_bytes: int = Settings.max_file_bytes) -> Corpus:
    """The articles of ``corpus_dir`` and of any read-only ``archives``
    folders, in that order. An id seen twice keeps its first file; a file
    larger than ``max_bytes`` is skipped unread."""
    articles: list[Article] = []
    skipped: list[Skipped] = []
    ids: set[str] = set()
    folders: dict[str, Path] = {}
    for folder, origin in ((corpus_dir, "corpus"), *((a, "archive") for a in archives)):
        for item in _load_folder(folder, max_bytes, origin):
            if isinstance(item, Skipped):
                skipped.append(item)
            elif item.id in ids:
                skipped.append(Skipped(str(folder / item.source_file), f"duplicate article id {item.id!r}"))
            else:
                ids.add(item.id)
                folders[item.id] = folder
                articles.append(item)
    copies = find_duplicates(articles)
    if copies:
        skipped += [Skipped(str(folders[a.id] / a.source_file), f"duplicate of {copies[a.id]}")
                    for a in articles if a.id in copies]
        articles = [a for a in articles if a.id not in copies]
    if skipped:
        log.info("skipped %d files: %s", len(skipped), dict(skip_counts(skipped)))
    return Corpus(tuple(articles), tuple(skipped))


def skip_counts(skipped: Iterable[Skipped]) -> Counter:
    return Counter(s.reason for s in skipped)


def _load_folder(folder: Path, max_bytes: int, origin: str) -> Iterator[Article | Skipped]:
    if not folder.is_dir():
        raise CorpusError(f"corpus folder not found: {folder}")
    if (folder / METADATA_FILE).is_symlink():
        yield Skipped(str(folder / METADATA_FILE), SYMLINK)
    metadata = read_metadata(folder)
    root = folder.resolve()
    expected = f"not a text article (expected {', '.join(sorted(TEXT_SUFFIXES))})"
    too_large = f"larger than {mb(max_bytes)} (Settings.max_file_bytes)"
    for path in article_files(folder):
        if path.is_symlink():
            yield Skipped(str(path), SYMLINK)
        elif path.resolve().parent != root:
            yield Skipped(str(path), "outside the corpus folder (not read)")
        elif path.suffix.lower() not in TEXT_SUFFIXES:
            yield Skipped(str(path), expected)
        else:
            try:
                data = _read_capped(path, max_bytes)
                if data is None:
                    yield Skipped(str(path), too_large)
                else:
                    yield build_article(path.stem, data, metadata.get(path.stem), path.name, origin)
            except (Undecodable, OSError) as exc:
                yield Skipped(str(path), str(exc))


def _read_capped(path: Path, max_bytes: int) -> bytes | None:
    """The file's bytes, or None when it holds more than ``max_bytes``
    (checked before reading, and never more than ``max_bytes + 1`` read).
    Opened without following a link, should one replace the file meanwhile."""
    with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb") as f:
        if os.fstat(f.fileno()).st_size > max_bytes:
            return None
        data = f.read(max_bytes + 1)
    return None if len(data) > max_bytes else data
