"""Query + candidate sentence -> the signals that say whether it answers.

In: a parsed ``Query`` (plus the words the question names and the answer type
it asks for, see ``analyse``), a candidate sentence with its context (the
article's title, its lead and the sentence before), and the term weights of
the archive (IDF). Out: ``Signals``, a small record of numbers in [0, 1]
that the scorer combines. Each signal is a pure function of Vietnamese text,
tested on its own; none knows any particular article:

* coverage: IDF-weighted share of the question's concepts in the sentence,
  and in the sentence with its context (a sentence that does not repeat its
  subject borrows it from the title or the sentence before);
* missing: the rarest question concept found neither in the sentence, its
  context nor the article: the mark of a near miss ("của Hàn Quốc");
* answer type: the sentence holds what is asked (a number with the asked
  unit, a date, a name), and a figure of the asked kind (money, a duration,
  a percentage, an age, a score);
* constraints: the asked years, province and names are met by the sentence
  or its article, not contradicted (another year, another province);
* the question itself: the kind of answer it asks and its language, so that
  the scorer weighs the other signals by them (``asked_signals``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from typing import Callable

from rag.retrieve.query import Concept, Query
from rag.text.lang import ANSWER_TYPE_CUES, MEASURES, MEASURES_BEFORE, PLACE_PREPOSITIONS, QUALIFIER_WORDS, STOPWORDS
from rag.text.vietnamese import (
    GLUED_UNITS,
    NAME_RE,
    YEAR,
    Number,
    find_numbers,
    find_provinces,
    fold,
    padded,
    scale_after,
    words,
)

Idf = Callable[[str], float]  # folded syllable -> inverse document frequency
NARROWED = 0.5  # unit_match of a figure narrowed by a name the question does not ask about

_DATE = re.compile(r"\b\d{1,2}\s*[/-]\s*\d{1,2}\b|\b(?:ngày|tháng|năm|sáng|chiều|tối|đêm)\s+(?:qua|nay|mai|\d)"
                   r"|\b(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy)|chủ nhật)\b", re.IGNORECASE)
YEAR_SPAN = re.compile(r"(?:(?:từ|giai đoạn)\s+(?:năm\s+)?)?(?:19|20)\d\d\s*[-–—]\s*(?:19|20)?\d\d"
                       r"|(?:từ|giai đoạn)\s+(?:năm\s+)?(?:19|20)\d\d", re.IGNORECASE)


@dataclass(frozen=True)
class Asked:
    """What a question asks for, beyond its concepts."""

    type: str  # "number", "date", "place", "person", "org" or "other"
    names: tuple[tuple[str, ...], ...]  # capitalised names the answer must be about, each with its spellings (folded)
    qualifiers: tuple[tuple[str, ...], ...] = ()  # names that narrow the measure ("của Hàn Quốc"): must be near
    qualifier_labels: tuple[str, ...] = ()  # the same names as the question writes them
    measure: str = ""  # the kind of figure asked ("money", "duration", "percent", "age", "score"), see ``MEASURES``
    # words that narrow what is counted, which the answering sentence itself must give (an English question
    # read in an English article: "how many international visitors"; ``Query.read_in``)
    narrowing: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Signals:
    coverage: float  # IDF-weighted concepts in the sentence
    context_coverage: float  # ... in the sentence, its title, lead and previous sentence
    missing: float  # normalised IDF of the rarest concept absent from sentence, context and article
    missing_nearby: float  # ... absent from the sentence and its context
    bigrams: float  # share of the question's word pairs in the sentence
    type_match: float  # the sentence holds the asked kind of answer
    unit_match: float  # a number followed by the asked unit, not narrowed by another name
    measure: float  # 1: a figure of the asked measure (money, duration...); 0: none; 0.5: no measure asked
    names: float  # share of the question's names in the sentence or its context
    years: float  # 1: asked years in sentence/context; 0.5: in the article; 0: absent
    year_conflict: float  # the sentence dates itself to other years, or to a span for a one-year question
    province: float  # 1: about the asked province (or none asked); 0.5: unsure; 0: about another
    novelty: float  # share of the sentence's words that the question does not use
    dense: float  # cosine of the question to the passage (sentence embeddings cost ~50 ms each here)
    retrieval: float  # the passage's fused retrieval score relative to the best passage
    # What the question asks, the same for every sentence of one question: the scorer weighs the signals
    # above differently by the kind of answer asked, and an English question's words are not in the text.
    asks_number: float
    asks_date: float
    asks_place: float
    asks_name: float  # a person or an organisation
    english: float

    def vector(self) -> list[float]:
        return [getattr(self, f.name) for f in fields(self)]


FEATURES: tuple[str, ...] = tuple(f.name for f in fields(Signals))


def _has(haystack: str, phrase: str) -> bool:
    return f" {phrase} " in haystack


def _pad(text: str) -> str:
    return padded(text.replace("%", " phần trăm "))


def analyse(query: Query) -> Asked:
    folded = f" {fold(query.original)} "
    found = [(folded.find(f" {c}"), row, t) for row, (t, cues) in enumerate(ANSWER_TYPE_CUES) for c in cues
             if f" {c}" in folded]
    kind = min(found)[2] if found else ""
    if not kind:
        kind = "number" if query.wants_number else "other"
    clause = _asking_clause(query.original, min(found)[0] if found else -1)  # the cue's offset in the question
    names, qualifiers, labels = [], [], []
    for m in NAME_RE.finditer(query.original):
        name = m.group()
        if m.start() == 0 and " " not in name:  # the question's first word is capitalised anyway
            continue
        key = " ".join(padded(name).split())
        if not key or any(key == " ".join(padded(p).split()) for p in query.provinces):
            continue
        # a name with synonyms ("FDI", "Hàn Quốc"/"Korea") is met by any of its spellings
        spellings = next((c.alternatives for c in query.concepts if key in c.alternatives), (key,))
        names.append(spellings)
        before = fold(query.original[max(0, m.start() - 8) : m.start()]).split()
        framing = not clause[0] <= m.start() < clause[1]
        if before and before[-1] in QUALIFIER_WORDS and not framing and spellings not in qualifiers:
            qualifiers.append(spellings)
            labels.append(name)
    plain = _pad(query.original)
    measure = next((m for m, (cues, _) in MEASURES.items() if any(_has(plain, c) for c in cues)), "")
    return Asked(kind, tuple(dict.fromkeys(names)), tuple(qualifiers), tuple(labels), measure, query.narrowing)


def _asking_clause(question: str, cue: int) -> tuple[int, int]:
    """(start, end) of the comma-separated clause holding the question word at
    ``cue``. A name outside it frames the topic ("Trong vụ lừa đảo của Công
    ty X, ... bao nhiêu năm tù?"); only a name inside it narrows the measure."""
    if cue < 0:
        return 0, len(question)
    start = question.rfind(",", 0, cue) + 1
    end = question.find(",", cue)
    return start, end if end >= 0 else len(question)


def concept_weight(concept: Concept, idf: Idf) -> float:
    """How much a concept tells: the IDF of its rarest syllable, halved for
    soft words (see ``Concept.weight``)."""
    best = max((idf(s) for s in words(concept.label)), default=1.0)
    return best * (0.5 if concept.weight < 1 else 1.0)


def _share(weights: list[tuple[Concept, float]], text: str) -> float:
    total = sum(w for _, w in weights)
    got = sum(w for c, w in weights if any(_has(text, a) for a in c.alternatives))
    return got / total if total else 0.0


def coverage(query: Query, idf: Idf, text: str, leaving_out: frozenset[str] = frozenset()) -> float:
    """IDF-weighted share of the question's concepts in ``text``, the concepts
    spelled only by the syllables ``leaving_out`` aside (a name being checked)."""
    weights = [(c, concept_weight(c, idf)) for c in query.concepts if not set(c.alternatives) <= leaving_out]
    return _share(weights, _pad(text))


def _rarest_missing(weights: list[tuple[Concept, float]], text: str, scale: float) -> tuple[float, str]:
    absent = [(w, c.label) for c, w in weights if not any(_has(text, a) for a in c.alternatives)]
    if not absent:
        return 0.0, ""
    w, label = max(absent)
    return min(1.0, w / scale), label


def years_signal(query: Query, sentence: str, nearby: str, article: str) -> tuple[float, float]:
    """(met, conflict): are the asked years given by the sentence or its
    context (1), only elsewhere in the article (0.5), or nowhere (0); and does
    the sentence date itself only to other years or to a span of years."""
    if not query.years:
        return 1.0, 0.0
    met = 1.0 if all(y in nearby for y in query.years) else 0.5 if all(y in article for y in query.years) else 0.0
    own = set(YEAR.findall(sentence))
    span = bool(YEAR_SPAN.search(sentence)) and not YEAR_SPAN.search(query.original)
    conflict = bool(own) and (not (own & set(query.years)) or span)
    return met, float(conflict)


def new_names(query: Query, sentence: str) -> list[re.Match]:
    """Capitalised names in ``sentence`` that the question does not already give."""
    asked_words = set(padded(query.original).split())
    return [m for m in NAME_RE.finditer(sentence)
            if not (m.start() == 0 and " " not in m.group()) and set(padded(m.group()).split()) - asked_words]


def placed_names(query: Query, sentence: str) -> list[re.Match]:
    """The ``new_names`` of ``sentence`` written right after a place preposition ("tại Nhà hát lớn")."""
    out = []
    for m in new_names(query, sentence):
        before = fold(sentence[max(0, m.start() - 6) : m.start()]).split()
        if before and before[-1] in PLACE_PREPOSITIONS:
            out.append(m)
    return out


def type_signal(asked: Asked, query: Query, sentence: str) -> float:
    """1 when the sentence holds the kind of answer asked that the question
    does not already give: a figure, a date, a place or a name."""
    if asked.type == "number":
        given = {n.text for n in find_numbers(query.original)}
        return float(any(not YEAR.fullmatch(n.text) and n.text not in given for n in find_numbers(sentence)))
    if asked.type == "date":
        given = set(YEAR.findall(query.original))
        return float(bool(set(YEAR.findall(sentence)) - given or _DATE.search(sentence)))
    if asked.type == "place":
        asked_places = set(query.provinces)
        if {m.province for m in find_provinces(sentence)} - asked_places:
            return 1.0
        if placed_names(query, sentence):
            return 1.0
        return 0.5 if new_names(query, sentence) else 0.0
    if asked.type in ("person", "org"):
        return float(bool(new_names(query, sentence)))
    return 1.0


def novelty(query: Query, sentence: str) -> float:
    """Share of the sentence's words the question does not use: an answer adds
    something; a sentence that only restates the question does not."""
    mine = set(padded(query.original).split()) | {w for c in query.concepts for a in c.alternatives for w in a.split()}
    theirs = [w for w in padded(sentence).split() if w not in STOPWORDS]
    return sum(w not in mine for w in theirs) / len(theirs) if theirs else 0.0


def _unit_of(query: Query, sentence: str, n: Number) -> float:
    """Does the figure ``n`` count what "bao nhiêu X" asks: 1 when X follows
    it, ``NARROWED`` when a capitalised name the question does not ask about
    narrows it ("14 dự án FDI Trung Quốc" is not the province's total), 0 when
    it counts something else."""
    after = sentence[n.end : n.end + 80]
    scale = scale_after(after)
    if scale:  # "1.5 million passengers", "7,2 triệu lượt khách"
        after = after[scale.end() :]
    u = next((u for u in query.unit if _pad(after).startswith(f" {u} ")), None)
    if u is None:
        return 0.0
    asked = set(padded(query.original).split())
    for t in [t.strip(",.;:()") for t in after.split()[len(u.split()) : len(u.split()) + 2]]:
        if not t or fold(t) in asked:
            continue
        if t[0].isupper() and not t.isupper():
            return NARROWED
        if not t[0].isalpha():
            break
    return 1.0


_SCORE = re.compile(r"\b\d{1,2}\s*[-–]\s*\d{1,2}\b(?![/.,]\d)")


def measure_signal(asked: Asked, sentence: str) -> float:
    """1 when a figure of ``sentence`` is written with a word of the asked
    measure within three words after it ("2,5 triệu đồng" for a price, "6
    tháng" for "bao lâu"), 0 when none is, 0.5 when no measure is asked."""
    if not asked.measure:
        return 0.5
    if asked.measure == "score":
        return float(bool(_SCORE.search(sentence)))
    return float(bool(measured_figures(asked, sentence)))


def measured_figures(asked: Asked, sentence: str) -> list[Number]:
    """The figures of ``sentence`` written with a word of the asked measure
    (``MEASURES``) within three words after it (or, for an age, just before)."""
    if asked.measure not in MEASURES:
        return []
    units, out = MEASURES[asked.measure][1], []
    for n in find_numbers(sentence):
        if YEAR.fullmatch(n.text) and asked.measure != "duration":
            continue
        near = sentence[n.end : n.end + 40].replace("%", " % ").lower().split()[:3]
        if asked.measure in MEASURES_BEFORE:
            near += sentence[max(0, n.start - 12) : n.start].lower().split()[-1:]
        near = " " + " ".join(w.strip(",.;:()") for w in near) + " "
        if any(f" {u} " in near or (u in GLUED_UNITS and near.startswith(f" {u}")) for u in units):
            out.append(n)
    return out


def unit_signal(query: Query, sentence: str) -> float:
    """How the first figure of the asked unit in ``sentence`` counts it (see ``_unit_of``)."""
    if not query.unit:
        return 0.0
    return next((u for n in find_numbers(sentence) if (u := _unit_of(query, sentence, n))), 0.0)


def unit_figures(query: Query, sentence: str) -> list[Number]:
    """The figures of ``sentence`` (years aside) that count the asked unit;
    every figure when the question names no unit."""
    numbers = [n for n in find_numbers(sentence) if not YEAR.fullmatch(n.text)]
    return [n for n in numbers if _unit_of(query, sentence, n) > 0] if query.unit else numbers


def province_signal(query: Query, sentence: str, context: str, article_province: str) -> float:
    """Is the sentence about the asked province: 1 when it names it, or names
    none and its article or context (title, lead, sentence before) is about
    it; 0.5 when it names another in an article about the asked one ("Đại học
    Bách khoa Hà Nội" in a TP HCM story); 0 otherwise."""
    if not query.provinces:
        return 1.0
    asked = set(query.provinces)
    named = {m.province for m in find_provinces(sentence)}
    if named & asked:
        return 1.0
    if named:
        return 0.5 if article_province in asked else 0.0
    return float(article_province in asked or bool({m.province for m in find_provinces(context)} & asked))


def signals(
    query: Query, asked: Asked, idf: Idf, sentence: str, context: str, article_text: str,
    article_province: str, dense: float, retrieval: float, article_language: str = "vi",
) -> tuple[Signals, str]:
    """The signals of one candidate sentence, and the rarest concept it lacks; ``query`` as read in the
    article's language (``Query.read_in``)."""
    weights = [(c, concept_weight(c, idf)) for c in query.concepts]
    scale = math.log(1 + 1e6)  # IDF ceiling for a term seen in one of a million passages
    p_sentence = _pad(sentence)
    p_nearby = _pad(f"{context} {sentence}")
    p_article = _pad(f"{context} {article_text}")
    missing, label = _rarest_missing(weights, p_article, scale)
    missing_nearby, label_nearby = _rarest_missing(weights, p_nearby, scale)
    years, conflict = years_signal(query, sentence, f"{context} {sentence}", f"{context} {article_text}")
    names = sum(any(_has(p_nearby, a) for a in n) for n in asked.names) / len(asked.names) if asked.names else 1.0
    bigrams = sum(_has(p_sentence, b) for b in query.bigrams) / len(query.bigrams) if query.bigrams else 0.0
    return Signals(
        coverage=_share(weights, p_sentence),
        context_coverage=_share(weights, p_nearby),
        missing=missing,
        missing_nearby=missing_nearby,
        bigrams=bigrams,
        type_match=type_signal(asked, query, sentence),
        unit_match=unit_signal(query, sentence),
        measure=measure_signal(asked, sentence),
        names=names,
        years=years,
        year_conflict=conflict,
        province=province_signal(query, sentence, context, article_province),
        novelty=novelty(query, sentence),
        dense=dense,
        retrieval=retrieval,
        **asked_signals(asked, query, article_language),
    ), (label or label_nearby)


def asked_signals(asked: Asked, query: Query, article_language: str = "vi") -> dict[str, float]:
    """The question-level signals: the kind of answer asked, and whether the question is read across
    languages (``english``: an English question against Vietnamese text, the case the scorer was fitted on;
    an English question about an English article is read in its own language)."""
    return {"asks_number": float(asked.type == "number"), "asks_date": float(asked.type == "date"),
            "asks_place": float(asked.type == "place"), "asks_name": float(asked.type in ("person", "org")),
            "english": float(query.language == "en" and article_language != "en")}
