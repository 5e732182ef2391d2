"""Question -> ``Query``: what to search for and what an answer must contain.

In: the user's question (any length, with or without diacritics, Vietnamese
or English) and an optional accent restorer. Out: a ``Query`` with the
normalised text, an expanded search text (abbreviations expanded both ways:
FDI <-> vốn đầu tư nước ngoài, XNK <-> xuất nhập khẩu, ...; English terms
mapped to their Vietnamese wording), the provinces and years it names, its
language, and its *concepts*: the content words/phrases, each with its
accepted alternatives, that the answering sentence must cover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Sequence

from rag.errors import BadQuestion
from rag.text.lang import EN_HINTS, EN_SUFFIXES, ENGLISH_QUESTION, NUMBER_CUES, SOFT, STOPWORDS, SYNONYMS
from rag.text.vietnamese import YEAR, find_provinces, fold, has_diacritics, normalize_text, words

_RAW_WORD = re.compile(r"\w+", re.UNICODE)
_UNIT_AFTER = re.compile(r"\b(?:bao nhieu|may|how many|nhieu|so luong|so)\s+(?!sanh\b)(\w+)")


@dataclass(frozen=True)
class Concept:
    """One thing the answer must mention; any alternative counts."""

    alternatives: tuple[str, ...]  # folded phrases
    label: str

    @property
    def weight(self) -> float:
        if any(a in SOFT for a in self.alternatives):
            return 0.5
        return 2.0 if any(" " in a for a in self.alternatives) else 1.0


@dataclass(frozen=True)
class Query:
    original: str
    text: str  # accent-restored when typed without diacritics
    expanded: str
    provinces: tuple[str, ...]
    years: tuple[str, ...]
    language: str  # "vi" or "en"
    concepts: tuple[Concept, ...]
    wants_number: bool
    unit: tuple[str, ...] = ()  # folded alternatives of what "bao nhiêu X" counts
    bigrams: frozenset[str] = frozenset()
    truncated: bool = False
    # an English question's own content words and counted noun, with their inflections: they count where
    # the text read is English (an English article; ``read_in``); Vietnamese text has the synonym rows only
    literal: tuple[Concept, ...] = ()
    literal_unit: tuple[str, ...] = ()
    literal_narrowing: tuple[tuple[str, ...], ...] = ()
    narrowing: tuple[tuple[str, ...], ...] = ()  # words that narrow what is counted, where they are read

    def read_in(self, language: str) -> "Query":
        """The question as read against text in ``language``."""
        if self.language != "en" or language != "en":
            return self
        return replace(self, concepts=self.concepts + self.literal, unit=self.unit or self.literal_unit,
                       narrowing=self.literal_narrowing)


def _folded_key(phrase: str) -> str:
    return " ".join(words(phrase))


_PHRASES: list[tuple[str, int]] = sorted(
    ((_folded_key(p), i) for i, row in enumerate(SYNONYMS) for p in row),
    key=lambda x: -len(x[0]),
)


def detect_language(text: str) -> str:
    """The question's language: "en" for English (quoting Vietnamese names and titles allowed), else "vi"."""
    tokens = words(text)
    if not tokens:
        return "vi"
    accented = sum(1 for t in _RAW_WORD.findall(text) if has_diacritics(t)) / len(tokens)
    hits = sum(1 for t in tokens if t in EN_HINTS)
    hinted = hits >= ENGLISH_QUESTION["min_hints"] or hits / len(tokens) >= ENGLISH_QUESTION["min_hint_share"]
    return "en" if hinted and accented <= ENGLISH_QUESTION["max_diacritic_share"] else "vi"


def _concepts(folded: str, language: str) -> tuple[list[Concept], list[int]]:
    """Concepts and the synonym rows they came from."""
    text = f" {folded} "
    concepts, rows = [], []
    for phrase, row in _PHRASES:
        pattern = re.compile(r"(?<=\W)" + re.escape(phrase) + r"(?=\W)")
        if pattern.search(text):
            if row not in rows:
                rows.append(row)
                alts = tuple(sorted({_folded_key(p) for p in SYNONYMS[row]}))
                concepts.append(Concept(alts, SYNONYMS[row][0]))
            text = pattern.sub(" # ", text)
    for m in find_provinces(text, typed=True):
        text = text[: m.start] + " " * (m.end - m.start) + text[m.end :]
    if language == "vi":
        for w in words(text):
            if YEAR.fullmatch(w) or any(w in c.alternatives for c in concepts):
                continue
            if w.isdigit() or (w not in STOPWORDS and len(w) > 1):
                concepts.append(Concept((w,), w))
    return concepts, rows


def _forms(w: str) -> tuple[str, ...]:
    """An English word and its inflections (``EN_SUFFIXES``; "carry": "carried")."""
    stems = {w} | {w[: -len(x)] for x in EN_SUFFIXES if w.endswith(x) and len(w) - len(x) >= 3}
    forms = {f"{stem}{x}" for stem in stems for x in ("", *EN_SUFFIXES)}
    forms |= {f"{stem[:-1]}{x}" for stem in stems if stem.endswith("y") for x in ("ied", "ies")}
    return tuple(sorted(forms))


