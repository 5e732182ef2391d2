"""``Query`` + ``Hit``s -> ``Answer``: a short answer and the verbatim
sentence it comes from, each with [n], or an honest "not in the archive".

In: the parsed query, the retrieved hits and the archive's term weights
(IDF). Out: an ``Answer``. No LLM. Every sentence of the top passages is a
candidate; ``signals`` measures it against the question and ``scorer`` turns
the signals into the probability that it answers. A candidate may answer only

* if nothing rules it out: it is about another province than the one asked,
  the asked year is nowhere near it (or it dates itself to another year or a
  span of years), a name that narrows the question ("của Hàn Quốc") is not
  near it, its figure counts a narrower set than asked ("14 dự án FDI Trung
  Quốc" for a province's total), or it lacks the kind of answer asked;
* and its probability reaches the fitted threshold (or, read again by the
  trained reader, the reader's threshold).

The answer then opens with the short answer — the figure with its unit, the
date or the name, copied from the cited sentence — and quotes the sentence.
A question naming several provinces needs one sentence per province; when it
asks to compare or add, the arithmetic is shown ("28 > 20"). Otherwise the
answer says the archive does not say, with the closest passages as
``related`` and a one-line reason ("Đoạn gần nhất không nói đến “Hàn Quốc”.").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Sequence

from rag.answer.reader import Passage, Reader, answer_score
from rag.answer.scorer import ScorerWeights
from rag.answer.signals import (
    NARROWED,
    YEAR_SPAN,
    Asked,
    Idf,
    Signals,
    analyse,
    measured_figures,
    new_names,
    placed_names,
    signals,
    unit_figures,
)
from rag.retrieve.query import Query
from rag.schema import Answer, Citation, Hit
from rag.text.figures import figures
from rag.text.lang import (
    COMPARE_CUES,
    CONFLICT_HEAD,
    EN_PREFIX,
    HEDGES,
    NO_ANSWER,
    REASONS,
    SHORT_ANSWER_LABEL,
    STOPWORDS,
    TRAILING_CONNECTORS,
    TYPE_NAMES,
)
from rag.text.sentences import previous_sentence, sentences
from rag.text.untrusted import untrusted_article
from rag.text.vietnamese import YEAR, Number, find_numbers, find_provinces, fold, padded, words

# A rival value must be at least this probable, relative to the best sentence,
# to be shown as a disagreeing source.
CONFLICT_MIN_SHARE = 0.5


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    start: int
    end: int
    text: str
    signals: Signals
    probability: float
    blocker: str  # why it may not answer ("province", "year", "qualifier", "type", "narrowed"), "" when it may
    lacks: str  # the rarest question concept it lacks
    context: str = ""  # the article's title, lead and the text just before the sentence


def _lead(text: str) -> str:
    first = sentences(text, 0, min(len(text), 600))
    return text[first[0][0] : first[0][1]] if first else ""


class ExtractiveAnswerer:
    """Without ``reader``, the scorer's two logistic models rank the candidate sentences and decide
    whether the best one answers. With ``reader`` (``reader.Reader``, task "answer"), the scorer only
    pre-ranks: the reader reads the scorer's ``read`` × (provinces asked) most probable candidates,
    its probability ranks them and decides whether the best one answers (its probability less its tuned
    ``margin`` times the next one's reaches its tuned ``threshold``). With ``reader`` and ``second`` (a
    score), the scorer decides first and the reader reads only the questions it refuses, answering from
    ``second`` (``Settings.reader``)."""

    def __init__(self, weights: ScorerWeights | None = None, max_hits: int = 8, reader: Reader | None = None,
                 second: float | None = None):
        self.weights = weights or ScorerWeights.load()
        self.max_hits = max_hits
        self.reader = reader
        self.second = second

    # ------------------------------------------------------------ candidates
    def candidates(self, query: Query, hits: list[Hit], idf: Idf, asked: Asked | None = None) -> list[Candidate]:
        """Every sentence of the top passages, most probable first."""
        asked = asked or analyse(query)
        read_as = {"vi": (query, asked)}  # the question as read in each article language, with what it asks
        seen: set[tuple[str, int]] = set()
        out: list[Candidate] = []
        top_score = max((h.score for h in hits), default=1.0) or 1.0
        for hit in self._read(query, hits):
            a = hit.article
            if untrusted_article(a):  # it gives orders to the system: none of its sentences is evidence
                continue
            lead = _lead(a.text)
            for start, end in sentences(a.text, hit.chunk.start, hit.chunk.end):
                if (a.id, start) in seen:
                    continue
                seen.add((a.id, start))
                before = a.text[max(0, start - 300) : start]
                context = f"{a.title} {lead if lead not in before else ''} {before}"
                if a.language not in read_as:
                    view = query.read_in(a.language)
                    read_as[a.language] = (view, asked if view is query else analyse(view))
                view, view_asked = read_as[a.language]
                s, lacks = signals(view, view_asked, idf, a.text[start:end], context, a.text, a.province,
                                   hit.dense, hit.score / top_score, a.language)
                out.append(self._candidate(view_asked, hit, start, end, s, lacks, context))
        return sorted(out, key=lambda c: -c.probability)

    def _read(self, query: Query, hits: list[Hit]) -> list[Hit]:
        """The hits whose sentences are read: the top ``max_hits`` per province asked."""
        return hits[: self.max_hits * max(1, len(query.provinces))]

    def untrusted(self, query: Query, hits: list[Hit]) -> list[str]:
        """Ids of the articles among the hits read that were left out as untrusted."""
        return sorted({h.article.id for h in self._read(query, hits) if untrusted_article(h.article)})

    def _candidate(self, asked: Asked, hit: Hit, start: int, end: int, s: Signals, lacks: str,
                   context: str) -> Candidate:
        """``context``: the title, lead and text before; with the sentence
        itself, where a qualifying name must stand."""
        text = hit.article.text[start:end]
        blocker = ""
        if s.province == 0:
            blocker = "province"
        elif s.years == 0 or s.year_conflict:
            blocker = "year"
        elif (asked.qualifiers and not _near(asked.qualifiers, f"{context} {text}")) or not _near(asked.narrowing, text):
            blocker = "qualifier"
        elif asked.type in ("number", "date") and not s.type_match:
            blocker = "type"
        elif s.unit_match == NARROWED:
            blocker = "narrowed"  # "14 dự án FDI Trung Quốc" is not the total asked
        return Candidate(hit, start, end, text, s, self.weights.probability(s), blocker, lacks, context)

    def _best(self, cands: list[Candidate], province: str | None,
              reader_threshold: float | None) -> tuple[Candidate | None, float]:
        """The most probable sentence that nothing rules out, if it answers, and the probability that it
        answers. ``reader_threshold``: the candidates carry the reader's probabilities, and it answers from
        this one."""
        eligible = [c for c in cands if not c.blocker and (province is None or province in _provinces_of(c))]
        if not eligible:
            return None, 0.0
        best = eligible[0]
        runner_up = eligible[1].probability if len(eligible) > 1 else 0.0
        if reader_threshold is not None:
            p = answer_score(best.probability, runner_up, self.reader.config.get("margin", 0.0))
            return (best if p >= reader_threshold else None), p
        p = self.weights.answer_probability(best.signals, best.probability - runner_up)
        return (best if p >= self.weights.threshold else None), p

    # ---------------------------------------------------------------- answer
    def answer(self, query: Query, hits: list[Hit], idf: Idf) -> Answer:
        asked = analyse(query)
        cands = self.candidates(query, hits, idf, asked)
        sides = query.provinces if len(query.provinces) > 1 else (None,)
        if self.reader is None:
            return self._decide(query, hits, asked, cands, sides, None)
        if self.second is None:
            return self._decide(query, hits, asked, self.read(query, cands, len(sides)), sides,
                                self.reader.config["threshold"])
        first = self._decide(query, hits, asked, cands, sides, None)
        if first.answerable:
            return first
        again = self._decide(query, hits, asked, self.read(query, cands, len(sides)), sides, self.second)
        return again if again.answerable else first

    def _decide(self, query: Query, hits: list[Hit], asked: Asked, cands: list[Candidate],
                sides: tuple[str | None, ...], reader_threshold: float | None) -> Answer:
        """The answer from ``cands``, ranked by the scorer (``reader_threshold`` None) or by the reader,
        which answers from score ``reader_threshold``."""
        lang = query.language
        chosen: list[Candidate] = []
        confidence = 1.0  # the least probability among the sides' answering sentences
        for province in sides:
            best, p = self._best(cands, province, reader_threshold)
            confidence = min(confidence, p)
            if best is None:
                reason = REASONS[lang]["side"].format(x=province) if province else _reason(lang, query, asked, cands)
                return replace(self._refuse(query, hits, cands, reason), confidence=confidence)
            if best not in chosen:
                chosen.append(best)
        rival = self._rival(query, asked, chosen[0], cands, reader_threshold) if len(chosen) == 1 else None
        if rival is not None:
            return replace(self._conflict(query, asked, chosen[0], rival), confidence=confidence)
        citations = tuple(cite(i + 1, c) for i, c in enumerate(chosen))
        arithmetic = _arithmetic(query, chosen, sides if len(sides) == len(chosen) else (None, None)) if len(
            chosen) > 1 else None
        if arithmetic is not None and not arithmetic:
            return replace(self._refuse(query, hits, cands, REASONS[lang]["mismatch"]), confidence=confidence)
        quotes = " ".join(f"{c.sentence} [{c.n}]" for c in citations)
        short = "" if len(chosen) > 1 else short_answer(asked, query.read_in(chosen[0].hit.article.language),
                                                         chosen[0].text)
        head = f"{SHORT_ANSWER_LABEL[lang] if lang == 'en' else ''}{short} [1]\n\n" if short else ""
        if arithmetic:
            head = f"{arithmetic}\n\n"
        text = head + (EN_PREFIX if lang == "en" and any(c.hit.article.language != "en" for c in chosen) else "") + quotes
        return Answer(query.original, text, True, citations, searched=query.expanded,
                      short_answer=short or arithmetic or "", language=lang, confidence=confidence)

    def _rival(self, query: Query, asked: Asked, best: Candidate, cands: list[Candidate],
               reader_threshold: float | None) -> Candidate | None:
        """Another article's sentence that answers the same number question as
        well as ``best`` but with another value (for the same year, when both
        articles are dated): the archive's sources disagree."""
        value = _figure(query, best.text) if asked.type == "number" else None
        if value is None:
            return None
        year = best.hit.article.date[:4]
        for c in cands:
            other = c.hit.article
            if c.blocker or other.id == best.hit.article.id or (year and other.date[:4] not in ("", year)):
                continue
            if c.probability < best.probability * CONFLICT_MIN_SHARE or not c.signals.unit_match:
                continue
            if not self._answers_alone(c, reader_threshold):
                continue
            theirs = _figure(query, c.text)
            if theirs is not None and not math.isclose(theirs, value, rel_tol=1e-9):
                return c
        return None

    def _answers_alone(self, c: Candidate, reader_threshold: float | None) -> bool:
        """``c`` alone answers: the reader's probability reaches ``reader_threshold``, or the scorer's
        decider its own threshold."""
        if reader_threshold is not None:
            return c.probability >= reader_threshold
        return self.weights.answer_probability(c.signals, 0.0) >= self.weights.threshold

    def read(self, query: Query, cands: list[Candidate], sides: int = 1) -> list[Candidate]:
        """The scorer's ``read`` × ``sides`` most probable candidates with the reader's probability,
        best first, then the unread ones (probability 0: they never answer)."""
        n = self.reader.config["read"] * sides
        head, tail = cands[:n], cands[n:]
        passages = [Passage(c.text, c.hit.article.title, previous_sentence(c.hit.article.text, c.start)) for c in head]
        probs = self.reader.probabilities(query.original, passages, [c.probability for c in head])
        read = sorted((replace(c, probability=float(p)) for c, p in zip(head, probs)), key=lambda c: -c.probability)
        return read + [replace(c, probability=0.0) for c in tail]

    def _conflict(self, query: Query, asked: Asked, best: Candidate, rival: Candidate) -> Answer:
        """Both values, each with its source, and the note that they differ."""
        citations = (cite(1, best), cite(2, rival))
        a, b = (short_answer(asked, query, c.text) or _fmt(_figure(query, c.text)) for c in (best, rival))
        head = CONFLICT_HEAD[query.language].format(a=a, b=b)
        quotes = " ".join(f"{c.sentence} [{c.n}]" for c in citations)
        text = f"{head}\n\n{EN_PREFIX if query.language == 'en' else ''}{quotes}"
        return Answer(query.original, text, True, citations, searched=query.expanded, short_answer=a,
                      conflicting=True, language=query.language)

    def _refuse(self, query: Query, hits: list[Hit], cands: list[Candidate], reason: str) -> Answer:
        related = []
        for hit in hits[:3]:
            best = next((c for c in cands if c.hit is hit), None)
            if best:
                related.append(cite(len(related) + 1, best))
        return Answer(query.original, NO_ANSWER[query.language], False, related=tuple(related),
                      searched=query.expanded, reason=reason, language=query.language)


