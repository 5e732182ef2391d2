"""Follow-up question + previous questions -> one standalone question. No LLM.

In: the new question and the earlier (already standalone) questions of the
conversation. Out: a ``Rewrite`` with the standalone question to search.

Rules, in order:

1. A question that names its own topic and its own province (or year) stands
   alone: "Lạng Sơn có bao nhiêu dự án FDI?" is searched as typed.
2. A question that only swaps an entity — "Còn Lào Cai thì sao?", "What about
   Cao Bang?", "Còn năm 2010?" — is the previous question with that entity
   replaced: provinces replace provinces, years replace years (or are
   appended).
3. A question with a new topic but no place — "Còn vốn ODA?" — keeps the
   previous question's provinces (and years): "vốn ODA của Lạng Sơn?".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from rag.retrieve.query import STOPWORDS
from rag.text.lang import FOLLOWUP_MARKERS
from rag.text.vietnamese import YEAR, find_provinces, fold, words


@dataclass(frozen=True)
class Rewrite:
    question: str  # as typed
    standalone: str  # what is searched
    rewritten: bool


def _strip_markers(text: str) -> str:
    return FOLLOWUP_MARKERS.sub("", text).strip(" ,?.!")


def _topic_words(text: str) -> list[str]:
    """Content words of ``text`` that are not provinces, years or stopwords."""
    masked = fold(text)
    for m in reversed(find_provinces(text, typed=True)):
        masked = masked[: m.start] + " " + masked[m.end :]
    return [w for w in words(YEAR.sub(" ", masked)) if w not in STOPWORDS and len(w) > 1]


def _replace_provinces(text: str, provinces: Sequence[str]) -> str:
    mentions = find_provinces(text, typed=True)
    if not mentions:
        return f"{text.rstrip(' ?.')} ở {' và '.join(provinces)}?"
    out, last = [], 0
    for i, m in enumerate(mentions):
        out.append(text[last : m.start])
        if i == 0:
            out.append(" và ".join(provinces))
        last = m.end
    out.append(text[last:])
    return re.sub(r"(?:\s*(?:,|và|hay)\s*)+(?=[?.!]|$)", "", "".join(out)).strip()


def _replace_years(text: str, years: Sequence[str]) -> str:
    if YEAR.search(text):
        first = True

        def sub(m: re.Match) -> str:
            nonlocal first
            out = ", ".join(years) if first else ""
            first = False
            return out

        return re.sub(r"\s{2,}", " ", YEAR.sub(sub, text))
    return f"{text.rstrip(' ?.')} năm {', '.join(years)}?"


def rewrite(question: str, history: Sequence[str] = ()) -> Rewrite:
    """Standalone form of ``question`` given the earlier standalone questions."""
    previous = next((h for h in reversed(history) if h and h.strip()), None)
    if previous is None:
        return Rewrite(question, question, False)

    provinces = list(dict.fromkeys(m.province for m in find_provinces(question, typed=True)))
    years = list(dict.fromkeys(YEAR.findall(question)))
    core = _strip_markers(question)
    own_topic = _topic_words(core)
    is_followup = core != question.strip(" ?.!") or len(own_topic) <= 1

    if not is_followup:
        return Rewrite(question, question, False)
    if (provinces or years) and not own_topic:  # rule 2: swap the entity
        standalone = previous
        if provinces:
            standalone = _replace_provinces(standalone, provinces)
        if years:
            standalone = _replace_years(standalone, years)
        return Rewrite(question, standalone, standalone != question)
    if own_topic and not provinces:  # rule 3: new topic, same place
        old_places = list(dict.fromkeys(m.province for m in find_provinces(previous, typed=True)))
        old_years = [] if years else list(dict.fromkeys(YEAR.findall(previous)))
        if not old_places and not old_years:
            return Rewrite(question, question, False)
        standalone = core
        if old_places:
            standalone += " của " + " và ".join(old_places)
        if old_years + years:
            standalone += " năm " + ", ".join(old_years + years)
        return Rewrite(question, standalone + "?", True)
    return Rewrite(question, question, False)