def _literal(folded: str, concepts: Sequence[Concept]) -> list[Concept]:
    """An English question's content words not in ``concepts``, each with its inflections."""
    taken = {w for c in concepts for a in c.alternatives for w in a.split()}
    return [Concept(_forms(w), w) for w in dict.fromkeys(words(folded))
            if not (YEAR.fullmatch(w) or w in STOPWORDS or w in taken or len(w) <= 2 or w.isdigit())]


def _literal_unit(folded: str, concepts: Sequence[Concept]) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """What 'how many X' counts, in the question's own English words: the last
    word before the verb ("how many international visitors did" -> visitors),
    and the words before it that narrow it (international), each with its
    spellings (a concept's, else its inflections)."""
    m = re.search(r"\bhow many ((?:\w+ ?){1,4})", folded)
    noun = []
    for w in m.group(1).split() if m else ():
        if w in STOPWORDS:
            break
        noun.append(w)
    if not noun:
        return (), ()
    narrowing = tuple(next((c.alternatives for c in concepts if w in c.alternatives), _forms(w)) for w in noun[:-1])
    return _forms(noun[-1]), narrowing


def check_question(question: object) -> None:
    """Refuse what cannot be a question (the same checks for CLI, API and UI)."""
    if question is not None and not isinstance(question, str):
        raise BadQuestion(f"The question must be text, got {type(question).__name__}.")
    if not question or not question.strip():
        raise BadQuestion("The question is empty. Ask something, e.g. 'Lạng Sơn có bao nhiêu dự án FDI?'")
    try:
        question.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: the shell passed bytes that are not UTF-8
        raise BadQuestion("The question is not valid UTF-8 text; retype it or save it as UTF-8.") from None


def check_k(k: object) -> None:
    """``k`` (passages to retrieve) is None (the default) or a whole number >= 1."""
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
        raise BadQuestion(f"k must be a whole number of at least 1, got {k!r}.")


def check_history(history: object) -> None:
    """``history`` is a list of the conversation's earlier questions (text)."""
    if isinstance(history, (str, bytes)) or not isinstance(history, (list, tuple)):
        raise BadQuestion(f"history must be a list of earlier questions, got {type(history).__name__}.")
    if not all(isinstance(h, str) for h in history):
        raise BadQuestion("history must hold only text (the earlier questions).")
    for h in filter(str.strip, history):  # blank turns are allowed and ignored
        check_question(h)


def _bigrams(folded: str) -> set[str]:
    toks = [t for t in folded.split() if t not in STOPWORDS]
    return {f"{a} {b}" for a, b in zip(toks, toks[1:])}


def _unit(folded: str) -> tuple[str, ...]:
    """What 'bao nhiêu X' / 'how many X' counts, with synonyms:
    'lang son co bao nhieu du an fdi' -> dự án; 'how many fdi projects' -> projects."""
    m = _UNIT_AFTER.search(folded)
    if not m:
        return ()
    following = folded[m.start(1) :].split()[:3]
    english = m.group(0).startswith("how many")
    # Vietnamese names the counted noun first ("bao nhiêu dự án FDI"), English last ("how many FDI projects").
    for i in range(len(following) - 1, -1, -1) if english else (0,):
        tail = " ".join(following[i:]) + " "
        for phrase, row in _PHRASES:
            if tail.startswith(phrase + " "):
                return tuple(sorted({_folded_key(p) for p in SYNONYMS[row]}))
    return () if english or following[0] in STOPWORDS else (following[0],)


def without_provinces(question: str, keep: str) -> str:
    """The question with every named province but ``keep`` removed (for one
    sub-search per province in a comparison)."""
    out, last = [], 0
    for m in find_provinces(question, typed=True):
        if m.province != keep:
            out.append(question[last : m.start])
            last = m.end
    out.append(question[last:])
    return re.sub(r"\s+", " ", "".join(out)).strip()


def parse_query(question: str, max_chars: int = 1000, restore: Callable[[str], str] | None = None) -> Query:
    text = " ".join(normalize_text(question).split())
    truncated = len(text) > max_chars
    if truncated:
        cut = text.rfind(" ", 0, max_chars)
        text = text[: cut if cut > max_chars // 2 else max_chars]
    language = detect_language(text)
    unaccented = language == "vi" and not has_diacritics(text)
    searched = restore(text) if (unaccented and restore) else text
    folded = fold(text)
    folded_words = " ".join(words(text))
    concepts, rows = _concepts(folded_words, language)
    extra = [
        p for r in rows for i, p in enumerate(SYNONYMS[r][:3])
        if (i == 0 or p.isupper() or has_diacritics(p)) and fold(p) not in folded
    ]
    provinces = tuple(dict.fromkeys(m.province for m in find_provinces(text, typed=True)))
    wants = any(cue in f"{folded} " for cue in NUMBER_CUES)
    unit = _unit(folded_words)
    if language == "en":
        extra = list(provinces) + extra
    expanded = searched + (" (" + ", ".join(extra) + ")" if extra else "")
    query = Query(
        original=text,
        text=searched,
        expanded=expanded,
        provinces=provinces,
        years=tuple(dict.fromkeys(YEAR.findall(text))),
        language=language,
        concepts=tuple(concepts),
        wants_number=wants,
        unit=unit,
        bigrams=frozenset(_bigrams(folded_words)),
        truncated=truncated,
    )
    if language == "en":
        unit, narrowing = _literal_unit(folded_words, concepts)
        query = replace(query, literal=tuple(_literal(folded_words, concepts)), literal_unit=unit,
                        literal_narrowing=narrowing)
    return query
