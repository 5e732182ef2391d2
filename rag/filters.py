"""User filters on articles: province, date range, provenance.

In: values typed by a user (CLI flags, API arguments, UI fields). Out: a
checked ``Filters`` record that every backend applies the same way:
``allows(article)`` is the reference, which the files backend evaluates per
article and the Milvus backend turns into a filter expression. Undated
articles are kept by a date range unless ``include_undated`` is off: their
date is unknown, not outside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as Date
from typing import Sequence

from rag.errors import BadQuestion
from rag.schema import ORIGINS, Article
from rag.text.vietnamese import canonical_province


@dataclass(frozen=True)
class Filters:
    province: str | None = None
    date_from: str | None = None  # ISO yyyy-mm-dd, inclusive
    date_to: str | None = None
    include_undated: bool = True
    origins: tuple[str, ...] = ()  # keep only articles of these provenances ("corpus", "archive", "upload")

    @classmethod
    def parse(cls, province: object = None, date_from: object = None, date_to: object = None,
              include_undated: bool = True, origins: Sequence[str] = ()) -> "Filters":
        """Filters from user input (CLI, API, UI); ``BadQuestion`` naming the
        value for an unknown province, an impossible date, an inverted range
        or an unknown provenance."""
        unknown = [o for o in origins if o not in ORIGINS]
        if unknown or isinstance(origins, str):
            raise BadQuestion(f"Unknown source kind {unknown or origins!r}; use some of {', '.join(ORIGINS)}.")
        filters = cls(_province(province), _date(date_from), _date(date_to), bool(include_undated), tuple(origins))
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            raise BadQuestion(f"The date range is inverted: from {date_from} is after to {date_to}.")
        return filters

    def allows(self, article: Article) -> bool:
        province, date = article.province, article.date
        if self.province and province != self.province:
            return False
        if self.origins and article.origin not in self.origins:
            return False
        if not date:
            return self.include_undated
        return not (self.date_from and date < self.date_from) and not (self.date_to and date > self.date_to)


def _date(value: object) -> str | None:
    if not value:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise BadQuestion(f"Dates must be written YYYY-MM-DD, got {value!r}.")
    try:
        Date.fromisoformat(value)
    except ValueError:
        raise BadQuestion(f"No such date: {value!r} (YYYY-MM-DD, a real day).") from None
    return value


def _province(name: object) -> str | None:
    if not name:
        return None
    canonical = canonical_province(name) if isinstance(name, str) else None
    if canonical is None:
        raise BadQuestion(f"Unknown province {name!r}. Use a Vietnamese province name, e.g. 'Lạng Sơn'.")
    return canonical
