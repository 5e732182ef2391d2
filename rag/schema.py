"""Typed values that travel between the stages.

corpus -> ``Article`` -> ``Chunk`` -> (vectors + lexical index) -> ``Hit`` ->
``Answer`` with ``Citation``s. All frozen; ``to_dict`` gives the JSON shape
used by the CLI, the UI and the eval reports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Article:
    """One cleaned article. ``text`` is what chunk offsets point into."""

    id: str
    text: str
    title: str = ""
    outlet: str = ""
    author: str = ""
    date: str = ""  # ISO yyyy-mm-dd, or "" when the page states none
    province: str = ""
    language: str = "vi"
    source_file: str = ""
    # provenance: where the article came from ("corpus", "archive" or "upload"), and for uploads when and by whom
    origin: str = ""
    added_at: str = ""
    added_by: str = ""  # the signed-in user when the UI runs with auth

    def header(self) -> str:
        """Short context line embedded and shown with every chunk."""
        parts = [self.title or self.id]
        if self.province:
            parts.append(self.province)
        if self.date:
            parts.append(self.date)
        return " | ".join(parts)

    def metadata(self) -> dict:
        d = asdict(self)
        d.pop("text")
        return d


ORIGINS: tuple[str, ...] = ("corpus", "archive", "upload")
PROVENANCE_FIELDS: tuple[str, ...] = ("origin", "added_at", "added_by")


@dataclass(frozen=True)
class Chunk:
    """A passage of an article: ``article.text[start:end] == text``."""

    id: str  # "{article_id}:{n}"
    article_id: str
    n: int
    start: int
    end: int
    text: str
    header: str

    def for_embedding(self) -> str:
        return f"{self.header}\n{self.text}"


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with the scores that ranked it."""

    chunk: Chunk
    article: Article
    score: float
    dense: float = 0.0
    lexical: float = 0.0
    rank: int = 0


@dataclass(frozen=True)
class Citation:
    n: int
    article_id: str
    title: str
    date: str
    outlet: str
    province: str
    chunk_id: str
    text: str  # the whole passage
    sentence: str  # the answering sentence, verbatim
    start: int  # span of ``sentence`` in the cleaned article
    end: int
    score: float
    dense: float
    lexical: float
    origin: str = ""  # the article's provenance (see ``Article``)
    added_at: str = ""
    added_by: str = ""


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    answerable: bool
    citations: tuple[Citation, ...] = ()
    related: tuple[Citation, ...] = ()  # closest passages when not answerable
    standalone: str = ""  # the question after follow-up rewriting (== question when none)
    searched: str = ""  # the standalone question as searched, after expansion
    notices: tuple[str, ...] = ()
    timings: dict = field(default_factory=dict)
    answer_mode: str = "extractive"  # "llm", "extractive" or "extractive-fallback"
    mode_reason: str = ""  # why the LLM was not used or its answer was rejected
    generated: str = ""  # a rejected generated answer, kept for inspection
    short_answer: str = ""  # the figure, date or name the answer opens with (verbatim from the cited sentence)
    reason: str = ""  # when not answerable: why the closest passage does not answer
    conflicting: bool = False  # two sources give different values: both cited, neither chosen
    judged: bool = False  # the scorer left the sentence undecided and the LLM judge said it answers

    def to_dict(self) -> dict:
        return asdict(self)


# What a fact-check can conclude about one claim ("nei": not enough information).
VERDICTS: tuple[str, ...] = ("supported", "refuted", "nei", "conflicting", "not_checkable")
DIFF_KINDS: tuple[str, ...] = (
    "number", "unit", "name", "place", "date", "direction",
    "comparative", "negation", "attribute",  # stated in words: "cao hơn" / "thấp hơn", "không", "chung thân" / "tử hình"
)


@dataclass(frozen=True)
class Diff:
    """Where a claim and the archive differ: ``claim`` "30", ``archive`` "28"."""

    kind: str  # one of ``DIFF_KINDS``
    claim: str
    archive: str
    citation: int  # the [n] of the citation that gives ``archive``


@dataclass(frozen=True)
class ClaimCheck:
    """The verdict on one claim, with the evidence it rests on."""

    claim: str
    verdict: str  # one of ``VERDICTS``
    explanation: str  # one line in the claim's language, citing [n]
    citations: tuple[Citation, ...] = ()  # the evidence sentences the verdict rests on
    related: tuple[Citation, ...] = ()  # the closest passages when the archive does not say
    diffs: tuple[Diff, ...] = ()
    language: str = "vi"
    timings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)
