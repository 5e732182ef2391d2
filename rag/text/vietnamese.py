"""Vietnamese text primitives shared by every stage.

In: raw strings. Out: NFC text with plain spaces, diacritics-folded keys for
accent-insensitive matching, province mentions, and numbers parsed from
Vietnamese or English notation (``1.200`` = 1200, ``23.630,9`` = 23630.9,
``228 triệu`` = 228e6). Pure functions, no state.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Every Unicode space except newline/tab becomes a plain space (U+00A0 sits
# inside figures in the seed articles); zero-width characters disappear.
_ODD_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u2007]")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")


# Upper-case letters of Vietnamese, for regexes ("À-Ỹ" as a range would also
# take in lower-case letters such as "ó").
UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
# A capitalised name: one or more words that each start with a capital ("Nguyễn Mạnh Thắng").
NAME_RE = re.compile(rf"(?<![\w])[{UPPER}][\w'.-]*(?:\s+[{UPPER}][\w'.-]*)*")


def multiword_names(text: str) -> list[str]:
    """The names of two words or more in ``text``, but for one that opens it (a capitalised first word)."""
    return [m.group() for m in NAME_RE.finditer(text) if m.start() > 0 and len(m.group().split()) > 1]


def normalize_text(text: str) -> str:
    """NFC, plain spaces, ``\\n`` line ends, no zero-width characters."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", text)
    return _ODD_SPACES.sub(" ", text)


def fold(text: str) -> str:
    """Lower-case and strip diacritics: 'Lạng Sơn' -> 'lang son', 'Đà' -> 'da'.

    Keeps the string length unchanged for NFC input, so offsets computed on the
    folded text are valid on the original.
    """
    out = []
    for ch in text.lower():
        if ch == "đ":
            out.append("d")
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        out.append(base)
    return "".join(out)


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """Folded word tokens (syllables, numbers) of ``text``."""
    return _WORD.findall(fold(text))


def padded(text: str) -> str:
    """Folded words between single spaces, for whole-word phrase tests:
    ``f" {phrase} " in padded(text)``."""
    return " " + " ".join(words(text)) + " "


# ---------------------------------------------------------------- provinces
# The 63 provinces and cities as named in the archive's years (before the
# 2025 mergers), with common alternative spellings.
PROVINCES: dict[str, tuple[str, ...]] = {
    "An Giang": (), "Bà Rịa - Vũng Tàu": ("Bà Rịa Vũng Tàu", "Vũng Tàu"), "Bạc Liêu": (),
    "Bắc Giang": (), "Bắc Kạn": ("Bắc Cạn",), "Bắc Ninh": (), "Bến Tre": (), "Bình Dương": (),
    "Bình Định": (), "Bình Phước": (), "Bình Thuận": (), "Cà Mau": (), "Cao Bằng": (),
    "Cần Thơ": (), "Đà Nẵng": (), "Đắk Lắk": ("Đắc Lắc",), "Đắk Nông": (), "Điện Biên": (),
    "Đồng Nai": (), "Đồng Tháp": (), "Gia Lai": (), "Hà Giang": (), "Hà Nam": (), "Hà Nội": (),
    "Hà Tĩnh": (), "Hải Dương": (), "Hải Phòng": (), "Hậu Giang": (), "Hòa Bình": (),
    "Hưng Yên": (), "Khánh Hòa": (), "Kiên Giang": (), "Kon Tum": (), "Lai Châu": (),
    "Lâm Đồng": (), "Lạng Sơn": (), "Lào Cai": (), "Long An": (), "Nam Định": (), "Nghệ An": (),
    "Ninh Bình": (), "Ninh Thuận": (), "Phú Thọ": (), "Phú Yên": (), "Quảng Bình": (),
    "Quảng Nam": (), "Quảng Ngãi": (), "Quảng Ninh": (), "Quảng Trị": (), "Sóc Trăng": (),
    "Sơn La": (), "Tây Ninh": (), "Thái Bình": (), "Thái Nguyên": (), "Thanh Hóa": (),
    "Thừa Thiên Huế": ("Huế",), "Tiền Giang": (), "TP Hồ Chí Minh": ("Hồ Chí Minh", "TP HCM", "TPHCM", "Sài Gòn"),
    "Trà Vinh": (), "Tuyên Quang": (), "Vĩnh Long": (), "Vĩnh Phúc": (), "Yên Bái": (),
}

# Names that start like a province but are something else ("Thái Bình Dương",
# the Pacific): matched so that no province is read inside them, then dropped.
PROVINCE_LOOKALIKES: tuple[str, ...] = ("Thái Bình Dương",)

# Folded spelling -> canonical name. Folding makes "Hoà"/"Hòa" and typed-without-
# accents questions match alike.
_PROVINCE_KEYS: dict[str, str] = {}
for _name, _aliases in PROVINCES.items():
    for _spelling in (_name, *_aliases):
        _PROVINCE_KEYS[" ".join(words(_spelling))] = _name
