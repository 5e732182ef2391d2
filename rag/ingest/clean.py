"""Raw article bytes -> one clean ``Article``.

In: the bytes of a text file saved from a news site, plus whatever metadata
the corpus already has for it. Out: an ``Article`` whose text is NFC, has
plain spaces, no site chrome (font/contrast controls, breadcrumbs, masthead
dates, comment forms, "Tin Liên Quan" blocks), no repeated paragraphs, and
whose missing title, date, author, outlet and province are detected from the
page. Detection never invents: a field the page does not state stays empty.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass

from rag.schema import Article
from rag.text.lang import ENGLISH_ARTICLE
from rag.text.vietnamese import UPPER, find_provinces, fold, has_diacritics, normalize_text


class Undecodable(Exception):
    """The bytes are binary or in no encoding we can read."""


# ----------------------------------------------------------------- decoding
_VI_LETTERS = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding). UTF-8 (BOM or not), UTF-32 and UTF-16 (BOM
    or not), then the legacy Windows Vietnamese code page cp1258."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE starts both
        try:
            return data.decode("utf-32"), "utf-32"
        except UnicodeDecodeError as exc:
            raise Undecodable(f"not valid UTF-32 ({exc.reason})") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data:
        for enc in _nul_encodings(data):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if _looks_like_text(normalize_text(text)):
                return text, enc
        raise Undecodable("binary content (NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise Undecodable(f"not UTF-8, UTF-16 or cp1258 ({exc.reason})") from exc
    if _looks_like_text(normalize_text(text)):
        return text, "cp1258"
    raise Undecodable("not UTF-8, UTF-16 or cp1258 text")


def _nul_encodings(data: bytes) -> list[str]:
    """The BOM-less UTF-32/UTF-16 byte orders that ``data``'s NUL bytes fit:
    Vietnamese lies below U+10000, so two of every four UTF-32 bytes are NUL,
    and every other UTF-16 byte of ASCII-heavy text is."""
    quarter, half = len(data) / 4, len(data) / 2
    out = []
    if len(data) % 4 == 0:
        out += [enc for enc, high in (("utf-32-le", data[3::4]), ("utf-32-be", data[0::4]))
                if high.count(0) == quarter]
    out += [enc for enc, zeros in (("utf-16-le", data[1::2]), ("utf-16-be", data[0::2]))
            if zeros.count(0) > 0.3 * half]
    return out


def _looks_like_text(text: str) -> bool:
    if not text.strip():
        return False
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\t")
    letters = sum(1 for c in text if c.isalpha())
    vi = sum(1 for c in text.lower() if c in _VI_LETTERS)
    return controls < 0.01 * len(text) and letters > 0.5 * len(text.replace(" ", "")) and vi > 0


# ----------------------------------------------------------------- cleaning
_DATE_LINE = re.compile(
    r"^(?:(?:thứ\s+\w+|chủ\s+nhật)\s*,?\s*)?(\d{1,2})/(\d{1,2})/(\d{4})(?:\s*[-,]?\s*\d{1,2}:\d{2}(?::\d{2})?)?\s*(?:gmt[+\d]*)?$",
    re.IGNORECASE,
)
# Whole lines that are site chrome.
_CHROME = re.compile(
    r"^(?:a-\s*a\s*a\+.*|.*tăng tương phản.*|.*giảm tương phản.*|bạn đang xem:.*|trang chủ\s*».*"
    r"|ý kiến\s*\(\s*\d*\s*\)|\(\*\)|số ký tự còn lại:?.*|refresh|in bài( viết)?|chia sẻ|bình luận"
    r"|protected by formshield|hãy sử dụng tiếng việt có dấu.*)$",
    re.IGNORECASE,
)
# A line that starts a trailing block (related stories, comment form): cut from here.
_TAIL = re.compile(
    r"^(?:tin liên quan|bài liên quan|tin cùng chuyên mục|tin khác|các tin khác|tin mới hơn|tin cũ hơn"
    r"|viết bình luận|gửi bình luận|ý kiến bạn đọc)\s*:?$",
    re.IGNORECASE,
)
_SITE_NAME = re.compile(r"^(cổng thông tin điện tử .+|báo điện tử .+)$", re.IGNORECASE)
_DATELINE = re.compile(r"^\(?([A-ZĐ]{2,6})\)?\s*[-–—]\s*")
OUTLET_CODES = {"LSO": "Báo Lạng Sơn", "TTXVN": "TTXVN", "VNA": "TTXVN", "VOV": "VOV", "QĐND": "Báo Quân đội nhân dân"}
_SENTENCE_END = (".", ":", "!", "?", "…", ";", ",")
MAX_TITLE_WORDS = 30  # a longer line is a paragraph, not a headline
MAX_SECTION_WORDS = 4  # short lines above the headline are section names
MIN_DEDUP_WORDS = 5  # only paragraphs this long are dropped as repeats
_AUTHOR = re.compile(rf"^([{UPPER}]\w*(?:\s+[{UPPER}]\w*){{0,3}})(?:\s*\(?\s*tổng hợp\s*\)?)?\s*$")


@dataclass(frozen=True)
class Detected:
    """What the page itself states."""

    title: str = ""
    date: str = ""
    author: str = ""
    outlet: str = ""
    province: str = ""


def _dedup_key(paragraph: str) -> str:
    """Same words, whatever the dashes, spaces or dateline prefix."""
    return re.sub(r"\W+", "", fold(_DATELINE.sub("", paragraph, count=1)))


def _headline_like(line: str) -> bool:
    """A line that can be a headline: a few words, no sentence end."""
    return 2 <= len(line.split()) <= MAX_TITLE_WORDS and not line.rstrip("\"”’)]'» ").endswith(_SENTENCE_END)


def _title_index(lines: list[str]) -> int | None:
    """Which of the content lines is the headline: the last headline-like line
    before the first line that reads as body text (a sentence, or a long
    paragraph). None when the article opens with body text, e.g. a file whose
    first line is a sentence or a one-paragraph article."""
    last = None
    for i, line in enumerate(lines):
        if _DATE_LINE.match(line):
            continue
        if not _headline_like(line):
            return last
        last = i
    # no body-like line at all: the first headline-like line is the headline
    return next((i for i, line in enumerate(lines) if _headline_like(line)), None) if len(lines) > 1 else None


def clean(raw: str) -> tuple[str, Detected]:
    """Return the article body and what the page states about itself.

    Every line of text is kept unless it is chrome, a repeat, or a short
    section name above the headline; the headline is detected whether the
    file opens with it, with a sentence, or with one long paragraph."""
    lines = [re.sub(r" {2,}", " ", line.strip()) for line in normalize_text(raw).split("\n")]

    outlet = ""
    content: list[str] = []
    for line in lines:
        if not line:
            continue
        if _TAIL.match(line):
            break
        if _CHROME.match(line):
            continue
        if _SITE_NAME.match(line):
            outlet = outlet or line
            continue
        content.append(line)

    t = _title_index(content)
    title = content[t] if t is not None else ""
    date = author = ""
    body: list[str] = []
    seen: set[str] = set()
    for i, line in enumerate(content):
        if i == t:
            continue
        m = _DATE_LINE.match(line)
        if m:
            # A date above the headline is the site's masthead (today's date);
            # only a date between headline and body is the publication date.
            if t is not None and i > t and not body and not date:
                d, mo, y = (int(g) for g in m.groups())
                if 1 <= d <= 31 and 1 <= mo <= 12:
                    date = f"{y:04d}-{mo:02d}-{d:02d}"
            continue
        if t is not None and i < t and len(line.split()) <= MAX_SECTION_WORDS:
            continue  # a section name above the headline ("Sở Ngoại Vụ")
        if len(line.split()) >= MIN_DEDUP_WORDS:  # short lines repeat legitimately (table cells)
            key = _dedup_key(line)
            if key in seen:
                continue
            seen.add(key)
        body.append(line)

    if body:
        m = _DATELINE.match(body[0])
        if m:
            outlet = outlet or OUTLET_CODES.get(m.group(1), m.group(1))
            body[0] = body[0][m.end():]
    if body:
        m = _AUTHOR.match(body[-1])
        if m and not body[-1].endswith((".", ":", "…")):
            author = m.group(1)
            body.pop()
    text = "\n\n".join(body)
    detected = Detected(title=title, date=date, author=author, outlet=outlet, province=infer_province(title, text))
    return text, detected


def infer_province(title: str, text: str) -> str:
    """The province an article is about: most mentioned, the headline counting
    triple. '' when no province is mentioned or two tie."""
    counts: Counter[str] = Counter()
    for m in find_provinces(title):
        counts[m.province] += 3
    for m in find_provinces(text):
        counts[m.province] += 1
    ranked = counts.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return ""
    return ranked[0][0]


def article_language(text: str) -> str:
    """"en" for an article written without Vietnamese diacritics (``ENGLISH_ARTICLE``), else "vi"."""
    tokens = text.split()
    if len(tokens) < ENGLISH_ARTICLE["min_words"]:
        return "vi"
    marked = sum(1 for t in tokens if has_diacritics(t))
    return "en" if marked / len(tokens) <= ENGLISH_ARTICLE["max_diacritic_share"] else "vi"


def build_article(article_id: str, data: bytes, meta: dict | None = None, source_file: str = "",
                  origin: str = "corpus") -> Article:
    """Decode, clean, and merge metadata: given fields win over detected ones.
    ``origin``: where the file lies ("corpus" or "archive"); metadata may say "upload"."""
    raw, _ = decode(data)
    text, found = clean(raw)
    if not text.strip():
        raise Undecodable("no article text left after cleaning")
    meta = meta or {}

    def pick(name: str) -> str:
        given = meta.get(name)
        return normalize_text(str(given)).strip() if given else getattr(found, name)

    return Article(
        id=article_id,
        text=text,
        title=pick("title"),
        outlet=pick("outlet"),
        author=pick("author"),
        date=pick("date"),
        province=pick("province"),
        language=meta.get("language") or article_language(text),
        source_file=source_file,
        origin=str(meta.get("origin") or origin),
        added_at=str(meta.get("added_at") or ""),
        added_by=str(meta.get("added_by") or ""),
    )
