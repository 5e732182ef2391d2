"""Corpus folder -> list of ``Article`` (plus what was skipped and why).

In: ``corpus/`` with one text file per article (the file stem is the article
id) and ``metadata.json`` mapping ids to title/outlet/author/date/province/
language, plus any read-only archive folders of the same shape (e.g. the dev
archive). Out: cleaned articles in id order; files that are binary or
undecodable are reported in ``skipped`` with a reason and never stop the rest.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .errors import CorpusError
from .ingest import Undecodable, build_article
from .schema import Article

log = logging.getLogger(__name__)

METADATA_FILE = "metadata.json"
TEXT_SUFFIXES = {".txt", ".md"}


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
    if not path.exists():
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
    return sorted(
        p for p in corpus_dir.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name != METADATA_FILE and not p.name.endswith(".tmp")
    )


def load_corpus(corpus_dir: Path, *archives: Path) -> Corpus:
    """The articles of ``corpus_dir`` and of any read-only ``archives``
    folders, in that order. An id seen twice keeps its first file."""
    articles: list[Article] = []
    skipped: list[Skipped] = []
    ids: set[str] = set()
    for folder in (corpus_dir, *archives):
        for item in _load_folder(folder):
            if isinstance(item, Skipped):
                skipped.append(item)
            elif item.id in ids:
                skipped.append(Skipped(str(folder / item.source_file), f"duplicate article id {item.id!r}"))
            else:
                ids.add(item.id)
                articles.append(item)
    if skipped:
        log.info("skipped %d files: %s", len(skipped), dict(skip_counts(skipped)))
    return Corpus(tuple(articles), tuple(skipped))


def skip_counts(skipped: Iterable[Skipped]) -> Counter:
    return Counter(s.reason for s in skipped)


def _load_folder(folder: Path) -> Iterator[Article | Skipped]:
    if not folder.is_dir():
        raise CorpusError(f"corpus folder not found: {folder}")
    metadata = read_metadata(folder)
    expected = f"not a text article (expected {', '.join(sorted(TEXT_SUFFIXES))})"
    for path in article_files(folder):
        if path.suffix.lower() not in TEXT_SUFFIXES:
            yield Skipped(str(path), expected)
            continue
        try:
            yield build_article(path.stem, path.read_bytes(), metadata.get(path.stem), path.name)
        except (Undecodable, OSError) as exc:
            yield Skipped(str(path), str(exc))