_LOOKALIKE_KEYS = {" ".join(words(n)) for n in PROVINCE_LOOKALIKES}
_PROVINCE_RE = re.compile(
    r"\b("
    + "|".join(
        r"[\s\-–.]+".join(map(re.escape, k.split())) for k in sorted({*_PROVINCE_KEYS, *_LOOKALIKE_KEYS}, key=len, reverse=True)
    )
    + r")\b"
)


@dataclass(frozen=True)
class Mention:
    province: str
    start: int
    end: int


_SPELLINGS = {" ".join(re.findall(r"\w+", s.lower())) for n, a in PROVINCES.items() for s in (n, *a)}


def _written_as_province(span: str, typed: bool) -> bool:
    """Is a span that folds to a province's name written as one? In article
    text a province is capitalised: "hòa bình" (peace), "diễn biến" and "hai
    đường hầm" fold to Hòa Bình, Điện Biên and Hải Dương but are none. Text a
    user typed (``typed``: a question, a claim) may also be unaccented ("lang
    son") or spelled as the province in lower case ("lạng sơn")."""
    parts = re.findall(r"\w+", span)
    if all(p[0].isupper() for p in parts):
        return True
    return typed and (span.isascii() or " ".join(parts).lower() in _SPELLINGS)


def find_provinces(text: str, typed: bool = False) -> list[Mention]:
    """Province mentions in ``text``, in order, with character offsets;
    ``typed``: the text is a user's (see ``_written_as_province``)."""
    found = ((" ".join(words(m.group(1))), m) for m in _PROVINCE_RE.finditer(fold(text)))
    return [Mention(_PROVINCE_KEYS[key], m.start(), m.end()) for key, m in found
            if key in _PROVINCE_KEYS and _written_as_province(text[m.start() : m.end()], typed)]


def canonical_province(name: str) -> str | None:
    """'lang son', 'Lạng  Sơn' -> 'Lạng Sơn'; unknown -> None."""
    return _PROVINCE_KEYS.get(" ".join(words(name)))


# ------------------------------------------------------------------ numbers
# A figure, also when a unit is glued to it ("87.000đ", "5km", "20kg").
GLUED_UNITS = ("đ", "đồng", "km", "m", "m2", "kg", "g", "cm", "mm", "ha", "ml", "l", "usd", "USD", "tr", "h")
NUMBER_RE = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?:(?![\w])|(?=(?:" + "|".join(GLUED_UNITS) + r")\b))")
YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")  # a year as news writes one (1950-2099); earlier ones only in a full date
SCALES = {  # scale words after a figure, and what they multiply by
    "nghìn": 1e3, "ngàn": 1e3, "nghin": 1e3, "ngan": 1e3, "thousand": 1e3,
    "triệu": 1e6, "trieu": 1e6, "million": 1e6, "millions": 1e6,
    "tỷ": 1e9, "tỉ": 1e9, "ty": 1e9, "ti": 1e9, "billion": 1e9, "billions": 1e9,
}
_SCALE_AFTER = re.compile(r"\s*([^\W\d_]+)")


def scale_after(text: str, pos: int = 0) -> re.Match | None:
    """The scale word ("triệu", "million") right after ``pos`` in ``text``, with its leading space; None if none."""
    m = _SCALE_AFTER.match(text, pos)
    return m if m and m.group(1).lower() in SCALES else None


def parse_number(token: str) -> list[float]:
    """All sensible readings of a written number, most likely first.

    '1.200' -> [1200, 1.2]; '23.630,9' -> [23630.9]; '1,5' -> [1.5];
    '1,501' -> [1501, 1.501] (Vietnamese writes '1,501 tỷ' for 1.501 billion).
    """
    token = token.strip().rstrip(".,")
    if not token or not token[0].isdigit():
        return []
    seps = [c for c in token if c in ".,"]
    if not seps:
        return [float(token)]
    if len(set(seps)) == 2:
        decimal = token[max(token.rfind("."), token.rfind(","))]
        group = "," if decimal == "." else "."
        return [float(token.replace(group, "").replace(decimal, "."))]
    sep = seps[0]
    parts = token.split(sep)
    if len(parts) > 2:
        return [float("".join(parts))]
    if len(parts[1]) == 3:
        return [float("".join(parts)), float(".".join(parts))]
    return [float(".".join(parts))]


@dataclass(frozen=True)
class Number:
    text: str
    start: int
    end: int
    values: tuple[float, ...]


def find_numbers(text: str) -> list[Number]:
    """Numbers in ``text`` with every reading, scaled readings included
    ('228 triệu' gives 228 and 228e6)."""
    found = []
    for m in NUMBER_RE.finditer(text):
        values = parse_number(m.group())
        after = scale_after(text, m.end())
        if after:
            scale = SCALES[after.group(1).lower()]
            values = values + [v * scale for v in values]
        found.append(Number(m.group(), m.start(), m.end(), tuple(values)))
    return found


def number_values(text: str) -> set[float]:
    return {round(v, 6) for n in find_numbers(text) for v in n.values}

