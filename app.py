"""Gradio chat UI: ``python app.py [--host 127.0.0.1] [--port 7860] [--auth-file PATH]``.

Tabs, one builder each: chat (streamed answers with [n] markers and their
highlighted source passages, follow-up questions, filters), fact-check
("Kiểm chứng": a draft checked sentence by sentence, each marked with an icon
and a verdict, its diff and its evidence), corpus (list, upload/paste,
delete; incremental re-indexing), evaluation (run the eval set, charts,
failures). Named API endpoints ``ask`` and ``check`` serve scripts through
``gradio_client``. Everything calls ``rag.api.RAG``; domain errors become
``gr.Error`` messages. All user and article text is shown as text, never as
markup (``rag.render.literal``); the header, the corpus table and the delete
list are read from the live index on every page load.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import sys
import threading
import time
from html import escape
from pathlib import Path

from rag.api import RAG
from rag.errors import RagError
from rag.ingest.uploads import UPLOAD_SUFFIXES
from rag.modes import MODES as ALL_MODES
from rag.serve.auth import ClientSource, checker, resolve
from rag.serve.quota import UploadQuota
from rag.serve.render import answer_html, check_html, literal, provenance, question_html, streaming_html, tally_html
from rag.settings import BACKENDS, Settings, mb
from rag.text.vietnamese import PROVINCES

log = logging.getLogger("rag.app")

EXAMPLES = [
    "Lạng Sơn có bao nhiêu dự án FDI?",
    "Còn Lào Cai thì sao?",
    "Ai là Giám đốc Sở Ngoại vụ Cao Bằng?",
    "Kim ngạch xuất nhập khẩu của Lạng Sơn 6 tháng đầu năm 2024?",
    "lang son co bao nhieu du an fdi",
    "Dân số Lạng Sơn là bao nhiêu?",
]
DRAFT_EXAMPLE = ("Lạng Sơn có 30 dự án có vốn đầu tư nước ngoài còn hiệu lực. Theo tôi, đây là một thành tích đáng tự hào. "
                 "Lào Cai có 20 dự án FDI còn hiệu lực với tổng vốn đăng ký 540,5 triệu USD.")
ALL = "Tất cả"
UI_MODE = Settings.interactive_mode  # the chat's and the ``ask`` endpoint's default mode (settings.py says why)
K_MAX = 10  # the passages slider's upper end
SWEEP_EVERY_S = 60  # Gradio's cache sweep: every minute, uploads older than Settings.upload_abandoned_s leave
MODES = {m.label: m.name for m in ALL_MODES if m.kind == "question"}
CHECK_TAB = next(m.label for m in ALL_MODES if m.kind == "check")
ARTICLE_COLUMNS = ["mã bài", "tiêu đề", "nguồn", "ngày", "tỉnh", "xuất xứ", "số đoạn"]
CSS = """
.rag-source {border-left: 3px solid #999; padding: 4px 8px; margin: 6px 0; font-size: 0.92em}
.rag-meta {color: #666} .rag-searched, .rag-notice {color: #555; font-size: 0.9em; margin-top: 4px}
.rag-noinfo {color: #a35d00} .rag-sources-title {margin-top: 8px; font-weight: 600}
.rag-passage mark {background: #fff3a3} .rag-mode {color: #555; font-size: 0.85em; font-style: italic}
.rag-claim {margin: 10px 0} .rag-verdict {font-weight: 700} .rag-explanation {margin: 2px 0}
.rag-diff del {color: #cf222e} .rag-diff ins {color: #1a7f37; text-decoration: none; font-weight: 600}
"""


def friendly(fn):
    """Turn errors into readable ``gr.Error`` messages; never a stack trace on the page.
    Gradio renders an error message as HTML, so the library's message is escaped
    (it may quote the user's input)."""
    import gradio as gr

    def message(exc: Exception) -> gr.Error:
        if isinstance(exc, gr.Error):
            return exc
        if isinstance(exc, (RagError, ValueError)):
            return gr.Error(escape(str(exc), quote=False))
        log.exception("request failed")
        return gr.Error(f"Lỗi nội bộ ({type(exc).__name__}). Máy chủ vẫn hoạt động; hãy thử lại.")

    if getattr(fn, "__code__", None) and fn.__code__.co_flags & 0x20:  # generator

        @functools.wraps(fn)
        def gen(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the edge of the app
                raise message(exc) from exc

        return gen

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the edge of the app
            raise message(exc) from exc

    return wrapper


def status_html(rag: RAG) -> str:
    s = rag.status(full=False)  # on every page load: sizes only, no hashing
    if s["index"] is None:
        return "<b>Chỉ mục:</b> chưa có."
    line = (f"<b>Chỉ mục:</b> {s['articles']} bài, {s['chunks']} đoạn · mô hình: {literal(str(s['model']))} · "
            f"cập nhật: {literal(str(s['built_at']))}")
    if s.get("damage"):
        line += (f"<br><b>⚠ Chỉ mục bị hỏng:</b> {literal('; '.join(map(str, s['damage'])))} "
                 "(chạy <code>rag index</code> để sửa)")
    return line


def corpus_view(rag: RAG):
    """(header, article table, delete-list update), read from the live index."""
    import gradio as gr
    import pandas as pd

    articles = rag.articles()
    rows = [[a.id, a.title, a.outlet, a.date, a.province, provenance(a), n] for a, n in articles]
    return (status_html(rag), pd.DataFrame(rows, columns=ARTICLE_COLUMNS),
            gr.update(choices=[a.id for a, _ in articles], value=None))


def discard_upload(path: Path) -> None:
    """Delete an uploaded file from Gradio's cache once its article is in the corpus."""
    from gradio.utils import get_upload_folder

    if path.resolve().is_relative_to(Path(get_upload_folder()).resolve()):
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # Gradio keeps each upload in a folder of its own


# ------------------------------------------------------------------ tabs
def chat_tab(rag: RAG) -> None:
    import gradio as gr

    @friendly
    def respond(question, messages, history, province, date_from, date_to, k, mode_label):
        question = (question or "").strip()
        if not question:
            raise gr.Error("Hãy nhập câu hỏi.")
        messages = messages + [{"role": "user", "content": question_html(question)},
                               {"role": "assistant", "content": "…"}]
        yield "", messages, history
        events = rag.ask_stream(
            question, mode=MODES[mode_label], k=int(k), province=None if province in (None, "", ALL) else province,
            date_from=date_from or None, date_to=date_to or None, history=history,
        )
        shown = ""
        for event in events:
            if isinstance(event, str):  # generated tokens, streamed as they come
                shown += event
                messages[-1]["content"] = streaming_html(shown)
                yield "", messages, history
                continue
            answer = event
            if answer.answer_mode == "extractive":  # quoted sentences appear progressively too
                words = answer.answer.split(" ")
                for i in range(0, len(words), 4):
                    messages[-1]["content"] = answer_html(answer, shown_text=" ".join(words[: i + 4]))
                    yield "", messages, history
                    time.sleep(0.02)
            messages[-1]["content"] = answer_html(answer)
            yield "", messages, history + [answer.standalone]
            # The final Answer is the last event. Stopping a model stream can take seconds;
            # meanwhile Gradio would drop the next question, so the stream is closed aside.
            threading.Thread(target=events.close, name="close-stream", daemon=True).start()
            return

    default_mode = next(label for label, name in MODES.items() if name == UI_MODE)
    llm_note = ("Tự động: dùng mô hình ngôn ngữ (kiểm chứng từng con số, tên và [n]); nếu không đạt thì trích nguyên văn."
                if rag.llm_available() else "Chưa cài mô hình ngôn ngữ (pip install -e \".[llm]\"): trả lời bằng trích dẫn.")
    history = gr.State([])
    with gr.Row():
        with gr.Column(scale=3):
            # our HTML escapes every text (rag.render); Gradio's sanitizer is a second guard
            chat = gr.Chatbot(label="Hội thoại", height=520, latex_delimiters=[], elem_id="chat")
            box = gr.Textbox(label="Câu hỏi", placeholder="Nhập câu hỏi, ví dụ: Lạng Sơn có bao nhiêu dự án FDI?",
                             elem_id="question", autofocus=True)
            with gr.Row():
                send = gr.Button("Gửi", variant="primary", elem_id="send")
                reset = gr.Button("Xóa hội thoại", elem_id="clear")
            gr.Examples(EXAMPLES, inputs=box, label="Câu hỏi mẫu")
        with gr.Column(scale=1):
            gr.Markdown("### Bộ lọc")
            province = gr.Dropdown([ALL] + sorted(PROVINCES), value=ALL, label="Tỉnh")
            date_from = gr.Textbox(label="Từ ngày (YYYY-MM-DD)", placeholder="2020-01-01", elem_id="date-from")
            date_to = gr.Textbox(label="Đến ngày (YYYY-MM-DD)", placeholder="2024-12-31")
            k = gr.Slider(1, K_MAX, value=rag.settings.k, step=1, label="Số đoạn truy xuất")
            mode = gr.Radio(list(MODES), value=default_mode, label="Cách trả lời", elem_id="mode", info=llm_note)
    inputs = [box, chat, history, province, date_from, date_to, k, mode]
    box.submit(respond, inputs, [box, chat, history], api_visibility="private")
    send.click(respond, inputs, [box, chat, history], api_visibility="private")
    reset.click(lambda: ([], [], ""), None, [chat, history, box], api_visibility="private")


def check_tab(rag: RAG) -> None:
    import gradio as gr

    @friendly
    def check_draft(draft):
        checks = rag.check_text(draft or "")
        return tally_html(checks) + check_html(checks)

    gr.Markdown("Dán một câu hoặc cả bản thảo: từng câu được đối chiếu với kho bài — "
                "✔ có căn cứ, ✘ sai so với kho bài, ? chưa đủ thông tin, ⚠ các nguồn mâu thuẫn, "
                "– không kiểm chứng được (ý kiến, câu hỏi).")
    draft = gr.Textbox(label="Bản thảo", lines=6, elem_id="draft", placeholder=DRAFT_EXAMPLE)
    check_button = gr.Button(CHECK_TAB, variant="primary", elem_id="check")
    gr.Examples([DRAFT_EXAMPLE], inputs=draft, label="Ví dụ")
    checked = gr.HTML(elem_id="checked")
    check_button.click(check_draft, draft, checked, api_visibility="private")


def corpus_tab(rag: RAG, status):
    """The article list, upload/paste and delete; returns (table, delete list) for the page load."""
    import gradio as gr

    limit = rag.settings.max_file_bytes

    @friendly
    def upload(file, pasted, title, date, outlet, province, request=None):
        """``request`` (filled in by Gradio): the signed-in user is recorded as the uploader."""
        path = None
        if file is not None:
            path = Path(file if isinstance(file, str) else file.name)
            if path.stat().st_size > limit:
                raise gr.Error(f"Tệp quá lớn; giới hạn là {mb(limit)}.")
            data, name = path.read_bytes(), os.path.basename(getattr(file, "orig_name", "") or path.name)
        elif pasted and pasted.strip():
            data, name = pasted.encode("utf-8"), "pasted.txt"
        else:
            raise gr.Error("Hãy chọn tệp hoặc dán nội dung bài viết.")
        added, report = rag.add_article(
            data, name, title=title or "", date=date or "", outlet=outlet or "",
            province="" if province in (None, "", ALL) else province,
            added_by=getattr(request, "username", None) or "",
        )
        if path is not None:
            discard_upload(path)
        msg = (f"Đã thêm <b>{literal(added.title)}</b> (<code>{literal(added.article_id)}</code>); "
               f"{report.embedded} đoạn được lập chỉ mục trong {report.seconds:.1f} s.")
        return (msg, *corpus_view(rag), None, "")

    upload.__annotations__["request"] = gr.Request  # a real class, so Gradio sees it under postponed annotations

    @friendly
    def remove(article_id):
        if not article_id:
            raise gr.Error("Hãy chọn bài cần xóa.")
        report = rag.delete_article(article_id)
        return (f"Đã xóa <code>{literal(article_id)}</code>; chỉ mục còn {report.chunks} đoạn.", *corpus_view(rag))

    table = gr.Dataframe(headers=ARTICLE_COLUMNS, label="Các bài đã lập chỉ mục", interactive=False, elem_id="articles")
    with gr.Row():
        with gr.Column():
            gr.Markdown("### Thêm bài")
            file = gr.File(label=f"Tệp {', '.join(UPLOAD_SUFFIXES)} (≤ {mb(limit)})", file_types=list(UPLOAD_SUFFIXES),
                           elem_id="upload")
            pasted = gr.Textbox(label="…hoặc dán nội dung", lines=6, elem_id="pasted")
            with gr.Row():
                title = gr.Textbox(label="Tiêu đề (tùy chọn)", elem_id="up-title")
                date = gr.Textbox(label="Ngày (tùy chọn)", placeholder="YYYY-MM-DD")
            with gr.Row():
                outlet = gr.Textbox(label="Nguồn (tùy chọn)")
                up_province = gr.Dropdown([ALL] + sorted(PROVINCES), value=ALL, label="Tỉnh (tùy chọn)")
            add = gr.Button("Thêm vào kho", variant="primary", elem_id="add")
        with gr.Column():
            gr.Markdown("### Xóa bài")
            victim = gr.Dropdown([], label="Mã bài", elem_id="victim")
            delete = gr.Button("Xóa bài", variant="stop", elem_id="delete")
            corpus_msg = gr.HTML(elem_id="corpus-msg")
    add.click(upload, [file, pasted, title, date, outlet, up_province],
              [corpus_msg, status, table, victim, file, pasted], api_visibility="private")
    delete.click(remove, victim, [corpus_msg, status, table, victim], api_visibility="private")
    return table, victim


def eval_tab(rag: RAG) -> None:
    import gradio as gr
    import pandas as pd

    @friendly
    def evaluate(progress=gr.Progress()):
        from rag.evaluate.questions import failures, run_eval

        progress(0, desc="Đang chạy bộ đánh giá…")
        result = run_eval(rag, Path(__file__).parent / "eval" / "qa.jsonl", progress=False)
        summary = pd.DataFrame([{"chỉ số": k, "giá trị": v} for k, v in result.summary.items()])
        by_type = pd.DataFrame([{"loại": t, "tỉ lệ đúng": m["correct"], "số câu": m["n"]} for t, m in result.by_type.items()])
        lat = pd.DataFrame({"độ trễ (ms)": [round(o.latency_ms, 1) for o in result.outcomes]})
        items = "".join(
            f"<li><b>{literal(o.item.id)}</b> ({literal(o.item.type)}) {literal(o.item.question)}<ul>"
            f"<li>cần: {literal(o.item.reference_answer)}</li><li>được: {literal(o.answer[:200])}</li></ul></li>"
            for o in failures(result)
        )
        return summary, by_type, lat, "<h3>Câu trả lời sai hoặc thiếu</h3>" + (f"<ul>{items}</ul>" if items else "Không có.")

    run = gr.Button("Chạy bộ đánh giá (eval/qa.jsonl)", variant="primary")
    with gr.Row():
        summary = gr.Dataframe(label="Chỉ số tổng hợp", interactive=False)
        per_type = gr.BarPlot(x="loại", y="tỉ lệ đúng", title="Tỉ lệ đúng theo loại câu hỏi", y_lim=[0, 1])
    latency = gr.BarPlot(x="độ trễ (ms)", y="độ trễ (ms)", x_bin=5, y_aggregate="count", title="Phân bố độ trễ (ms)")
    fails = gr.HTML()
    run.click(evaluate, None, [summary, per_type, latency, fails], api_visibility="private")


def api_endpoints(rag: RAG) -> None:
    """``ask`` and ``check`` for ``gradio_client``. Inputs go to ``RAG`` as sent,
    so it refuses bad ones (k <= 0, a string as history) exactly as for the CLI."""
    import gradio as gr

    @friendly
    def ask(question: str, province: str = "", k: int = rag.settings.k, history: list[str] | None = None,
            mode: str = UI_MODE) -> dict:
        """Answer a question from the archive. Returns the answer text, whether the
        archive supports it, how it was written (answer_mode), the standalone
        question searched, and the citations. mode: auto, extractive or llm."""
        answer = rag.ask(question, mode=mode, k=k, province=province or None,
                         history=() if history is None else history)
        return answer.to_dict()

    @friendly
    def check(text: str) -> list[dict]:
        """Fact-check a claim or a draft against the archive, sentence by sentence.
        Each result: claim, verdict (supported, refuted, nei, conflicting or
        not_checkable), explanation, citations (the evidence) or related, and diffs."""
        return [c.to_dict() for c in rag.check_text(text)]

    gr.api(ask, api_name="ask")
    gr.api(check, api_name="check")


def build(rag: RAG):
    import gradio as gr

    sweep = (SWEEP_EVERY_S, int(rag.settings.upload_abandoned_s))
    with gr.Blocks(title="Hỏi đáp kho bài báo", delete_cache=sweep) as demo:
        gr.Markdown("# Hỏi đáp kho bài báo tiếng Việt\nTrả lời bằng trích dẫn nguyên văn; nói rõ khi kho bài không có thông tin.")
        status = gr.HTML(elem_id="status")
        with gr.Tabs():
            with gr.Tab("Hỏi đáp"):
                chat_tab(rag)
            with gr.Tab(CHECK_TAB):
                check_tab(rag)
            with gr.Tab("Kho bài viết"):
                table, victim = corpus_tab(rag, status)
            with gr.Tab("Đánh giá"):
                eval_tab(rag)
        api_endpoints(rag)
        demo.load(friendly(lambda: corpus_view(rag)), None, [status, table, victim], api_visibility="private")
    return demo


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Giao diện hỏi đáp kho bài báo (Gradio).")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default: loopback only)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--share", action="store_true", help="also open a public share link (off by default)")
    p.add_argument("--auth-file", metavar="PATH",
                   help="require a login: the file's first line is user:password (or set env RAG_AUTH=user:password)")
    p.add_argument("--auth", metavar="USER:PASSWORD",
                   help="like --auth-file, but the password is visible to every user in `ps`")
    p.add_argument("--corpus", default="corpus")
    p.add_argument("--index", default="index",
                   help="index folder; with --backend milvus a URI such as http://localhost:19530 names a Milvus server")
    p.add_argument("--backend", choices=BACKENDS, default=None,
                   help="faiss files (default, or $RAG_BACKEND) or milvus (needs the [scale] extra)")
    p.add_argument("--archive", action="append", default=[], metavar="DIR", help="also index DIR, read-only (repeatable)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        import gradio  # noqa: F401
    except ImportError:
        print("The UI needs gradio, a dependency of this package: pip install -e .", file=sys.stderr)
        return 2
    try:
        credentials, warning = resolve(args.auth_file, args.auth, os.environ.get("RAG_AUTH"))
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if warning:
        print(f"warning: {warning}", file=sys.stderr)

    try:
        settings = Settings(corpus_dir=Path(args.corpus), archives=tuple(map(Path, args.archive)))
        settings = settings.with_(backend=args.backend or settings.backend).with_index(args.index)
    except RagError as exc:  # a bad RAG_BACKEND
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rag = RAG(settings)
    try:
        if rag.status(full=False)["index"] is None:
            print("Chưa có chỉ mục: đang lập chỉ mục lần đầu…", file=sys.stderr)
        print(rag.index(progress=True).summary(), file=sys.stderr)
        rag.load()  # models and index in memory before the first question
        if rag.answerer.reader is not None:
            rag.answerer.reader.load()  # the reader too, even when it reads only what the scorer refuses
        rag.entail_reader()  # and the fact-check head (exported on first use)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 2)
    if rag.llm_available():
        print("Đang nạp mô hình ngôn ngữ…", file=sys.stderr)
        try:
            rag.load_llm()
        except RagError as exc:  # the chat still works with quoted answers
            print(f"warning: {exc}; answers will be quoted (extractive)", file=sys.stderr)
    demo = build(rag)
    demo.queue(default_concurrency_limit=8)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share,
                auth=checker(credentials) if credentials else None, css=CSS, show_error=False,
                max_file_size=settings.max_file_bytes, app_kwargs=app_kwargs(settings))
    return 0


def app_kwargs(settings: Settings) -> dict:
    """What the server app is built with: the client address of each request (for the per-source login
    delay), and the upload cache's quotas."""
    from starlette.middleware import Middleware

    return {"middleware": [Middleware(ClientSource), Middleware(UploadQuota, settings=settings)]}


if __name__ == "__main__":
    sys.exit(main())
