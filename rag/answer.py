"""``Query`` + ``Hit``s -> ``Answer``: verbatim sentences with [n] citations,
or an honest "not in the archive".

In: the parsed query and the retrieved hits. Out: an ``Answer`` whose text is
the answering sentence(s) quoted verbatim, each followed by [n], with one
``Citation`` per sentence (article, passage, character span, scores). No LLM.

A sentence may answer only if it passes the evidence gate:

* it covers the question's concepts (``min_coverage`` of their weight; a
  concept found elsewhere in the same passage counts half),
* it is about the province the question names: the sentence names it, or it
  sits in an article about that province and names no other province,
* every year the question names appears in the passage,
* a "how many / how much" question gets a sentence with a number in it.

A question naming several provinces (a comparison) needs one sentence per
province. When the gate rejects everything, the answer says so and the best
passages are returned as ``related``, not as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from .chunking import sentences
from .query import Query
from .schema import Answer, Citation, Hit
from .vietnamese import NUMBER_RE, find_provinces, fold, padded

NO_ANSWER = {
    "vi": "Không tìm thấy thông tin này trong kho bài viết.",
    "en": "The archive does not contain this information.",
}
EN_PREFIX = "From the archive (quoted in Vietnamese): "


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    start: int
    end: int
    text: str
    coverage: float
    score: float
    provinces: tuple[str, ...]
    has_number: bool
    years_ok: bool


def _contains(haystack: str, phrase: str) -> bool:
    return f" {phrase} " in haystack


def _padded(text: str) -> str:
    """``padded`` with "%" read as "phần trăm"."""
    return padded(text.replace("%", " phần trăm "))


class ExtractiveAnswerer:
    def __init__(self, min_coverage: float = 0.6, max_hits: int = 8):
        self.min_coverage = min_coverage
        self.max_hits = max_hits

    def candidates(self, query: Query, hits: list[Hit]) -> list[Candidate]:
        """Every sentence of the top passages, best first."""
        seen: set[tuple[str, int]] = set()
        out = []
        for hit in hits[: self.max_hits * max(1, len(query.provinces))]:
            context = _padded(f"{hit.chunk.header} {hit.chunk.text}")
            for start, end in sentences(hit.article.text, hit.chunk.start, hit.chunk.end):
                if (hit.article.id, start) not in seen:
                    seen.add((hit.article.id, start))
                    out.append(_score(query, hit, start, end, context))
        return sorted(out, key=lambda c: -c.score)

    def _supports(self, query: Query, c: Candidate, province: str | None) -> bool:
        if c.coverage < self.min_coverage or not c.years_ok or not query.concepts:
            return False
        if query.wants_number and not c.has_number:
            return False
        if province is None:
            return True
        if province in c.provinces:
            return True
        return c.hit.article.province == province and not (set(c.provinces) - {province})

    def answer(self, query: Query, hits: list[Hit]) -> Answer:
        lang = query.language
        cands = self.candidates(query, hits)
        chosen: list[Candidate] = []
        for province in query.provinces or (None,):
            best = next((c for c in cands if self._supports(query, c, province)), None)
            if best is None:
                chosen = []
                break
            if best not in chosen:
                chosen.append(best)
        if not chosen:
            related = []
            for hit in hits[:3]:
                best = next((c for c in cands if c.hit is hit), None)
                if best:
                    related.append(_cite(len(related) + 1, best))
            return Answer(query.original, NO_ANSWER[lang], False, related=tuple(related), searched=query.expanded)
        citations = tuple(_cite(i + 1, c) for i, c in enumerate(chosen))
        body = " ".join(f"{c.sentence} [{c.n}]" for c in citations)
        return Answer(query.original, (EN_PREFIX if lang == "en" else "") + body, True, citations, searched=query.expanded)


def _score(query: Query, hit: Hit, start: int, end: int, context: str) -> Candidate:
    text = hit.article.text[start:end]
    padded = _padded(text)
    total = sum(c.weight for c in query.concepts)
    got = 0.0
    for c in query.concepts:
        if any(_contains(padded, a) for a in c.alternatives):
            got += c.weight
        elif any(_contains(context, a) for a in c.alternatives):
            got += c.weight / 2  # elsewhere in the same passage
    coverage = got / total if total else 0.0
    # a year may sit in the sentence before ("từ năm 2010 đến nay, ... Tỉnh cũng đã cử ...")
    lead_in = hit.article.text[max(0, start - 300) : end]
    years_ok = all(y in lead_in or y in hit.chunk.header for y in query.years)
    numbers = [m for m in NUMBER_RE.finditer(text) if not (1950 <= _as_int(m.group()) <= 2099)]
    provinces = tuple(dict.fromkeys(m.province for m in find_provinces(text)))

    score = coverage + 0.2 / hit.rank
    if query.years and years_ok:
        score += 0.3
    if query.bigrams:
        score += 0.4 * sum(_contains(padded, b) for b in query.bigrams) / len(query.bigrams)
    if query.prefers_number and numbers:
        score += 0.2 + 0.8 * _focus(query, text, numbers)
    return Candidate(hit, start, end, text, coverage, score, provinces, bool(numbers), years_ok)


def _qualified(after: str, asked: set[str], skip: int) -> bool:
    """'14 dự án FDI Trung Quốc': within a few words after the number, a
    capitalised name the question does not ask about narrows the count."""
    tokens = [t.strip(",.;:()") for t in after.split()[skip : skip + 5]]
    for t in tokens:
        if not t or fold(t) in asked:
            continue
        if t[0].isupper() and not t.isupper():
            return True
        if not t[0].isalpha():
            return False
    return False


def _focus(query: Query, text: str, numbers: list) -> float:
    """How well the best number in ``text`` answers "bao nhiêu X": the number
    is followed by the unit X, not narrowed by a name the question does not
    ask about, with the question's concepts close around it."""
    asked = set(_padded(query.original).split())
    total = sum(c.weight for c in query.concepts) or 1.0
    # With no unit to look for, the sentence's first figure is its head.
    for m in numbers if query.unit else numbers[:1]:
        after = text[m.end() : m.end() + 80]
        skip = 0
        if query.unit:
            u = next((u for u in query.unit if _padded(after).startswith(f" {u} ")), None)
            if u is None:
                continue  # counts something else
            skip = len(u.split())
        unit = 0.0 if _qualified(after, asked, skip) else (1.0 if query.unit else 0.5)
        window = _padded(text[max(0, m.start() - 60) : m.end() + 60])
        near = sum(c.weight for c in query.concepts if any(_contains(window, a) for a in c.alternatives))
        return 0.5 * unit + 0.5 * near / total  # the first count of the unit is the sentence's head
    return 0.0


def _as_int(token: str) -> int:
    return int(token) if token.isdigit() else -1


def _cite(n: int, c: Candidate) -> Citation:
    a, ch = c.hit.article, c.hit.chunk
    return Citation(
        n=n, article_id=a.id, title=a.title, date=a.date, outlet=a.outlet, province=a.province,
        chunk_id=ch.id, text=ch.text, sentence=c.text, start=c.start, end=c.end,
        score=round(c.hit.score, 4), dense=round(c.hit.dense, 4), lexical=round(c.hit.lexical, 4),
    )
