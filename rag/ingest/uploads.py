"""Uploaded or pasted article -> a new file in ``corpus/`` (or one removed).

In: raw bytes (or pasted text), the uploader's file name (used only to tell
HTML from text, never as a path), optional title/date/outlet/province, and
the articles already in the corpus. Out: ``Added`` (the new article id and
file) or ``UploadRefused`` with a reason a person can act on: too large
(> ``Settings.max_file_bytes``, 5 MB by default), not .txt/.md/.html, binary or undecodable, empty after cleaning,
a duplicate of an existing article, a malformed date or unknown province.
HTML is reduced to its text (scripts and styles dropped). The file name is
generated (``up-<time>-<hash>.txt``); metadata goes into ``metadata.json``.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePath
from typing import Iterable

from rag.errors import RagError
from rag.ingest.clean import Undecodable, clean, decode
from rag.ingest.corpus import METADATA_FILE, TEXT_SUFFIXES, article_files, read_metadata, write_metadata
from rag.ingest.dedup import overlap, shingles
from rag.schema import Article
from rag.settings import Settings, mb
from rag.text.vietnamese import canonical_province

HTML_SUFFIXES = (".html", ".htm")
UPLOAD_SUFFIXES = tuple(sorted(TEXT_SUFFIXES)) + HTML_SUFFIXES  # what the UI offers to upload


class UploadRefused(RagError):
    """The upload cannot become an article; the message says why."""


@dataclass(frozen=True)
class Added:
    article_id: str
    file: str
    title: str


# --------------------------------------------------------------------- HTML
class _TextExtractor(HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
             "header", "footer", "blockquote", "figcaption", "title", "ul", "ol", "table"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        if tag == "title":
            self._in_title = True
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        if tag == "title":
            self._in_title = False
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str, str]:
    """Return (text, <title>) of an HTML page; scripts, styles and tags removed."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    return "\n".join(line for line in lines if line), " ".join(parser.title.split())


# ------------------------------------------------------------------- checks
def find_duplicate(text: str, existing: Iterable[Article], threshold: float = 0.8) -> Article | None:
    """An existing article sharing most of ``text``'s 5-word shingles (or
    holding most of them: a longer version of the same story)."""
    new = shingles(text)
    for article in existing:
        old = shingles(article.text)
        if overlap(new, old) >= threshold * min(len(new), len(old)):
            return article
    return None


def parse_date(value: str) -> str:
    """'2020-11-29', '29/11/2020' -> '2020-11-29'; '' stays ''."""
    value = (value or "").strip()
    if not value:
        return ""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", value)
        if not m:
            raise UploadRefused(f"Ngày không hợp lệ: {value!r}. Dùng dạng YYYY-MM-DD hoặc DD/MM/YYYY.")
        d, mo, y = (int(g) for g in m.groups())
    try:
        time.strptime(f"{y:04d}-{mo:02d}-{d:02d}", "%Y-%m-%d")
    except ValueError as exc:
        raise UploadRefused(f"Ngày không tồn tại: {value!r}.") from exc
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _kind(filename: str) -> str:
    suffix = PurePath(filename.replace("\\", "/")).suffix.lower() if filename else ".txt"
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in HTML_SUFFIXES:
        return "html"
    raise UploadRefused(f"Chỉ nhận tệp .txt, .md hoặc .html (tệp tải lên: {PurePath(filename).name!r}).")


# -------------------------------------------------------------------- write
def add_article(
    corpus_dir: Path,
    data: bytes,
    existing: Iterable[Article],
    filename: str = "",
    title: str = "",
    date: str = "",
    outlet: str = "",
    province: str = "",
    max_bytes: int = Settings.max_file_bytes,
    added_by: str = "",
) -> Added:
    if len(data) > max_bytes:
        raise UploadRefused(f"Tệp quá lớn: {len(data):,} byte; giới hạn là {mb(max_bytes)} ({max_bytes:,} byte).")
    kind = _kind(filename)
    try:
        raw, _ = decode(data)
    except Undecodable as exc:
        raise UploadRefused(f"Không đọc được tệp: nội dung nhị phân hoặc mã hóa không hỗ trợ ({exc}).") from exc
    page_title = ""
    if kind == "html" or re.search(r"<(html|body|p|div|script)\b", raw[:2000], re.IGNORECASE):
        raw, page_title = html_to_text(raw)
    body, found = clean(raw)
    if len(body.split()) < 5:
        raise UploadRefused("Bài viết trống hoặc quá ngắn sau khi làm sạch.")
    province_name = ""
    if province.strip():
        province_name = canonical_province(province) or ""
        if not province_name:
            raise UploadRefused(f"Không nhận ra tỉnh {province!r}.")
    iso_date = parse_date(date)
    duplicate = find_duplicate(body, existing)
    if duplicate is not None:
        raise UploadRefused(f"Bài này trùng với bài đã có: {duplicate.id} ({duplicate.title or 'không tiêu đề'}).")

    title = " ".join(title.split()) or found.title or page_title or " ".join(body.split()[:12]) + "…"
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:10]
    article_id = f"up-{time.strftime('%Y%m%d-%H%M%S')}-{digest}"
    path = corpus_dir / f"{article_id}.txt"
    # The title goes on the first line, as on a saved web page, so the loader finds it. The cap is on
    # this file, the one the index reads (inclusive): an upload under it whose saved form is over it
    # would be "added" and then skipped by every index run.
    saved = f"{title}\n\n{body}\n".encode("utf-8")
    if len(saved) > max_bytes:
        raise UploadRefused(f"Tệp quá lớn: bài lưu vào kho (kèm tiêu đề) là {len(saved):,} byte; giới hạn là "
                            f"{mb(max_bytes)} ({max_bytes:,} byte).")
    path.write_bytes(saved)
    metadata = read_metadata(corpus_dir)
    metadata[article_id] = {
        "title": title,
        "outlet": " ".join(outlet.split()) or found.outlet,
        "author": found.author,
        "date": iso_date or found.date,
        "province": province_name,  # empty: inferred from the text when indexed
        "language": "vi",
        "origin": "upload",
        "added_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "added_by": added_by,
        "note": "uploaded" + (f" from {PurePath(filename).name}" if filename else ""),
    }
    write_metadata(corpus_dir, metadata)
    return Added(article_id, path.name, title)


def delete_article(corpus_dir: Path, article_id: str) -> str:
    """Remove an article's file and metadata. Returns the removed file name."""
    # Any id the corpus can hold (spaces and diacritics included) is one; only what could name a path
    # outside the folder is refused, and only a listed article file is ever removed.
    if not isinstance(article_id, str) or not article_id.strip() or article_id in (METADATA_FILE, ".", "..") \
            or any(c in article_id for c in "/\\\x00"):
        raise UploadRefused(f"Mã bài không hợp lệ: {article_id!r}.")
    wanted = unicodedata.normalize("NFC", article_id)
    files = [p for p in article_files(corpus_dir) if unicodedata.normalize("NFC", p.stem) == wanted]
    if not files:
        raise UploadRefused(f"Không có bài {article_id!r} trong kho.")
    for p in files:
        p.unlink()
    metadata = read_metadata(corpus_dir)
    if metadata.pop(article_id, None) is not None:
        write_metadata(corpus_dir, metadata)
    return files[0].name