def _near(qualifiers: tuple[tuple[str, ...], ...], text: str) -> bool:
    """Every qualifying name ("của Hàn Quốc") is written in ``text``, in any spelling."""
    padded_text = padded(text)
    return all(any(f" {a} " in padded_text for a in spellings) for spellings in qualifiers)


def _provinces_of(c: Candidate) -> set[str]:
    named = {m.province for m in find_provinces(c.text)}
    return named or {c.hit.article.province}


def _reason(lang: str, query: Query, asked: Asked, cands: list[Candidate]) -> str:
    """One line on why the closest candidate does not answer."""
    texts = REASONS[lang]
    if not cands:
        return texts["weak"]
    # the closest candidate about the asked province, when there is one
    top = next((c for c in cands if c.blocker != "province"), cands[0])
    if top.blocker == "province":
        found = ", ".join(sorted(_provinces_of(top))) or "?"
        return texts["province"].format(x=", ".join(query.provinces), found=found)
    if top.blocker == "year":
        span = YEAR_SPAN.search(top.text)
        found = span.group() if span else ", ".join(dict.fromkeys(YEAR.findall(top.text))) or "?"
        return texts["year"].format(x=", ".join(query.years), found=found)
    if top.blocker == "qualifier":
        read = analyse(query.read_in(top.hit.article.language))  # as the candidate was read
        return texts["term"].format(x=", ".join(read.qualifier_labels) or ", ".join(
            min(n, key=len) for n in read.narrowing))
    if top.blocker == "narrowed":
        return texts["narrowed"]
    if top.blocker == "type":
        return texts["type"].format(x=TYPE_NAMES[lang][asked.type])
    if top.lacks and (top.signals.missing > 0 or top.signals.missing_nearby > 0):
        return texts["term"].format(x=top.lacks)
    return texts["weak"]


