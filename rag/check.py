"""Claim + candidate sentences -> ``ClaimCheck``: supported, refuted, not
enough information (nei) or conflicting, with the evidence and the diffs.

In: a ``Claim`` (its text parsed twice: as searched, and as a topic with its
figures taken out, so that "30 dự án" and "28 dự án" are the same topic), the
candidate sentences the extractive answerer scored for that topic, and the
claim's figures, dates and direction (``claims``). Out: a ``ClaimCheck``.
No LLM decides anything here. The rules, in order of trust:

* a sentence about another province, or (for a figure) another year, never
  supports or refutes: at best it is shown as related, and the verdict is nei;
* a sentence refutes only when it is about the claim's topic (its concepts
  covered at least ``CHECK_RULES.refute_topic``) and gives another value of the
  same measure (a figure of the same unit, a date, a direction);
* a sentence supports only when it covers the topic more strictly still, names
  every name of the claim, and every figure of the claim agrees with one of its
  own (hedges read: "gần 68.000" is borne out by 67.950);
* sources that support and refute the same claim from two articles conflict;
* anything else is nei: in doubt between supported and nei, nei.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .answer import Candidate, cite
from .claims import Figure, agrees, dates, direction, direction_word, figures, is_person, names, scale_swapped
from .lang import EXPLANATIONS
from .query import YEAR, Query
from .schema import ClaimCheck, Diff
from .signals import Idf, coverage
from .vietnamese import find_provinces, fold, padded


@dataclass(frozen=True)
class CheckRules:
    """The limits of the verdicts: one record, fitted on the claims dev split
    only (``eval/claims-dev.jsonl``), never on its test split."""

    support_topic: float = 0.7  # least share of the claim's topic a supporting sentence (with its context) covers
    refute_topic: float = 0.8  # ... a refuting one
    support_coverage: float = 0.5  # a claim without figures: least share of its topic in the sentence itself
    read: int = 6  # how many of the most probable sentences are read
    related: int = 3  # closest passages shown when the archive does not say
    hedge_span: float = 2.0  # "hơn X" / "dưới X" is borne out by values up to 2 X / down to X / 2


CHECK_RULES = CheckRules()


@dataclass(frozen=True)
class Claim:
    """A claim as searched (``query``) and as a topic without its figures."""

    text: str
    query: Query
    topic: Query
    figures: tuple[Figure, ...]
    dates: frozenset[str]
    direction: str


def topic_text(text: str, found: list[Figure]) -> str:
    """``text`` without its figures and their scale words: the claim's topic."""
    out, last = [], 0
    for f in found:
        out.append(text[last : f.start])
        last = f.end + (len(text[f.end :]) - len(text[f.end :].lstrip()) + len(f.scale) if f.scale else 0)
    out.append(text[last:])
    return " ".join("".join(out).split())


def read_claim(query: Query, parse: Callable[[str], Query]) -> Claim:
    """The claim of a parsed ``query``; ``parse`` parses its topic the same way."""
    found = figures(query.original)
    return Claim(query.original, query, parse(topic_text(query.original, found)), tuple(found),
                 frozenset(dates(query.original)), direction(query.original))


@dataclass(frozen=True)
class Relation:
    """What one candidate sentence says about the claim."""

    candidate: Candidate
    kind: str  # "supports", "refutes", "other-year", "other-place" or "none"
    topic: float
    diffs: tuple[tuple[str, str, str], ...] = ()  # (kind, claim's value, archive's value)
    archive: str = ""  # the evidence's value, as written, for the explanation


def _topic(c: Candidate) -> float:
    return c.signals.context_coverage


def _figures(claim: Claim, sentence: str, rules: CheckRules) -> tuple[int, list[str], list[tuple[str, str, str]]]:
    """Each claim figure against the sentence's figures of the same unit: how
    many have one, the agreeing ones as written, and the diffs. A figure of
    the sentence that bears out one claim figure is not held against another
    ("khoảng 5 tỷ ..., hơn 1 tỷ" read against "1,2 tỷ" alone: the 5 tỷ is not there)."""
    own = figures(sentence)
    agreeing = [next((g for g in own if f.same_unit(g) and agrees(f, g, rules.hedge_span)), None)
                for f in claim.figures]
    used = {id(g) for g in agreeing if g is not None}
    found, shown, diffs = 0, [], []
    for f, agreed in zip(claim.figures, agreeing):
        if agreed is not None:
            found += 1
            shown.append(agreed.written)
            continue
        same = [g for g in own if f.same_unit(g) and id(g) not in used]
        if not same:
            continue
        found += 1
        swapped = next((g for g in same if scale_swapped(f, g)), None)
        if swapped is not None:
            diffs.append(("unit", f.written, swapped.written))
        else:
            diffs.append(("number", " ".join(p for p in (f.text, f.scale) if p), same[0].written))
    return found, shown, diffs


def _has(text: str, name: str) -> bool:
    """``name`` is written in ``text``, in any spelling, as whole words."""
    return padded(name) in padded(text)


def _shared_names(claim: Claim, text: str) -> bool:
    """The claim names someone or something specific (two words or more, no
    province) that ``text`` names too: the same event."""
    return any(_has(text, n) for n in names(claim.text) if len(n.split()) >= 2)


