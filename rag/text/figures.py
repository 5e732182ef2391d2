"""A claim's checkable parts, read from Vietnamese (or English) text.

In: the text of a claim or of a candidate evidence sentence. Out: its
``Figure``s (value with scale, unit and hedge: "gần 68.000 chữ ký"), its
dates, its direction of change ("tăng"/"giảm"), and whether a draft sentence
states anything checkable at all. Pure functions of text; ``check`` compares
a claim's parts with a sentence's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Sequence

from rag.text.lang import (
    DATE_WORDS,
    DIRECTIONS,
    EVENT_DATE_WORDS,
    HEDGES,
    LABEL_WORDS,
    MEASURE_UNITS,
    MEASURES,
    MEASURES_BEFORE,
    NAME_VARIANTS,
    NOT_CHECKABLE_OPENERS,
    NOT_DIRECTIONS,
    OPINION_WORDS,
    PERSON_TITLES,
    STOPWORDS,
    SURNAMES,
    SYNONYMS,
    TWO_SYLLABLE_UNITS,
    UNIT_LINK_WORDS,
    YEAR_WORDS,
)
from rag.text.vietnamese import (
    NAME_RE,
    SCALES,
    YEAR,
    Number,
    find_numbers,
    find_provinces,
    fold,
    normalize_text,
    parse_number,
)

_DATE_WORDS = {fold(w) for w in DATE_WORDS}
_YEAR_WORDS = {fold(w) for w in YEAR_WORDS}
# Unit words that may stand before their figure ("ở tuổi 122" counts what "122 tuổi" does).
_UNITS_BEFORE = {fold(w) for m in MEASURES_BEFORE for w in MEASURES[m][1] if " " not in w}
_UNIT_WORD = re.compile(r"[^\S\n]*(%|[^\W\d_]+)")  # on the same line
# A date: day/month with an optional year ("27/2", "27/2/1944"; "27.2.1943" and "25-10-2005" only with
# their year), "mồng 4 tháng 8", or a month, day or quarter ("tháng 12").
_DATE = re.compile(
    r"\b(?:ngày\s+)?(\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{4}|\d{2}))?\b"
    r"|\b(?:ngày\s+)?(\d{1,2})([.-])(\d{1,2})\5(\d{4})\b"
    r"|\b(?:ngày|mồng|mùng)\s+(\d{1,2})\s+tháng\s+(\d{1,2})\b"
    r"|\b(tháng|ngày|quý)\s+(\d{1,2})\b", re.IGNORECASE)
_OLD_YEAR = re.compile(r"1\d{3}")  # a year before 1950 is one only after a year word ("sinh năm 1875")
UNIT_WORDS = 2  # a figure's unit: the words after it (and its scale), at most this many


@dataclass(frozen=True)
class Figure:
    """A figure as the text writes it, with what it counts."""

    text: str  # "540,5"
    start: int
    end: int
    values: tuple[float, ...]  # every reading, scaled ("540,5 triệu" -> 540.5e6)
    raw: tuple[float, ...]  # the same readings before scaling
    scale: str  # the scale word as written ("triệu"), "" when none
    unit: str  # the folded words it counts ("usd", "du an", "%")
    unit_text: str  # those words as written ("USD", "dự án")
    hedge: str  # ">" (hơn, trên), "<" (dưới), "~" (gần, khoảng) or ""

    @property
    def written(self) -> str:
        """The figure with its scale and unit, as a reader would quote it ("26,7%")."""
        head = " ".join(p for p in (self.text, self.scale) if p)
        return head + self.unit_text if self.unit_text == "%" else " ".join(p for p in (head, self.unit_text) if p)

    def same_unit(self, other: "Figure") -> bool:
        """Both count the same thing: the first word of the unit agrees, and the
        second too for units told apart by it ("dự án" is not "du khách");
        "153 đoàn cán bộ" and "153 đoàn với" count the same."""
        if not self.unit or not other.unit:  # "1,2 tỷ" counts what "1 tỷ đồng" does
            return bool(self.scale and other.scale)
        a, b = self.unit.split(), other.unit.split()
        if a[0] != b[0]:
            return False
        if a[0] not in TWO_SYLLABLE_UNITS or len(a) == 1 or len(b) == 1:
            return True
        return a[1] == b[1] or a[1] in UNIT_LINK_WORDS or b[1] in UNIT_LINK_WORDS


def _hedge(text: str, start: int) -> str:
    before = fold(text[max(0, start - 16) : start]).split()
    for n in (2, 1):
        if len(before) >= n and " ".join(before[-n:]) in HEDGES:
            return HEDGES[" ".join(before[-n:])]
    return ""


def _is_date_part(text: str, start: int, end: int, date_spans: list[tuple[int, int]]) -> bool:
    """'25/10', '27.2.1943', 'mồng 4 tháng 8', '14h30' or a year are when
    something happened, not a figure (``date_spans``: the text's full dates)."""
    if (start > 0 and text[start - 1] in "/-") or text[end : end + 1] in ("/",):
        return True
    if any(a <= start and end <= b for a, b in date_spans):
        return True
    return bool(re.match(r"h\d|h\b|giờ", text[end : end + 4].lstrip()) and "h" in text[end : end + 2])


def _ranges(text: str, numbers: list[Number]) -> list[Number]:
    """``numbers`` with each range ("1,2-1,3 triệu", "1.200–1.500 người") as
    one number holding both ends. A decimal or thousands mark, or a scale word
    or "%" after it, tells a range from a date ("25-10"), a score ("3-2") or a
    span of years."""
    out, i = [], 0
    while i < len(numbers):
        n = numbers[i]
        m = numbers[i + 1] if i + 1 < len(numbers) else None
        if m is not None and text[n.end : m.start].strip() in ("-", "–") and m.start - n.end <= 3:
            scale = _UNIT_WORD.match(text, m.end)
            scaled = bool(scale) and scale.group(1).lower() in SCALES
            word = fold(text[m.end : m.end + 12]).split()[:1]
            before = fold(text[max(0, n.start - 14) : n.start]).split()[-1:]
            counted = (n.text.isdigit() and m.text.isdigit() and int(n.text) < int(m.text) < 1000
                       and bool(word) and word[0].isalpha() and word[0] not in UNIT_LINK_WORDS
                       and not (before and before[0] in _DATE_WORDS))  # "10-11 năm tù", not "ngày 10-11"
            if counted or scaled or text[m.end : m.end + 1] == "%" or any(c in n.text + m.text for c in ",."):
                raw = tuple(parse_number(n.text)) + tuple(parse_number(m.text))
                values = raw + tuple(v * SCALES[scale.group(1).lower()] for v in raw) if scaled else raw
                out.append(Number(text[n.start : m.end], n.start, m.end, values))
                i += 2
                continue
        out.append(n)
        i += 1
    return out


def figures(text: str) -> list[Figure]:
    """The figures of ``text``: every number that is not a year or part of a
    date, with its scale, unit and hedge; a range is one figure."""
    text = normalize_text(text)
    out = []
    date_spans = [m.span() for m in _DATE.finditer(text) if not m.group(10)]  # not "tháng 12": a word's
    for n in _ranges(text, find_numbers(text)):
        if _is_date_part(text, n.start, n.end, date_spans):
            continue
        pos, scale, factor = n.end, "", 1.0
        m = _UNIT_WORD.match(text, pos)
        if m and m.group(1).lower() in SCALES:
            scale, factor, pos = m.group(1), SCALES[m.group(1).lower()], m.end()
        unit_words = []
        for _ in range(UNIT_WORDS):
            m = _UNIT_WORD.match(text, pos)
            if not m or (unit_words and unit_words[-1] == "%"):
                break
            unit_words.append(m.group(1))
            pos = m.end()
            if len(unit_words) == 1 and re.match(r"\d(?!\d)", text[pos : pos + 2]):  # "km2", "m3": a power
                unit_words[0] += text[pos]
                pos += 1
        said = text[max(0, n.start - 14) : n.start].lower().split()[-1:]
        prev = [fold(w) for w in said]
        if prev and (prev[0] in _DATE_WORDS or said[0] in LABEL_WORDS):  # "tháng 12", "type 2": when or which
            continue
        after_year_word = bool(prev) and prev[0] in _YEAR_WORDS  # "năm 1875", "từ 2005"
        if not scale and (YEAR.fullmatch(n.text) or (after_year_word and _OLD_YEAR.fullmatch(n.text))) and (
            not unit_words or after_year_word or fold(unit_words[0]) in UNIT_LINK_WORDS
        ):  # a year, not a count: "quốc gia 2005 có 8 đội" (but "2000 người")
            continue
        raw = n.values[: len(n.values) // 2] if scale else n.values  # find_numbers adds the scaled readings after
        unit = [fold(w) if w != "%" else "%" for w in unit_words]
        if unit and unit[0] in UNIT_LINK_WORDS:  # "300 tỷ trở lên", "4 hoặc 5 tháng": no unit of its own
            unit = []
        if not unit and prev and prev[0] in _UNITS_BEFORE:  # "ở tuổi 122"
            unit, unit_words = prev, text[: n.start].split()[-1:]
        if unit and unit[0] in MEASURE_UNITS:  # "3 tấn" is compared as 3.000 kg, "7,2 ha" as 72.000 m2
            unit[0], measure = MEASURE_UNITS[unit[0]]
            factor *= measure
        out.append(Figure(
            text=n.text, start=n.start, end=n.end,
            values=tuple(v * factor for v in raw), raw=raw, scale=scale,
            unit=" ".join(unit), unit_text=" ".join(unit_words),
            hedge=_hedge(text, n.start),
        ))
    return _shared_scale(text, out)


_LIST_GLUE = re.compile(r"\s*(?:,|và|and)\s*", re.IGNORECASE)


def _shared_scale(text: str, found: list[Figure]) -> list[Figure]:
    """In a list of bare figures that ends with a scaled one ("18,7, 19,2 và
    17,3 triệu tấn"), every figure takes the last one's scale and unit."""
    out = list(found)
    for i in range(len(out) - 2, -1, -1):
        f, last = out[i], out[i + 1]
        bare = not f.scale and f.unit in ("", "va", "and")
        if bare and (last.scale or last.unit) and _LIST_GLUE.fullmatch(text[f.end : last.start]):
            factor = last.values[0] / last.raw[0] if last.raw and last.raw[0] else 1.0  # its scale and measure
            out[i] = replace(f, values=tuple(v * factor for v in f.raw), scale=last.scale, unit=last.unit,
                             unit_text=last.unit_text)
    return out


def _precision(f: Figure) -> float:
    """Half a step of the figure's last written digit, scaled: '1,4 tỷ' is 1,35–1,45 tỷ."""
    digits = re.split(r"[.,]", f.text)
    decimals = len(digits[-1]) if len(digits) > 1 and len(digits[-1]) != 3 else 0
    scale = f.values[0] / f.raw[0] if f.raw and f.raw[0] else 1.0
    return 0.5 * 10 ** (-decimals) * scale


def agrees(claim: Figure, archive: Figure, span: float) -> bool:
    """Does the archive's figure bear out the claim's, hedges included?
    "gần 68.000" agrees with 67.950; "hơn 500" does not agree with 333. A
    bound ("hơn", "dưới") is borne out only by a value within ``span`` times
    it: "hơn 513,2 triệu" is not how anyone quotes 513,2 tỷ."""
    tolerance = _precision(claim)
    for c in claim.values:
        for a in archive.values:
            if claim.hedge == ">":
                ok = (c - tolerance < a <= span * abs(c)) or (archive.hedge == ">" and abs(a - c) <= tolerance)
            elif claim.hedge == "<":
                ok = abs(c) / span <= a < c + tolerance
            elif claim.hedge == "~":
                ok = abs(a - c) <= max(tolerance, 0.1 * abs(c))
            else:
                ok = abs(a - c) <= tolerance
            if ok:
                return True
    return False


def scale_swapped(claim: Figure, archive: Figure) -> bool:
    """The same digits with another scale or measure unit: '540,5 tỷ' for
    '540,5 triệu', '7,2 km' for '7,2 m'."""
    def written_unit(f: Figure) -> str:
        return fold(f.unit_text.split()[0]) if f.unit_text else ""
    return bool(set(claim.raw) & set(archive.raw)) and (
        fold(claim.scale) != fold(archive.scale) or written_unit(claim) != written_unit(archive))


def dates(text: str) -> set[str]:
    """Years, day/month dates, months, days and quarters written in ``text``,
    normalised ('25/10', '2005', 'tháng 12', 'quý 3')."""
    found = set()
    for m in _DATE.finditer(text):
        g = m.groups()
        day, month, year = (g[0], g[1], g[2]) if g[0] else (g[3], g[5], g[6]) if g[3] else (g[7], g[8], None)
        if day:
            found.add(f"{int(day)}/{int(month)}")
            if year and len(year) == 4:
                found.add(year)  # a date's year is one even before 1950
        else:
            found.add(f"{g[9].lower()} {int(g[10])}")
    return found | set(YEAR.findall(text))


def event_dated(text: str) -> bool:
    """Is a date of ``text`` the date of an event: an event word
    (``EVENT_DATE_WORDS``) among the five words before it?"""
    text = normalize_text(text)
    for m in (*_DATE.finditer(text), *YEAR.finditer(text)):
        before = " " + " ".join(re.findall(r"\w+", text[: m.start()].lower())[-5:]) + " "
        if any(f" {w} " in before for w in EVENT_DATE_WORDS):
            return True
    return False


def dates_differ(claimed: set[str] | frozenset[str], said: set[str]) -> bool:
    """Do two sets of ``dates`` disagree: for a kind of date both give (a
    year, a day/month, a "tháng N", a "ngày N"), they share none ("tháng 12"
    is not contradicted by "ngày 12")?"""
    def kind(d: str) -> str:
        return "year" if d.isdigit() else "d/m" if "/" in d else d.split()[0]
    return any(not ({d for d in claimed if kind(d) == k} & {d for d in said if kind(d) == k})
               for k in {kind(d) for d in claimed} & {kind(d) for d in said})


def _direction_words(text: str) -> dict[str, str]:
    """Each direction stated in ``text`` with the first of its words found there."""
    lower = f" {normalize_text(text).lower()} "
    for phrase in NOT_DIRECTIONS:
        lower = lower.replace(phrase, " ")
    found = {}
    for d, words in DIRECTIONS.items():
        hits = [m for w in words if (m := re.search(rf"(?<!\w){w}(?!\w)", lower))]
        if hits:
            found[d] = min(hits, key=lambda m: m.start()).group()
    return found


def direction(text: str) -> str:
    """"up", "down" or "" (both or neither)."""
    found = _direction_words(text)
    return next(iter(found)) if len(found) == 1 else ""


def direction_word(text: str) -> str:
    """The word that states ``text``'s direction ("giảm"), "" when none or both."""
    found = _direction_words(text)
    return next(iter(found.values())) if len(found) == 1 else ""


def names(text: str) -> list[str]:
    """Capitalised names, the sentence's first word aside, provinces aside
    (also when one opens a name: "Sở Ngoại vụ Cao Bằng Nguyễn Văn Hùng"), a
    person's name apart from the words before it."""
    provinces = {fold(m.province) for m in find_provinces(text)}
    out = []
    for m in NAME_RE.finditer(text):
        name = m.group().rstrip(".")
        if _phrase_head(text, m.start(), name):
            continue
        if m.start() == 0 and (" " not in name or fold(name.split()[0]) in STOPWORDS):
            name = name.partition(" ")[2]  # the sentence's first word: "Theo Bộ Thương mại"
        opening = next((p for p in find_provinces(name) if p.start == 0), None)
        name = name[opening.end :].strip() if opening is not None else name
        out.extend(n for n in _split_person(name) if n and fold(n) not in provinces)
    return out


def _phrase_head(text: str, start: int, name: str) -> bool:
    """A lone capitalised Vietnamese syllable followed by a lower-case word is
    the head of a common phrase written in title case ("Phó chủ tịch", "Công
    an", "Đại học Sức khỏe"), not a name, unless a person's title stands
    before it ("bà Lợi cho ...")."""
    if " " in name or name.isascii():
        return False
    following = re.match(r"\s+([^\W\d_])", text[start + len(name) :])
    if not following or not following.group(1).islower():
        return False
    before = fold(text[max(0, start - 8) : start]).split()[-1:]
    return not (before and before[0] in PERSON_TITLES)


def _split_person(name: str) -> list[str]:
    """A run of capitalised words that ends in a person's name is two names:
    "Phú Trinh Nguyễn Văn Tâm" -> "Phú Trinh", "Nguyễn Văn Tâm"."""
    parts = name.split()
    if is_person(name):
        return [name]
    # where the family name starts: a three-word name first ("Phú Trinh Nguyễn Văn Tâm": Trịnh is one too)
    for size in (3, 4, 2):
        i = len(parts) - size
        if i >= 1 and fold(parts[i]) in SURNAMES and not find_provinces(" ".join(parts[i:])):
            return [" ".join(parts[:i]), " ".join(parts[i:])]
    return [name]


def replace_figures(text: str, found: Sequence[Figure], by: str) -> str:
    """``text`` with each of its figures ``found`` (``figures``), scale word
    included, replaced by ``by`` ("" for a claim's topic, "bao nhiêu" for the
    question a statement answers), its spaces made single."""
    out, last = [], 0
    for f in found:
        out.append(text[last : f.start] + by)
        last = f.end + (len(text[f.end :]) - len(text[f.end :].lstrip()) + len(f.scale) if f.scale else 0)
    out.append(text[last:])
    return " ".join("".join(out).split())


def spellings(name: str) -> tuple[str, ...]:
    """``name`` and its other spellings (``NAME_VARIANTS``: "Việt Nam", "VN";
    the concept table ``SYNONYMS``: "FDI", "vốn đầu tư nước ngoài")."""
    return next((row for row in (*NAME_VARIANTS, *SYNONYMS) if fold(name) in {fold(v) for v in row}), (name,))


def is_person(name: str) -> bool:
    """A name of two words or more that starts with a family name ("Trần Danh Huy")."""
    parts = fold(name).split()
    return len(parts) >= 2 and parts[0] in SURNAMES


def checkable(sentence: str) -> bool:
    """Does a draft sentence state something the archive could back or
    contradict: a figure, a date, a name, a place or a trend? Questions,
    greetings and opinions do not."""
    s = normalize_text(sentence).strip()
    folded = f"{fold(s)} "
    if not s or s.endswith("?") or len(s.split()) < 4:
        return False
    if any(folded.startswith(o) for o in NOT_CHECKABLE_OPENERS):
        return False
    facts = bool(figures(s) or dates(s) or names(s) or find_provinces(s, typed=True) or direction(s))
    if not facts and any(f" {w} " in f" {folded}" for w in OPINION_WORDS):
        return False
    return facts