# ------------------------------------------------------------- short answer
_ITEM_END = re.compile(r"[;.!?](?=\s|$)")
_CLAUSE_END = re.compile(r"[,;:.!?](?=\s|$)|[()\"“”]|\s[-–—]\s")
MAX_SHORT_WORDS = 24


def _clause(text: str, start: int) -> str:
    """From ``start`` to the end of its clause, at most ``MAX_SHORT_WORDS`` words."""
    m = _CLAUSE_END.search(text, start + 1)
    piece = text[start : m.start() if m else len(text)]
    return " ".join(piece.split()[:MAX_SHORT_WORDS]).strip()


def _hedged_start(text: str, start: int) -> int:
    """Move ``start`` back over a hedge written before a figure ("hơn 228", "chưa đến 10")."""
    for n in (2, 1):
        m = re.search(r"(\S+" + r"\s+\S+" * (n - 1) + r")\s+$", text[max(0, start - 24) : start])
        if m and fold(m.group(1)) in HEDGES:
            return max(0, start - 24) + m.start(1)
    return start


def short_answer(asked: Asked, query: Query, sentence: str) -> str:
    """The part of ``sentence`` that answers: a figure with its unit, a date,
    or a name the question does not already give. Always a verbatim piece of
    the sentence, so every figure and name in it is the sentence's. "" when
    no such piece stands out (the whole sentence is then the answer)."""
    if asked.type == "number":
        numbers = _asked_figures(query, sentence) or measured_figures(asked, sentence)
        if not numbers:  # the sentence's counts: no year, date ("ngày 17-1") or label ("type 2")
            counts = {f.start for f in figures(sentence)}
            numbers = [n for n in find_numbers(sentence) if n.start in counts]
        if numbers:
            piece = _clause(sentence, _hedged_start(sentence, numbers[0].start))
            later_year = YEAR.search(piece, piece.find(numbers[0].text) + len(numbers[0].text))
            if later_year:  # "1,62 tỷ USD và 2011 ước đạt ...": the next year's figure is not asked
                kept = piece[: later_year.start()].split()
                while kept and fold(kept[-1].strip(",;")) in TRAILING_CONNECTORS:
                    kept.pop()
                piece = " ".join(kept).rstrip(",;")
            return piece
    elif asked.type == "date":
        m = re.search(r"(?:ngày|tháng|năm|sáng|chiều|tối|đêm)\s+\d[\d/\-]*(?:\s*(?:năm|/)\s*\d{4})?"
                      r"|\b\d{1,2}\s*[/-]\s*\d{1,2}(?:\s*[/-]\s*\d{2,4})?\b|\b(?:19|20)\d\d\b", sentence, re.IGNORECASE)
        if m:
            return sentence[m.start() : m.end()].strip()
    elif asked.type in ("person", "org", "place"):
        # a place is a name after "tại", "ở"...: any capitalised word ("“Người đàn bà hát”") is not one
        names = placed_names(query, sentence) if asked.type == "place" else new_names(query, sentence)
        if names:
            return names[0].group().strip(" .,'-")
    return ""