def relate(claim: Claim, c: Candidate, idf: Idf, rules: CheckRules) -> Relation:
    """How sentence ``c`` bears on ``claim``."""
    s, topic = c.signals, _topic(c)
    found, shown, diffs = _figures(claim, c.text, rules)
    same_figures = not claim.figures or (found and not diffs)
    nearby = f"{c.hit.article.title} {c.context} {c.text}"
    if claim.query.provinces and s.province == 0:
        # a figure of another province is no evidence; the same event placed elsewhere is
        said = sorted({m.province for m in find_provinces(c.text)})
        if same_figures and said and _shared_names(claim, nearby):
            return Relation(c, "refutes", topic, (("place", ", ".join(claim.query.provinces), ", ".join(said)),),
                            ", ".join(said))
        return Relation(c, "other-place", topic)
    if claim.query.years and (s.years == 0 or s.year_conflict):
        said = sorted(set(YEAR.findall(c.text)) - set(claim.query.years))
        if claim.figures:  # a figure of another year neither bears out nor contradicts this year's
            return Relation(c, "other-year", topic)
        if s.year_conflict and said:  # the same event, dated another year
            return Relation(c, "refutes", topic, (("date", ", ".join(claim.query.years), ", ".join(said)),),
                            ", ".join(said))
    said_direction = direction(c.text)
    if claim.direction and said_direction and claim.direction != said_direction:
        diffs.append(("direction", direction_word(claim.text), direction_word(c.text)))
    if claim.figures and not found:
        return Relation(c, "none", topic)
    if claim.dates and not diffs:
        said = dates(c.text)
        if said and not (claim.dates & said):
            diffs.append(("date", ", ".join(sorted(claim.dates)), ", ".join(sorted(said))))
        elif not claim.dates <= dates(nearby):
            return Relation(c, "none", topic)
    people = [n for n in names(claim.text) if is_person(n)]
    if people and s.names < 1 and not any(_has(nearby, p) for p in people):
        given = {fold(w) for p in people for w in p.split()[1:]}  # "Tuấn" may stand for "Nguyễn Thanh Tuấn"
        others = [n for n in names(c.text) if is_person(n) and fold(n.split()[-1]) not in given]
        if others:
            diffs.append(("name", people[0], others[0]))
            # the topic, the swapped name aside: the sentence cannot hold the name it replaces
            named = frozenset(w for p in people for w in fold(p).split())
            topic = max(topic, coverage(claim.topic, idf, f"{c.context} {c.text}", named))
    if diffs:
        return Relation(c, "refutes", topic, tuple(diffs), diffs[0][2])
    if found < len(claim.figures) or s.names < 1:
        return Relation(c, "none", topic)
    return Relation(c, "supports", topic, (), ", ".join(shown) or ", ".join(sorted(claim.dates)) or _clip(c.text))


def _clip(text: str, words: int = 14) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def verdict(claim: Claim, cands: list[Candidate], idf: Idf, rules: CheckRules = CHECK_RULES) -> ClaimCheck:
    """The verdict on ``claim`` from its candidate sentences (most probable first)."""
    lang = claim.query.language
    texts = EXPLANATIONS[lang]
    relations = [relate(claim, c, idf, rules) for c in cands[: rules.read]]
    decisive = [r for r in relations if _decisive(claim, r, rules)]
    if not decisive:
        return _not_enough(claim, relations, rules)
    best = decisive[0]  # the most probable sentence that decides
    if best.kind == "supports":
        other = next((r for r in decisive if r.kind == "refutes"
                      and r.candidate.hit.article.id != best.candidate.hit.article.id), None)
        if other is not None and claim.figures:  # two sources disagree on the same figure
            citations = (cite(1, best.candidate), cite(2, other.candidate))
            diffs = tuple(Diff(k, a, b, 2) for k, a, b in other.diffs)
            text = texts["conflicting"].format(claim=best.archive, archive=other.archive, n=1, m=2)
            return ClaimCheck(claim.text, "conflicting", text, citations, diffs=diffs, language=lang)
        return ClaimCheck(claim.text, "supported", texts["supported"].format(archive=best.archive, n=1),
                          (cite(1, best.candidate),), language=lang)
    kind, claimed, said = best.diffs[0]
    return ClaimCheck(claim.text, "refuted", texts[kind].format(claim=claimed, archive=said, n=1),
                      (cite(1, best.candidate),), diffs=tuple(Diff(k, a, b, 1) for k, a, b in best.diffs),
                      language=lang)


def _decisive(claim: Claim, r: Relation, rules: CheckRules) -> bool:
    """Does this relation decide the verdict: a refutation on the claim's
    topic, or a support on it (a claim without figures stated by the sentence itself)."""
    if r.kind == "refutes":
        return r.topic >= rules.refute_topic
    if r.kind == "supports":
        return r.topic >= rules.support_topic and (
            bool(claim.figures) or r.candidate.signals.coverage >= rules.support_coverage)
    return False


def _not_enough(claim: Claim, relations: list[Relation], rules: CheckRules) -> ClaimCheck:
    """nei, with the closest sentences as related and a reason naming their scope."""
    texts = EXPLANATIONS[claim.query.language]
    seen, related = set(), []
    for r in sorted(relations, key=lambda r: (r.kind == "none", -r.topic)):
        if r.candidate.hit.chunk.id not in seen and len(related) < rules.related:
            seen.add(r.candidate.hit.chunk.id)
            related.append(r)
    citations = tuple(cite(i + 1, r.candidate) for i, r in enumerate(related))
    top = related[0] if related else None
    if top is not None and top.kind == "other-year":
        found = ", ".join(dict.fromkeys(YEAR.findall(top.candidate.text)))
        text = texts["other-year" if found else "no-year"].format(found=found, x=", ".join(claim.query.years), n=1)
    elif top is not None and top.kind == "other-place":
        found = ", ".join(sorted({m.province for m in find_provinces(top.candidate.text)}
                                 or {top.candidate.hit.article.province})) or "?"
        text = texts["other-place"].format(found=found, x=", ".join(claim.query.provinces), n=1)
    else:
        text = texts["nei"]
    return ClaimCheck(claim.text, "nei", text, related=citations, language=claim.query.language)
