"""End to end in a real browser: ``app.py`` on a free port, driven by
Playwright in Debian's chromium. Screenshots go to eval/artifacts/ (ignored
by git). Needs /usr/bin/chromium; CI sets RAG_REQUIRE_BROWSER=1 so a missing
browser fails instead of skipping."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "eval" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
NEW_ARTICLE = (
    "Hà Giang đẩy mạnh thu hút đầu tư nước ngoài\n\n"
    "Năm 2025, tỉnh Hà Giang có 7 dự án có vốn đầu tư nước ngoài còn hiệu lực với tổng vốn đăng ký 35 triệu USD.\n"
)


def _require_browser():
    try:
        import playwright  # noqa: F401
    except ImportError:
        if os.environ.get("RAG_REQUIRE_BROWSER"):
            raise
        pytest.skip("playwright not installed")
    if not Path(CHROMIUM).exists():
        if os.environ.get("RAG_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} missing: apt-get install -y chromium")
        pytest.skip("chromium not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _require_browser()
    work = tmp_path_factory.mktemp("app")
    shutil.copytree(REPO / "corpus", work / "corpus")
    port = _free_port()
    log = open(work / "app.log", "w")
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "app.py"), "--port", str(port), "--corpus", str(work / "corpus"),
         "--index", str(work / "index")],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "GRADIO_TEMP_DIR": str(work / "gradio-cache")},  # uploads land here
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail("app.py exited:\n" + (work / "app.log").read_text())
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            time.sleep(1)
    else:
        proc.kill()
        pytest.fail("app.py did not start:\n" + (work / "app.log").read_text())
    yield url, work
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def _open(p, url: str):
    """A headless chromium page on the app (browser, page)."""
    browser = p.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--headless", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run"],
    )
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url)
    return browser, page


def _ask(page, question: str, expect: str):
    """Ask, then wait until the streamed answer is complete (its sources are shown)."""
    done = page.locator("#chat .rag-sources-title").count()
    page.locator("#question textarea").fill(question)
    page.locator("#send").click()
    page.wait_for_function(
        """([t, n]) => document.querySelectorAll('#chat .rag-sources-title').length > n
                      && document.querySelector('#chat').innerText.includes(t)""",
        arg=[expect, done], timeout=60000,
    )


def test_chat_follow_up_and_upload_in_browser(server):
    from playwright.sync_api import sync_playwright

    url, work = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser, page = _open(p, url)

        _ask(page, "Lạng Sơn có bao nhiêu dự án FDI?", "000_bf7702f0972e1e9e")
        chat = page.locator("#chat").inner_text()
        assert "28 dự án" in chat and "228 triệu USD" in chat
        assert "<mark>" not in chat  # highlighting is markup, not text
        page.screenshot(path=str(ARTIFACTS / "1-fdi.png"), full_page=True)

        _ask(page, "Còn Lào Cai thì sao?", "540,5")
        chat = page.locator("#chat").inner_text()
        assert "20 dự án FDI" in chat and "Lào Cai có bao nhiêu dự án FDI?" in chat  # rewritten question shown
        page.screenshot(path=str(ARTIFACTS / "2-follow-up.png"), full_page=True)

        # upload a new article in the corpus tab, then ask what only it answers
        upload = work / "ha-giang.txt"
        upload.write_text(NEW_ARTICLE, encoding="utf-8")
        page.get_by_role("tab", name="Kho bài viết").click()
        page.locator("#upload input[type=file]").set_input_files(str(upload))
        page.wait_for_timeout(1000)
        page.locator("#add").click()
        page.wait_for_function("document.querySelector('#corpus-msg').innerText.includes('Đã thêm')", timeout=120000)
        assert list((work / "corpus").glob("up-*.txt"))
        page.screenshot(path=str(ARTIFACTS / "3-upload.png"), full_page=True)

        page.get_by_role("tab", name="Hỏi đáp").click()
        page.locator("#clear").click()
        page.wait_for_function("document.querySelectorAll('#chat .rag-answer').length === 0", timeout=10000)
        _ask(page, "Hà Giang có bao nhiêu dự án FDI?", "35 triệu USD")
        assert "Hà Giang đẩy mạnh thu hút đầu tư nước ngoài" in page.locator("#chat").inner_text()
        page.screenshot(path=str(ARTIFACTS / "4-new-article.png"), full_page=True)
        browser.close()


def test_ask_endpoint_with_gradio_client(server):
    from gradio_client import Client

    url, _ = server
    client = Client(url, verbose=False)
    out = client.predict("Lạng Sơn có bao nhiêu dự án FDI?", api_name="/ask")
    assert out["answerable"] and out["citations"][0]["article_id"] == "000_bf7702f0972e1e9e"
    out = client.predict("Còn Lào Cai thì sao?", "", 5, ["Lạng Sơn có bao nhiêu dự án FDI?"], "extractive",
                         api_name="/ask")
    assert out["standalone"] == "Lào Cai có bao nhiêu dự án FDI?" and "20 dự án FDI" in out["answer"]
    with pytest.raises(Exception, match="empty"):  # a readable error, and the server keeps serving
        client.predict("   ", api_name="/ask")
    assert client.predict("Dân số Lạng Sơn là bao nhiêu?", api_name="/ask")["answerable"] is False


def test_fact_check_tab_in_browser(server):
    from playwright.sync_api import sync_playwright

    url, _ = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser, page = _open(p, url)
        page.get_by_role("tab", name="Kiểm chứng").click()
        page.locator("#draft textarea").fill(
            "Theo tôi, đây là thành tích đáng tự hào. Lạng Sơn có 30 dự án có vốn đầu tư nước ngoài còn hiệu lực.")
        page.locator("#check").click()
        page.wait_for_function("document.querySelectorAll('#checked .rag-claim').length === 2", timeout=60000)
        refuted = page.locator("#checked .rag-refuted")
        text = refuted.inner_text()
        assert "✘" in text and "Sai so với kho bài" in text  # an icon and a word, not colour alone
        assert "28" in refuted.locator(".rag-diff ins").inner_text()
        assert "28 dự án" in refuted.locator(".rag-passage mark").inner_text()  # evidence sentence highlighted
        assert "Không kiểm chứng được" in page.locator("#checked .rag-not_checkable").inner_text()
        page.screenshot(path=str(ARTIFACTS / "5-fact-check.png"), full_page=True)
        browser.close()


def test_check_endpoint_with_gradio_client(server):
    from gradio_client import Client

    url, _ = server
    client = Client(url, verbose=False)
    (out,) = client.predict("Lào Cai có 20 dự án FDI còn hiệu lực với tổng vốn đăng ký 540,5 triệu USD.",
                            api_name="/check")
    assert out["verdict"] == "supported" and out["citations"][0]["article_id"] == "004_9294ea0d03f08fb7"


# ----------------------------------------------------------- robustness (UI)
HOSTILE_QUESTION = '<img src=x onerror="window.__xss=1">'
HOSTILE_TITLE = "<script>window.__xss=2</script> Điện Biên <img src=x onerror=window.__xss=3>"
HOSTILE_ARTICLE = (
    "<script>window.__xss=2</script>\n"
    "Năm 2025, tỉnh Điện Biên có 9 dự án có vốn đầu tư nước ngoài còn hiệu lực với tổng vốn 61 triệu USD. "
    "<img src=x onerror=window.__xss=3> Ghi chú của người gửi: &lt;img src=x onerror=window.__xss=4&gt;\n"
)


def _paste(page, text: str, title: str = "") -> str:
    """Add an article by pasting it in the corpus tab; returns the message shown."""
    page.get_by_role("tab", name="Kho bài viết").click()
    page.locator("#pasted textarea").fill(text)
    page.locator("#up-title textarea, #up-title input").first.fill(title)
    page.locator("#add").click()
    page.wait_for_function("document.querySelector('#corpus-msg').innerText.includes('Đã thêm')", timeout=120000)
    return page.locator("#corpus-msg").inner_text()


def _article_count(page) -> int:
    page.wait_for_function("/\\d+ bài/.test(document.querySelector('#status')?.innerText)", timeout=30000)
    return int(re.search(r"(\d+) bài", page.locator("#status").inner_text()).group(1))


def test_hostile_question_and_article_show_as_text(server):
    """An <img onerror> question, an article with <script>/<img onerror> in title and body, a hostile date
    -> nothing runs (window.__xss stays undefined) and the text shows literally."""
    from playwright.sync_api import sync_playwright

    url, _ = server
    with sync_playwright() as p:
        browser, page = _open(p, url)
        page.locator("#mode").get_by_text("Trích dẫn nguyên văn").click()  # no LLM: the case is about display
        _ask(page, HOSTILE_QUESTION, HOSTILE_QUESTION)  # the user's own bubble shows the tag as text

        msg = _paste(page, HOSTILE_ARTICLE, title=HOSTILE_TITLE)
        assert HOSTILE_TITLE in msg
        page.wait_for_function("document.querySelector('#articles')?.innerText.includes('Điện Biên <img')")
        assert HOSTILE_TITLE in page.locator("#articles").inner_text()  # the corpus table

        page.get_by_role("tab", name="Hỏi đáp").click()
        _ask(page, "Điện Biên có bao nhiêu dự án FDI?", "61 triệu USD")
        chat = page.locator("#chat").inner_text()
        assert HOSTILE_TITLE in chat and "<img src=x onerror=window.__xss=4>" in chat  # source title and passage

        page.locator("#date-from textarea, #date-from input").first.fill("<img src=x onerror=window.__xss=5>")
        page.locator("#question textarea").fill("Lạng Sơn có bao nhiêu dự án FDI?")
        page.locator("#send").click()
        page.wait_for_selector("[data-testid=toast-body]", timeout=30000)
        assert page.locator("[data-testid=toast-body] img").count() == 0  # the error quotes it as text
        page.wait_for_timeout(1000)  # let any injected handler fire
        assert page.evaluate("typeof window.__xss") == "undefined"
        browser.close()


def test_reload_reads_live_index_and_upload_can_be_deleted(server):
    """Upload, reload the page -> header count +1, table lists the upload, deleting its id works (count back)."""
    from playwright.sync_api import sync_playwright

    url, _ = server
    with sync_playwright() as p:
        browser, page = _open(p, url)
        before = _article_count(page)
        msg = _paste(page, "Sơn La mở rộng vùng trồng cà phê\n\nNăm 2025, tỉnh Sơn La có 23.000 ha cà phê, "
                           "trong đó 4.000 ha được chứng nhận bền vững.\n")
        added = re.search(r"up-[\w.-]+", msg).group(0)

        page.reload()
        assert _article_count(page) == before + 1
        page.get_by_role("tab", name="Kho bài viết").click()
        page.wait_for_function(f"document.querySelector('#articles')?.innerText.includes('{added}')", timeout=30000)
        page.locator("#victim input").fill(added)
        page.get_by_role("option", name=added).click()
        page.locator("#delete").click()
        page.wait_for_function("document.querySelector('#corpus-msg').innerText.includes('Đã xóa')", timeout=120000)
        assert added in page.locator("#corpus-msg").inner_text()
        assert _article_count(page) == before
        page.reload()
        assert _article_count(page) == before
        page.get_by_role("tab", name="Kho bài viết").click()
        page.wait_for_function("document.querySelector('#articles')?.innerText.includes('000_bf7702f0972e1e9e')")
        assert added not in page.locator("#articles").inner_text()
        browser.close()


def test_uploaded_file_removed_from_gradio_cache(server):
    """A file upload -> in Gradio's cache while pending, gone from it once the article is added."""
    from playwright.sync_api import sync_playwright

    url, work = server
    upload = work / "yen-bai-cache.txt"
    upload.write_text("Yên Bái phát triển du lịch\n\nNăm 2025, tỉnh Yên Bái đón 1,2 triệu lượt khách du lịch, "
                      "tăng 15% so với năm trước.\n", encoding="utf-8")
    cached = lambda: list((work / "gradio-cache").rglob(upload.name))  # noqa: E731
    with sync_playwright() as p:
        browser, page = _open(p, url)
        page.get_by_role("tab", name="Kho bài viết").click()
        page.locator("#upload input[type=file]").set_input_files(str(upload))
        page.wait_for_function("document.querySelector('#upload').innerText.includes('yen-bai-cache')", timeout=30000)
        for _ in range(300):  # the page may name the file before the server has written it (a loaded machine)
            if cached():
                break
            page.wait_for_timeout(100)
        assert cached()
        page.locator("#add").click()
        page.wait_for_function("document.querySelector('#corpus-msg').innerText.includes('Đã thêm')", timeout=120000)
        assert not cached()
        browser.close()


def test_ask_endpoint_refuses_k_zero(server):
    """/ask with k=0 -> a readable error (not silently k=5), and the server keeps serving."""
    from gradio_client import Client

    url, _ = server
    client = Client(url, verbose=False)
    with pytest.raises(Exception, match="k must be a whole number of at least 1, got 0"):
        client.predict("Lạng Sơn có bao nhiêu dự án FDI?", "", 0, api_name="/ask")
    assert client.predict("Lạng Sơn có bao nhiêu dự án FDI?", api_name="/ask")["answerable"]


def test_ask_endpoint_refuses_string_history(server):
    """/ask with a string as history -> a readable error, not the string read as one question per character."""
    from gradio_client import Client

    url, _ = server
    client = Client(url, verbose=False)
    with pytest.raises(Exception, match="history must be a list of earlier questions, got str"):
        client.predict("Còn Lào Cai thì sao?", "", 5, "Lạng Sơn có bao nhiêu dự án FDI?", api_name="/ask")