# -------------------------------------------------------------- comparisons
def _cue(query: Query) -> str:
    """Which ``COMPARE_CUES`` row the question asks: "more", "less", "sum", "diff" or ""."""
    folded = f" {' '.join(words(query.original))} "
    return next((k for k, cues in _COMPARE_PATTERNS.items() if any(p.search(folded) for p in cues)), "")


_COMPARE_PATTERNS = {  # "nhieu … hon": "nhieu" (not "bao nhiêu"), up to six words, "hon"
    kind: tuple(re.compile(r"(?<! bao) " + r"(?: \w+){0,6} ".join(re.escape(part.strip()) for part in cue.split("…"))
                           + " ")
                for cue in cues)
    for kind, cues in COMPARE_CUES.items()
}


def _asked_figures(query: Query, sentence: str) -> list[Number]:
    """The figures of the asked unit, best first: after the asked year when
    the sentence gives several years ("năm 2009 đạt 1,501 tỷ USD, năm 2010
    đạt 1,62 tỷ USD": 2010 asks for 1,62), then the one whose surrounding
    words repeat most of the question ("27 nước ..., 18 nước đã phê chuẩn"
    for "bao nhiêu nước đã phê chuẩn"), then the first."""
    figures = unit_figures(query, sentence)
    starts = [m.start() for y in query.years for m in re.finditer(rf"\b{y}\b", sentence)]
    if starts and len(set(YEAR.findall(sentence))) >= 2:
        figures = [n for n in figures if n.start > min(starts)] or figures
    asked = {w for c in query.concepts for a in c.alternatives for w in a.split()} - STOPWORDS

    def echoes(n: Number, end_mark: re.Pattern) -> int:  # question words in the figure's clause
        begin = max((m.end() for m in end_mark.finditer(sentence, 0, n.start)), default=0)
        end = m.start() if (m := end_mark.search(sentence, n.end)) else len(sentence)
        return len(asked & set(padded(sentence[begin:end]).split()))

    # the item of a list ("14% ...; 21% cho biết, trong vòng 3 tháng ...") first, then the clause
    return sorted(figures, key=lambda n: (-echoes(n, _ITEM_END), -echoes(n, _CLAUSE_END)))  # stable


