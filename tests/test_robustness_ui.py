"""Robustness catalogue, UI part (unit level): hostile text is shown as text,
the login resists guessing and never takes its password from a bad source,
errors reach the page as one escaped line. Browser cases are in
test_e2e_browser.py."""

from __future__ import annotations

import asyncio
import time

import pytest

from rag.errors import BadQuestion
from rag.schema import Answer, Citation, ClaimCheck, Diff
from rag.settings import Settings
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


def recorder(slept: list):
    async def sleep(seconds: float) -> None:
        slept.append(seconds)
    return sleep


def test_right_login_passes_without_delay():
    """The right user and password -> True, and no sleep."""
    slept = []
    check = checker(Credentials("biên-tập", "mật khẩu:1"), sleep=recorder(slept))
    assert asyncio.run(check("biên-tập", "mật khẩu:1")) is True and slept == []


def test_wrong_login_is_refused_and_slowed():
    """A wrong password, a wrong user or an empty login -> False, each after sleeping the failed-login delay."""
    slept = []
    check = checker(Credentials("admin", "s3cret"), sleep=recorder(slept))
    assert [asyncio.run(check(*login)) for login in (("admin", "s3cre"), ("root", "s3cret"), ("", ""))] == [False] * 3
    assert slept == [FAILED_LOGIN_DELAY_S] * 3


def test_failed_logins_wait_their_turn_per_source_only():
    """Logins from one address are checked one at a time, each failure holding the turn for the delay; another
    address's right login goes first (the delay was a time.sleep in Gradio's event loop: everyone waited)."""
    source = {"now": ""}
    order: list[str] = []

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(0.05)

    check = checker(Credentials("admin", "s3cret"), sleep=sleep, source=lambda: source["now"])

    async def login(address: str, password: str) -> bool:
        source["now"] = address  # read by the checker when it starts, before any await
        ok = await check("admin", password)
        order.append(f"{address}:{ok}")
        return ok

    async def burst() -> list[bool]:
        wrong = [asyncio.create_task(login("10.0.0.1", "guess")) for _ in range(5)]
        await asyncio.sleep(0)  # the burst is in before the right login arrives
        right = asyncio.create_task(login("10.0.0.2", "s3cret"))
        return await asyncio.gather(right, *wrong)

    assert asyncio.run(burst()) == [True] + [False] * 5
    assert order[0] == "10.0.0.2:True"  # not behind the five failures of the other address


@pytest.fixture
def guarded_server():
    """A real Gradio server with the login of app.py (checker + ClientSource); its URL."""
    import socket

    import gradio as gr

    from app import app_kwargs

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with gr.Blocks() as demo:
        gr.Markdown("xin chào")
    demo.launch(server_name="0.0.0.0", server_port=port, prevent_thread_lock=True, quiet=True,
                auth=checker(Credentials("admin", "s3cret"), delay=0.5), app_kwargs=app_kwargs(Settings()))
    yield f"http://127.0.0.1:{port}"
    demo.close()


def test_a_burst_of_wrong_logins_slows_its_own_address_only(guarded_server):
    """Ten parallel wrong logins from 127.0.0.1 take their turns (0.5 s each); meanwhile a right login from
    127.0.0.2 and a signed-in page are answered, while most of the burst is still waiting."""
    import concurrent.futures

    import httpx

    done: list[int] = []

    def wrong() -> int:
        code = httpx.post(f"{guarded_server}/login", data={"username": "admin", "password": "x"}, timeout=60).status_code
        done.append(code)
        return code

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        burst = [pool.submit(wrong) for _ in range(10)]
        time.sleep(0.3)  # the burst has reached the server
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=60) as other:
            right = other.post(f"{guarded_server}/login", data={"username": "admin", "password": "s3cret"})
            assert right.status_code == 200 and right.json() == {"success": True}
            finished_before_right = len(done)
            assert other.get(f"{guarded_server}/config").status_code == 200  # signed in: the app, not the login
            assert len(done) < 10
        assert [f.result() for f in burst] == [400] * 10
    assert finished_before_right <= 3  # 10 × 0.5 s in turns: the right login did not wait for them


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


