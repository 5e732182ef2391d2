"""``Answer`` and ``ClaimCheck`` -> HTML for the UI, and the verdict marks
the CLI prints too. Pure functions; every piece of article
or user text is HTML-escaped (articles can contain markup or script), and the
answering sentence is highlighted inside its passage with ``<mark>``.

The output is one HTML block without blank lines (line breaks in the text
become ``<br>``), so a Markdown renderer around it (Gradio's chatbot) passes
it through untouched: a blank line would end the block, and Markdown after it
(``[a](javascript:...)``) would be live again.
"""

from __future__ import annotations

import re
from collections import Counter
from html import escape

from rag.schema import Answer, Article, Citation, ClaimCheck, Source
from rag.text.lang import CLAUSE_LABELS, DIFF_LABELS, ORIGIN_LABELS, VERDICT_LABELS

# How each verdict is marked: an icon and a colour, never the colour alone.
VERDICT_ICONS = {"supported": "✔", "refuted": "✘", "nei": "?", "conflicting": "⚠", "not_checkable": "–"}
VERDICT_COLOURS = {"supported": "#1a7f37", "refuted": "#cf222e", "nei": "#6e7781", "conflicting": "#bf8700",
                   "not_checkable": "#8c959f"}
_BREAK = re.compile(r"\r\n?|\n")


def literal(value: str) -> str:
    """``value`` as literal HTML text: escaped, each line break a ``<br>``."""
    return _BREAK.sub("<br>", escape(value))


def question_html(question: str) -> str:
    """The user's own chat bubble (their text is data too)."""
    return f'<div class="rag-question">{literal(question)}</div>'


def streaming_html(shown: str) -> str:
    """Generated text so far, with a cursor."""
    return f'<div class="rag-answer">{literal(shown)}▌</div>'


def highlight(passage: str, sentence: str) -> str:
    """Escaped ``passage`` with the first occurrence of ``sentence`` in <mark>."""
    at = passage.find(sentence) if sentence else -1
    if at < 0:
        return literal(passage)
    end = at + len(sentence)
    return f"{literal(passage[:at])}<mark>{literal(sentence)}</mark>{literal(passage[end:])}"


def provenance(c: Citation | Article) -> str:
    """Where an article (or a cited one) came from, in words: "tải lên 2026-11-23 10:02 bởi an"."""
    label = ORIGIN_LABELS.get(c.origin, "")
    if c.added_at:
        label += f" {c.added_at[:16].replace('T', ' ')}"
    return f"{label} bởi {c.added_by}" if c.added_by else label


def _meta(c: Citation) -> str:
    parts = [c.outlet, c.province, c.date or "không rõ ngày", provenance(c)]
    return " · ".join(literal(p) for p in parts if p)


def citation_html(c: Citation, evidence: bool = True) -> str:
    """One source; only evidence gets its answering sentence highlighted."""
    passage = highlight(c.text, c.sentence) if evidence else literal(c.text)
    return (
        f'<div class="rag-source"><div class="rag-source-head"><b>[{c.n}]</b> {literal(c.title or c.article_id)}'
        f' <span class="rag-meta">({_meta(c)}) — {literal(c.article_id)} · điểm {c.score:.3f}</span></div>'
        f'<div class="rag-passage">{passage}</div></div>'
    )


def answer_html(answer: Answer, shown_text: str | None = None) -> str:
    """The chat message: answer, the searched question if it was rewritten,
    then sources (or related passages for a "not in the archive" answer).
    ``shown_text`` replaces the answer text while it is still streaming."""
    shown = answer.answer if shown_text is None else shown_text
    out = []
    if not answer.answerable:
        out.append('<div class="rag-noinfo"><b>Không có thông tin trong kho bài viết</b></div>')
    out.append(f'<div class="rag-answer">{literal(shown)}</div>')
    if answer.reason:
        out.append(f'<div class="rag-reason">{literal(answer.reason)}</div>')
    if answer.standalone and answer.standalone != answer.question:
        out.append(f'<div class="rag-searched">Đã tìm: <i>{literal(answer.standalone)}</i></div>')
    for notice in answer.notices:
        out.append(f'<div class="rag-notice">{literal(notice)}</div>')
    if shown_text is None and answer.answer_mode == Source.LLM:
        out.append('<div class="rag-mode">Câu trả lời do mô hình ngôn ngữ viết, đã kiểm chứng với các nguồn.</div>')
    elif shown_text is None and answer.answer_mode == Source.FALLBACK:
        out.append(f'<div class="rag-mode">Câu trả lời của mô hình bị loại ({literal(answer.mode_reason)}); '
                   "hiển thị câu trích nguyên văn.</div>")
    if shown_text is None:
        if answer.citations:
            out.append('<div class="rag-sources-title">Nguồn:</div>')
            out += [citation_html(c) for c in answer.citations]
        elif answer.related:
            out.append('<div class="rag-sources-title">Đoạn liên quan (không phải bằng chứng):</div>')
            out += [citation_html(c, evidence=False) for c in answer.related]
    return "".join(out)


def check_html(checks: list[ClaimCheck]) -> str:
    """A checked draft: each sentence with its mark, verdict, explanation,
    diffs and the evidence passages (the evidence sentence highlighted)."""
    out = []
    for check in checks:
        label = VERDICT_LABELS[check.language][check.verdict]
        colour = VERDICT_COLOURS[check.verdict]
        out.append(f'<div class="rag-claim rag-{check.verdict}" style="border-left:4px solid {colour};padding-left:8px">'
                   f'<div class="rag-claim-head"><span class="rag-verdict" style="color:{colour}">'
                   f'{VERDICT_ICONS[check.verdict]} {literal(label)}</span> {literal(check.claim)}</div>'
                   f'<div class="rag-explanation">{literal(check.explanation)}</div>')
        if check.clause:
            out.append(f'<div class="rag-clause">{literal(CLAUSE_LABELS[check.language])}: <mark>{literal(check.clause)}</mark></div>')
        for d in check.diffs:
            out.append(f'<div class="rag-diff">{literal(DIFF_LABELS[check.language][d.kind])}: <del>{literal(d.claim)}</del> → '
                       f'<ins>{literal(d.archive)}</ins> [{d.citation}]</div>')
        out += [citation_html(c) for c in check.citations]
        if check.related:
            out.append('<div class="rag-sources-title">Đoạn liên quan (không phải bằng chứng):</div>')
            out += [citation_html(c, evidence=False) for c in check.related]
        out.append("</div>")
    return "".join(out)


def tally_html(checks: list[ClaimCheck]) -> str:
    """One line above a checked draft: how many sentences got each verdict."""
    counts = Counter(c.verdict for c in checks)
    tally = " · ".join(f"{VERDICT_ICONS[v]} {VERDICT_LABELS['vi'][v]}: {n}" for v, n in counts.items())
    return f'<div class="rag-tally">{literal(tally)}</div>'