def _figure(query: Query, sentence: str) -> float | None:
    figures = _asked_figures(query, sentence)
    return figures[0].values[0] if figures else None


def _fmt(x: float) -> str:
    return f"{x:,.0f}".replace(",", ".") if x == int(x) else f"{x:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def _arithmetic(query: Query, chosen: list[Candidate], sides: Sequence[str | None] = (None, None)) -> str | None:
    """The shown arithmetic of a comparison or sum of two figures; None when
    the question asks for none, "" when the figures cannot be compared.
    ``sides``: what each figure is of (the compared provinces), to name the larger."""
    cue = _cue(query)
    if not cue or len(chosen) != 2:
        return None
    a, b = (_figure(query, c.text) for c in chosen)
    if a is None or b is None:
        return ""
    if cue == "sum":
        return f"{_fmt(a)} + {_fmt(b)} = {_fmt(a + b)} [1][2]"
    if cue == "diff":
        return f"{_fmt(max(a, b))} − {_fmt(min(a, b))} = {_fmt(abs(a - b))} [1][2]"
    # which side is larger (smaller), named: "Lạng Sơn: 28 [1] > Lào Cai: 20 [2]"
    named = [(x, f"{side}: " if side else "", n) for n, (x, side) in enumerate(zip((a, b), sides), 1)]
    (x, name_x, n_x), (y, name_y, n_y) = sorted(named, key=lambda t: t[0], reverse=cue == "more")
    sign = "=" if x == y else ">" if cue == "more" else "<"
    return f"{name_x}{_fmt(x)} [{n_x}] {sign} {name_y}{_fmt(y)} [{n_y}]"


def cite(n: int, c: Candidate) -> Citation:
    a, ch = c.hit.article, c.hit.chunk
    return Citation(
        n=n, article_id=a.id, title=a.title, date=a.date, outlet=a.outlet, province=a.province,
        chunk_id=ch.id, text=ch.text, sentence=c.text, start=c.start, end=c.end,
        score=round(c.hit.score, 4), dense=round(c.hit.dense, 4), lexical=round(c.hit.lexical, 4),
        origin=a.origin, added_at=a.added_at, added_by=a.added_by,
    )