# ------------------------------------------------------- the upload cache
def quota(tmp_path, clock, **limits):
    from rag.serve.quota import UploadQuota

    cache = tmp_path / "gradio"
    cache.mkdir(exist_ok=True)
    return UploadQuota(None, Settings().with_(**limits), folder=lambda: str(cache), clock=clock), cache


def test_upload_quota_per_client_address_and_window(tmp_path):
    """An address may upload upload_client_files files / upload_client_bytes bytes per window (then 429, in
    Vietnamese, naming the limit); another address is not held to its count; the window moves on."""
    now = [0.0]
    q, _ = quota(tmp_path, lambda: now[0], upload_client_files=2, upload_client_bytes=1000, upload_window_s=60)
    assert q.admit("10.0.0.1", 100) is None and q.admit("10.0.0.1", 100) is None
    status, why = q.admit("10.0.0.1", 100)
    assert status == 429 and why.startswith("Quá giới hạn tải lên của một máy: 2 tệp") and "1 phút" in why
    assert q.admit("10.0.0.2", 900) is None
    status, _ = q.admit("10.0.0.2", 200)  # 900 + 200 bytes > 1000
    assert status == 429
    now[0] = 61.0
    assert q.admit("10.0.0.1", 100) is None  # the window has moved on
    assert q.admit("10.0.0.1", None)[0] == 411  # a size must be given


def test_upload_cache_is_bounded_and_abandoned_uploads_are_swept_first(tmp_path):
    """Past upload_cache_bytes in all, uploads abandoned for upload_abandoned_s are swept, then a new one is let
    in; when the cache is full of recent uploads, 507 saying so."""
    import os

    q, cache = quota(tmp_path, lambda: 0.0, upload_cache_bytes=10_000, upload_abandoned_s=600)
    for name, age in (("old", 3600), ("new", 0)):
        (cache / name).mkdir()
        (cache / name / "a.txt").write_bytes(b"x" * 4000)
        for p in (cache / name / "a.txt", cache / name):
            os.utime(p, (time.time() - age, time.time() - age))
    assert q.admit("10.0.0.1", 5000) is None  # 8,000 + 5,000 > 10,000: the hour-old upload is swept
    assert sorted(p.name for p in cache.iterdir()) == ["new"]
    status, why = q.admit("10.0.0.2", 7000)  # 4,000 recent + 7,000 > 10,000 and nothing to sweep
    assert status == 507 and why.startswith("Bộ nhớ tạm cho tệp tải lên đã đầy") and (cache / "new").exists()


def test_the_servers_upload_route_keeps_to_the_quota(tmp_path, monkeypatch):
    """Through a real Gradio server: the third upload of one address in the window is refused before Gradio
    writes it (the cache holds two files), with the Vietnamese line as the response."""
    import socket

    import gradio as gr
    import httpx

    from app import app_kwargs

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "cache"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with gr.Blocks() as demo:
        gr.File()
    demo.launch(server_port=port, prevent_thread_lock=True, quiet=True,
                app_kwargs=app_kwargs(Settings().with_(upload_client_files=2)))
    try:
        url = f"http://127.0.0.1:{port}/gradio_api/upload"
        codes = [httpx.post(url, files={"files": (f"bai{i}.txt", "Lạng Sơn có 28 dự án FDI.".encode())}).status_code
                 for i in range(2)]
        third = httpx.post(url, files={"files": ("bai3.txt", b"x")})
        assert codes == [200, 200] and third.status_code == 429 and "2 tệp" in third.text
        assert sorted(p.name for p in (tmp_path / "cache").rglob("*.txt")) == ["bai0.txt", "bai1.txt"]
    finally:
        demo.close()
