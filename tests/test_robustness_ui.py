"""Robustness catalogue, UI part (unit level): hostile text is shown as text,
the login resists guessing and never takes its password from a bad source,
errors reach the page as one escaped line. Browser cases are in
test_e2e_browser.py."""

from __future__ import annotations

import pytest

from rag.errors import BadQuestion
from rag.schema import Answer, Citation, ClaimCheck, Diff
from rag.serve.auth import ARGV_WARNING, FAILED_LOGIN_DELAY_S, Credentials, checker, resolve
from rag.serve.render import answer_html, check_html, question_html, streaming_html, tally_html

HOSTILE = '<img src=x onerror="window.__xss=1">'
MARKDOWN_LINK = "\n\n[bấm vào đây](javascript:window.__xss=1)"


def cite(**kw) -> Citation:
    base = dict(n=1, article_id="up-1", title=HOSTILE, date="", outlet=HOSTILE, province="Lạng Sơn",
                chunk_id="up-1:0", text=f"Có 28 dự án. {HOSTILE}{MARKDOWN_LINK}", sentence="Có 28 dự án.",
                start=0, end=12, score=0.5, dense=0.1, lexical=0.2)
    return Citation(**{**base, **kw})


def test_hostile_question_in_chat_bubble_is_text():
    """A question with an <img onerror> tag -> shown as escaped text in the user's bubble."""
    html = question_html(HOSTILE)
    assert "<img" not in html and "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in html


def test_blank_line_cannot_end_the_html_block():
    """Text with a blank line then a javascript: Markdown link -> no blank line in the HTML, so Markdown stays off."""
    for html in (question_html("Câu hỏi" + MARKDOWN_LINK), streaming_html("Có 28" + MARKDOWN_LINK),
                 answer_html(Answer(question="q", answer="Có 28 dự án. [1]" + MARKDOWN_LINK, answerable=True,
                                    citations=(cite(),), reason="lý do" + MARKDOWN_LINK))):
        assert "\n" not in html and "<br><br>[bấm vào đây](javascript:window.__xss=1)" in html


def test_hostile_article_fields_in_answer_are_text():
    """An article whose title, outlet and passage hold markup -> every field escaped in the answer."""
    a = Answer(question="q", answer="Có 28 dự án. [1]", answerable=True, citations=(cite(),),
               standalone=HOSTILE, notices=(HOSTILE,), answer_mode="extractive-fallback", mode_reason=HOSTILE)
    html = answer_html(a)
    assert "<img" not in html and html.count("&lt;img") == 6  # title, outlet, passage, searched, notice, reason


def test_hostile_claim_and_diff_in_fact_check_are_text():
    """A draft sentence, explanation and diff holding markup -> escaped in the fact-check view and tally."""
    check = ClaimCheck(claim=HOSTILE, verdict="refuted", explanation=HOSTILE, citations=(cite(),),
                       diffs=(Diff(kind="number", claim=HOSTILE, archive="28", citation=1),))
    html = tally_html([check]) + check_html([check])
    assert "<img" not in html and html.count("&lt;img") == 6  # claim, explanation, diff, title, outlet, passage


def test_error_message_quoting_user_input_is_escaped():
    """A library error quoting hostile input (a bad date) -> gr.Error whose message is escaped text."""
    import gradio as gr

    from app import friendly

    @friendly
    def ask(date):
        raise BadQuestion(f"Dates must be written YYYY-MM-DD, got {date!r}.")

    with pytest.raises(gr.Error) as caught:
        ask(HOSTILE)
    assert caught.value.message == "Dates must be written YYYY-MM-DD, got '&lt;img src=x onerror=\"window.__xss=1\"&gt;'."


def test_right_login_passes_without_delay():
    """The right user and password -> True, and no sleep."""
    slept = []
    check = checker(Credentials("biên-tập", "mật khẩu:1"), sleep=slept.append)
    assert check("biên-tập", "mật khẩu:1") is True and slept == []


def test_wrong_login_is_refused_and_slowed():
    """A wrong password, a wrong user or an empty login -> False, each after sleeping the failed-login delay."""
    slept = []
    check = checker(Credentials("admin", "s3cret"), sleep=slept.append)
    assert [check("admin", "s3cre"), check("root", "s3cret"), check("", "")] == [False, False, False]
    assert slept == [FAILED_LOGIN_DELAY_S] * 3


def test_auth_file_gives_the_login(tmp_path):
    """An auth file whose first line is user:password -> that login (the password may hold a colon), no warning."""
    path = tmp_path / "auth"
    path.write_text("admin:pa:ss\nignored\n", encoding="utf-8")
    credentials, warning = resolve(str(path), None, None)
    assert credentials == Credentials("admin", "pa:ss") and warning is None
    assert "pa:ss" not in repr(credentials)  # never printed


def test_auth_on_command_line_warns_about_ps():
    """--auth user:pass -> still works, with a warning that the password shows in ps."""
    credentials, warning = resolve(None, "admin:s3cret", "other:env")
    assert credentials == Credentials("admin", "s3cret") and warning == ARGV_WARNING and "ps" in warning


def test_auth_from_environment():
    """RAG_AUTH=user:pass -> that login, no warning."""
    assert resolve(None, None, "admin:s3cret") == (Credentials("admin", "s3cret"), None)


def _main_error(capsys, *argv) -> tuple[int, list[str]]:
    from app import main

    code = main(list(argv))
    return code, capsys.readouterr().err.strip().splitlines()


def test_missing_auth_file_exits_2(tmp_path, capsys):
    """--auth-file naming a missing file -> exit 2 with one line naming it, before any index work."""
    missing = tmp_path / "nope"
    assert _main_error(capsys, "--auth-file", str(missing), "--index", str(tmp_path / "index")) == (
        2, [f"error: auth file {missing} not found"])
    assert not (tmp_path / "index").exists()


def test_malformed_auth_file_exits_2(tmp_path, capsys):
    """--auth-file whose first line has no colon -> exit 2 with one line, the password never echoed."""
    path = tmp_path / "auth"
    path.write_text("adminpassword\n", encoding="utf-8")
    assert _main_error(capsys, "--auth-file", str(path)) == (2, [f"error: line 1 of auth file {path} must be user:password"])


def test_empty_auth_file_exits_2(tmp_path, capsys):
    """An empty --auth-file -> exit 2 with one line."""
    path = tmp_path / "auth"
    path.write_text("", encoding="utf-8")
    assert _main_error(capsys, "--auth-file", str(path)) == (2, [f"error: line 1 of auth file {path} must be user:password"])


def test_malformed_rag_auth_exits_2(tmp_path, capsys, monkeypatch):
    """RAG_AUTH without a password -> exit 2 with one line."""
    monkeypatch.setenv("RAG_AUTH", "admin:")
    assert _main_error(capsys, "--index", str(tmp_path / "index")) == (2, ["error: RAG_AUTH must be user:password"])
