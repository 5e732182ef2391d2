"""Generated answer + the passages it was given -> grounded or not, and why.

In: the model's answer text, the numbered passages (text, article province),
and the question. Out: a ``Verdict``. Pure functions, no model.

Checks, claim by claim (the text up to each ``[n]`` marker):

* every ``[n]`` refers to a passage that was given, and the answer cites at
  least one;
* every number in a claim occurs in a passage that claim cites, comparing
  values, not spellings: "228" = "hơn 228 triệu USD" = "228 million",
  "1.200" = "1,200";
* every proper name (a run of capitalised words, acronyms included) occurs in
  the cited passages, their headers, or the question;
* a province the claim talks about is the province of a cited passage's
  article or is named in a cited passage;
* no figure of the passages is left out (the passages are the answering
  sentences, so every figure in them is part of the answer), and for a list
  question ("những … nào", "which …") no name either;
* the answer says something the question does not: a reply that only
  restates the question ("Trưởng nhóm nghiên cứu kết luận … [1]" for "Ai là
  trưởng nhóm …?") answers nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.text.lang import MODE_REASONS, STOPWORDS
from rag.text.sentences import sentences
from rag.text.vietnamese import UPPER, find_numbers, find_provinces, number_values, padded

_MARK = re.compile(r"\[(\d+)\]")
# Runs of capitalised words (acronyms included): "Trịnh Tuyết Mai", "FDI", "Hàn Quốc".
_NAME = re.compile(rf"[{UPPER}]\w*(?:[ -]+[{UPPER}]\w*)*")
_ALWAYS_OK = {"usd", "vnd", "đồng", "dong", "eur", "gdp", "tỷ", "triệu"}


@dataclass(frozen=True)
class Passage:
    n: int
    text: str
    header: str
    province: str


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reasons: tuple[str, ...] = ()
    ungrounded_numbers: tuple[str, ...] = field(default=())


def _names(sentence: str) -> list[tuple[str, ...]]:
    """Proper names in ``sentence``, each with its accepted readings: a run at
    the start of a sentence may owe its first capital to the sentence ("Tỉnh
    Lạng Sơn" is fine if "Lạng Sơn" is), and a lone first word is skipped."""
    found = []
    for m in _NAME.finditer(sentence):
        name = m.group().strip()
        at_start = not sentence[: m.start()].strip(" \"'“(,")
        if at_start and " " not in name and not name.isupper():
            continue
        rest = name.split(" ", 1)[1] if at_start and " " in name else None
        found.append((name, rest) if rest else (name,))
    return found


def _grounded_name(name: str, known: str) -> bool:
    key = padded(name)
    return not key.strip() or key.strip() in _ALWAYS_OK or key in known


def missing_figures(answer: str, passages: list[Passage]) -> list[str]:
    """Figures of the passages that the answer leaves out (a lossy paraphrase
    drops "540,5 triệu USD" and keeps "20 dự án": not good enough)."""
    said = number_values(_MARK.sub(" ", answer))
    return [n.text for p in passages for n in find_numbers(p.text) if not any(round(v, 6) in said for v in n.values)]


_LIST_CUES = re.compile(r"\b(nhung|gom|liet ke|which|list|what are)\b")


def is_list_question(question: str) -> bool:
    """'… những địa phương nào?', 'gồm những tỉnh nào?', 'Which provinces …?'"""
    return bool(_LIST_CUES.search(padded(question)))


def missing_names(answer: str, passages: list[Passage]) -> list[str]:
    """Names of the passages the answer leaves out (for list questions)."""
    said = padded(answer)
    out = []
    for p in passages:
        for a, b in sentences(p.text) or [(0, len(p.text))]:
            for readings in _names(p.text[a:b]):
                if not any(_grounded_name(r, said) for r in readings):
                    out.append(readings[-1])
    return out


def restates_question(answer: str, question: str) -> bool:
    """Every word of ``answer`` but stop words is already in ``question``."""
    asked = set(padded(question).split())
    return bool(question.strip()) and not (set(padded(_MARK.sub(" ", answer)).split()) - asked - STOPWORDS)


def claims(answer: str) -> list[tuple[str, list[int]]]:
    """Split at citation markers: each piece of text with the [n]s that follow it
    ("A [1], B [2]." -> ("A", [1]), (", B", [2])); text after the last marker
    belongs to it ("Theo [1], X." keeps X with [1])."""
    groups = list(re.finditer(r"(?:\s*\[\d+\](?:\s*,?\s*\[\d+\])*)", answer))
    out, last = [], 0
    for g in groups:
        out.append((answer[last : g.start()], [int(x) for x in _MARK.findall(g.group())]))
        last = g.end()
    tail = answer[last:]
    if out and tail.strip(" .,;:!?"):
        text, marks = out[-1]
        out[-1] = (text + tail, marks)
    return out


def verify(answer: str, passages: list[Passage], question: str = "", language: str = "en") -> Verdict:
    """Is every number, name and province of ``answer`` in the passages it
    cites; does it keep their figures and answer ``question``? The reasons
    against it are written in ``language`` (``MODE_REASONS``)."""
    by_n = {p.n: p for p in passages}
    say = MODE_REASONS[language]
    reasons: list[str] = []
    ungrounded: list[str] = []
    parts = claims(answer)
    if not parts:
        reasons.append(say["no_citation"])
    for text, marks in parts:
        bad = [n for n in marks if n not in by_n]
        if bad:
            reasons.append(say["bad_citation"].format(marks=bad))
        cited = [by_n[n] for n in marks if n in by_n]
        evidence = set().union(*(number_values(p.text) for p in cited)) if cited else set()
        for num in find_numbers(text):
            if not any(round(v, 6) in evidence for v in num.values):
                ungrounded.append(num.text)
                reasons.append(say["number"].format(x=repr(num.text), marks=marks))
        known = padded(" ".join(p.text + " " + p.header for p in cited) + " " + question)
        for a, b in sentences(text) or [(0, len(text))]:
            for readings in _names(text[a:b]):
                if not any(_grounded_name(r, known) for r in readings):
                    reasons.append(say["name"].format(x=repr(readings[0]), marks=marks))
        allowed = {p.province for p in cited} | {m.province for p in cited for m in find_provinces(p.text)}
        for m in find_provinces(text, typed=True):  # the generated text: read leniently, to be safe
            if m.province not in allowed:
                reasons.append(say["province"].format(x=m.province, marks=marks, y=", ".join(sorted(allowed)) or "?"))
    dropped = missing_figures(answer, passages)
    if dropped:
        reasons.append(say["dropped"].format(x=", ".join(dropped)))
    if restates_question(answer, question):
        reasons.append(say["restates"])
    if is_list_question(question):
        left_out = missing_names(answer, passages)
        if left_out:
            reasons.append(say["list"].format(x=", ".join(dict.fromkeys(left_out))))
    return Verdict(not reasons, tuple(dict.fromkeys(reasons)), tuple(ungrounded))
