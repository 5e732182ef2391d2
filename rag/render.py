"""``Answer`` and ``ClaimCheck`` -> HTML for the UI, and the verdict marks
the CLI prints too. Pure functions; every piece of article
or user text is HTML-escaped (articles can contain markup or script), and the
answering sentence is highlighted inside its passage with ``<mark>``.

The output is one HTML block without blank lines, so a Markdown renderer
around it (Gradio's chatbot) passes it through untouched.
"""

from __future__ import annotations

from html import escape

from .lang import VERDICT_LABELS
from .schema import Answer, Citation, ClaimCheck

# How each verdict is marked: an icon and a colour, never the colour alone.
VERDICT_ICONS = {"supported": "✔", "refuted": "✘", "nei": "?", "conflicting": "⚠", "not_checkable": "–"}
VERDICT_COLOURS = {"supported": "#1a7f37", "refuted": "#cf222e", "nei": "#6e7781", "conflicting": "#bf8700",
                   "not_checkable": "#8c959f"}


def highlight(passage: str, sentence: str) -> str:
    """Escaped ``passage`` with the first occurrence of ``sentence`` in <mark>."""
    at = passage.find(sentence) if sentence else -1
    if at < 0:
        return escape(passage)
    end = at + len(sentence)
    return f"{escape(passage[:at])}<mark>{escape(sentence)}</mark>{escape(passage[end:])}"


def _meta(c: Citation) -> str:
    parts = [c.outlet, c.province, c.date or "không rõ ngày"]
    return " · ".join(escape(p) for p in parts if p)


def citation_html(c: Citation, evidence: bool = True) -> str:
    """One source; only evidence gets its answering sentence highlighted."""
    passage = highlight(c.text, c.sentence) if evidence else escape(c.text)
    return (
        f'<div class="rag-source"><div class="rag-source-head"><b>[{c.n}]</b> {escape(c.title or c.article_id)}'
        f' <span class="rag-meta">({_meta(c)}) — {escape(c.article_id)} · điểm {c.score:.3f}</span></div>'
        f'<div class="rag-passage">{passage}</div></div>'
    )


def answer_html(answer: Answer, shown_text: str | None = None) -> str:
    """The chat message: answer, the searched question if it was rewritten,
    then sources (or related passages for a "not in the archive" answer).
    ``shown_text`` replaces the answer text while it is still streaming."""
    text = answer.answer if shown_text is None else shown_text
    out = []
    if not answer.answerable:
        out.append('<div class="rag-noinfo"><b>Không có thông tin trong kho bài viết</b></div>')
    out.append(f'<div class="rag-answer">{escape(text)}</div>')
    if answer.reason:
        out.append(f'<div class="rag-reason">{escape(answer.reason)}</div>')
    if answer.standalone and answer.standalone != answer.question:
        out.append(f'<div class="rag-searched">Đã tìm: <i>{escape(answer.standalone)}</i></div>')
    for notice in answer.notices:
        out.append(f'<div class="rag-notice">{escape(notice)}</div>')
    if shown_text is None and answer.answer_mode == "llm":
        out.append('<div class="rag-mode">Câu trả lời do mô hình ngôn ngữ viết, đã kiểm chứng với các nguồn.</div>')
    elif shown_text is None and answer.answer_mode == "extractive-fallback":
        out.append(f'<div class="rag-mode">Câu trả lời của mô hình bị loại ({escape(answer.mode_reason)}); '
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
                   f'{VERDICT_ICONS[check.verdict]} {escape(label)}</span> {escape(check.claim)}</div>'
                   f'<div class="rag-explanation">{escape(check.explanation)}</div>')
        for d in check.diffs:
            out.append(f'<div class="rag-diff">{escape(d.kind)}: <del>{escape(d.claim)}</del> → '
                       f'<ins>{escape(d.archive)}</ins> [{d.citation}]</div>')
        out += [citation_html(c) for c in check.citations]
        if check.related:
            out.append('<div class="rag-sources-title">Đoạn liên quan (không phải bằng chứng):</div>')
            out += [citation_html(c, evidence=False) for c in check.related]
        out.append("</div>")
    return "".join(out)
