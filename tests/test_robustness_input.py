"""Robustness catalogue, part B: corpus boundaries, dates, bad CLI/API input.

Each test is one bad input: it asserts the exact user-facing outcome (the
skip reason, the one-line error and exit code) and, where the index is
involved, that nothing was lost: the FDI question still answers 28 citing
article 000. The neural model is replaced by the ``fake`` embedder; the
code under test runs for real.
"""

from __future__ import annotations

import codecs
import errno
import json
import os
import shutil
from pathlib import Path

import pytest

from rag.api import RAG
from rag.errors import BadQuestion
from rag.index.indexer import read_skipped
from rag.ingest.clean import decode
from rag.ingest.corpus import load_corpus
from rag.ingest.uploads import UploadRefused
from rag.serve import cli

FDI = "Lạng Sơn có bao nhiêu dự án FDI?"
A000 = "000_bf7702f0972e1e9e"
PASSWORD = "Mật khẩu quản trị máy chủ của tòa soạn là ZebraCactus-7731, đừng chia sẻ cho ai."
HA_GIANG = ("Hà Giang đẩy mạnh thu hút đầu tư\n\nNăm 2025, tỉnh Hà Giang có 7 dự án có vốn đầu tư nước ngoài "
            "còn hiệu lực với tổng vốn đăng ký 35 triệu USD.\n")


def assert_fdi(rag: RAG) -> None:
    """Nothing lost: the flagship question still answers 28, citing article 000."""
    answer = rag.ask(FDI, mode="extractive")
    assert answer.answerable and "28 dự án" in answer.answer
    assert answer.citations[0].article_id == A000


def skipped_rows(settings) -> dict[str, str]:
    """index/skipped.tsv as {file name: reason}."""
    return {Path(f).name: reason for f, reason in read_skipped(settings.index_dir)}


def run_cli(settings, *args: str) -> int:
    return cli.main(["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), *args])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ")
    return err.strip()


@pytest.fixture
def cli_fake(monkeypatch, fake):
    """The CLI builds its own RAG: give it the fake embedder instead of the neural model."""
    import rag.api

    monkeypatch.setattr(rag.api, "make_embedder", lambda s: fake)


# ------------------------------------------------------------ corpus boundaries
def test_symlink_to_a_file_outside_the_corpus_is_not_read(settings, fake, cli_fake, capsys, tmp_path):
    """A link in corpus/ to a file elsewhere is skipped ("symlink (not followed)"); ask never quotes it."""
    secret = tmp_path / "secret.txt"
    secret.write_text(f"Mật khẩu máy chủ\n\n{PASSWORD}\n", encoding="utf-8")
    (settings.corpus_dir / "zz_link.txt").symlink_to(secret)
    assert run_cli(settings, "index", "-q") == 0
    assert skipped_rows(settings) == {"zz_link.txt": "symlink (not followed)"}
    capsys.readouterr()
    assert run_cli(settings, "ask", "--mode", "extractive", "Mật khẩu quản trị máy chủ của tòa soạn là gì?") == 0
    assert "ZebraCactus" not in capsys.readouterr().out
    rag = RAG(settings, embedder=fake)
    assert "zz_link" not in {a.id for a, _ in rag.articles()}
    assert_fdi(rag)


def test_symlink_to_a_folder_is_skipped_with_a_reason(settings, fake, tmp_path):
    """A link in corpus/ to a folder is listed as skipped, never entered."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "note.txt").write_text(f"Ghi chú\n\n{PASSWORD}\n", encoding="utf-8")
    (settings.corpus_dir / "linked_dir").symlink_to(outside, target_is_directory=True)
    rag = RAG(settings, embedder=fake)
    rag.index()
    assert skipped_rows(settings) == {"linked_dir": "symlink (not followed)"}
    assert_fdi(rag)


def test_symlinked_metadata_is_not_read(settings, fake, tmp_path):
    """A metadata.json that is a link to a file elsewhere is skipped; its titles are never used."""
    meta_path = settings.corpus_dir / "metadata.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta[A000]["title"] = "TIÊU ĐỀ TỪ NGOÀI KHO"
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    meta_path.unlink()
    meta_path.symlink_to(outside)
    corpus = load_corpus(settings.corpus_dir)
    assert [(Path(s.file).name, s.reason) for s in corpus.skipped] == [("metadata.json", "symlink (not followed)")]
    assert all("NGOÀI KHO" not in a.title for a in corpus.articles)
    assert_fdi(RAG(settings, embedder=fake))


def test_corpus_file_larger_than_the_cap_is_skipped_unread(settings, fake):
    """A 50 MB corpus file is skipped as "larger than 5 MB (Settings.max_file_bytes)" before it is read."""
    with open(settings.corpus_dir / "huge.txt", "wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: all NUL, so a read would be skipped as binary instead
    rag = RAG(settings, embedder=fake)
    report = rag.index()
    assert "larger than 5 MB (Settings.max_file_bytes)" in report.summary()
    assert skipped_rows(settings) == {"huge.txt": "larger than 5 MB (Settings.max_file_bytes)"}
    assert_fdi(rag)


def test_archive_file_larger_than_a_configured_cap_is_skipped(settings, fake, tmp_path):
    """The cap holds for archive folders too, and follows Settings.max_file_bytes (here 1 MB)."""
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "big.txt").write_text(HA_GIANG * 12_000, encoding="utf-8")  # ~2 MB of real text
    (archive / "small.txt").write_text(HA_GIANG, encoding="utf-8")
    small = settings.with_(archives=(archive,), max_file_bytes=1024 * 1024)
    rag = RAG(small, embedder=fake)
    rag.index()
    assert skipped_rows(small) == {"big.txt": "larger than 1 MB (Settings.max_file_bytes)"}
    assert "small" in {a.id for a, _ in rag.articles()}
    assert_fdi(rag)


def test_upload_larger_than_the_settings_cap_is_refused(settings, fake):
    """An upload over Settings.max_file_bytes (here 1 MB) is refused naming the limit; the index is unchanged."""
    rag = RAG(settings.with_(max_file_bytes=1024 * 1024), embedder=fake)
    rag.index()
    with pytest.raises(UploadRefused, match="giới hạn là 1 MB"):
        rag.add_article((HA_GIANG * 12_000).encode("utf-8"), "big.txt")
    assert not list(settings.corpus_dir.glob("up-*"))
    assert_fdi(rag)


def test_exact_copy_of_article_000_does_not_take_over_citations(settings, fake):
    """A byte copy of article 000 under another name is skipped as "duplicate of 000_…"; 000 keeps its citations."""
    shutil.copy(settings.corpus_dir / f"{A000}.txt", settings.corpus_dir / "zz_copy.txt")
    rag = RAG(settings, embedder=fake)
    rag.index()
    assert skipped_rows(settings) == {"zz_copy.txt": f"duplicate of {A000} (kept: the older file)"}
    assert "zz_copy" not in {a.id for a, _ in rag.articles()}
    assert_fdi(rag)


def test_near_copy_of_article_000_is_skipped_as_duplicate(settings, fake):
    """A copy of article 000 with one sentence reworded is a near duplicate: skipped, 000 kept."""
    text = (settings.corpus_dir / f"{A000}.txt").read_text(encoding="utf-8")
    near = text.replace("tạo việc làm cho hơn 1.200 lao động", "tạo việc làm cho rất nhiều lao động")
    assert near != text
    (settings.corpus_dir / "zz_near.txt").write_text(near, encoding="utf-8")
    rag = RAG(settings, embedder=fake)
    rag.index()
    assert skipped_rows(settings) == {"zz_near.txt": f"duplicate of {A000} (kept: the older file)"}
    assert_fdi(rag)


def test_utf32_file_is_decoded_not_indexed_as_nul_text(settings, fake):
    """A UTF-32 (BOM) article becomes the same clean article as its UTF-8 twin, and answers its question."""
    (settings.corpus_dir / "ha_giang.txt").write_bytes(HA_GIANG.encode("utf-32"))
    rag = RAG(settings, embedder=fake)
    rag.index()
    article = {a.id: a for a, _ in rag.articles()}["ha_giang"]
    assert "\x00" not in article.text and "7 dự án có vốn đầu tư nước ngoài" in article.text
    assert article.title == "Hà Giang đẩy mạnh thu hút đầu tư"
    answer = rag.ask("Hà Giang có bao nhiêu dự án có vốn đầu tư nước ngoài?", mode="extractive")
    assert "7 dự án" in answer.answer and answer.citations[0].article_id == "ha_giang"
    assert_fdi(rag)


def test_utf32_without_bom_is_decoded():
    """BOM-less UTF-32 in either byte order decodes to the Vietnamese text, not NUL-laden garbage."""
    for enc in ("utf-32-le", "utf-32-be"):
        assert decode(HA_GIANG.encode(enc)) == (HA_GIANG, enc)


# ------------------------------------------------------------------------ dates
def test_wide_date_range_keeps_undated_articles(settings, cli_fake, capsys):
    """--from 1900-01-01 --to 2100-12-31 keeps the undated article 000: the answer is still 28 citing 000."""
    assert run_cli(settings, "ask", "--json", "--mode", "extractive", "--from", "1900-01-01", "--to", "2100-12-31",
                   FDI) == 0
    answer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert answer["answerable"] and "28 dự án" in answer["answer"]
    assert answer["citations"][0]["article_id"] == A000 and answer["citations"][0]["date"] == ""


def test_exclude_undated_leaves_undated_articles_out(settings, cli_fake, capsys):
    """--exclude-undated drops the undated article 000: "not found" instead of an answer from elsewhere."""
    assert run_cli(settings, "ask", "--json", "--mode", "extractive", "--exclude-undated",
                   "--from", "1900-01-01", "--to", "2100-12-31", FDI) == 0
    answer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert not answer["answerable"] and answer["answer"].startswith("Không tìm thấy")


def test_undated_citation_is_labelled_in_readable_output(settings, cli_fake, capsys):
    """Readable CLI output labels an undated source "không rõ ngày"."""
    assert run_cli(settings, "ask", "--mode", "extractive", "--from", "2000-01-01", FDI) == 0
    out = capsys.readouterr().out
    assert "28 dự án" in out and "không rõ ngày, tệp trong kho) — 000_bf7702f0972e1e9e" in out


def test_impossible_month_is_refused_naming_the_value(settings, capsys):
    """--from 2024-13-45 exits 2 with one line naming the date, before any model loads."""
    assert run_cli(settings, "ask", "--from", "2024-13-45", FDI) == 2
    assert one_error_line(capsys) == "error: No such date: '2024-13-45' (YYYY-MM-DD, a real day)."
    assert not settings.index_dir.exists()


def test_impossible_day_is_refused_by_the_api(settings, fake):
    """date_to=2024-02-30 raises BadQuestion naming it; the same RAG still answers afterwards."""
    rag = RAG(settings, embedder=fake)
    with pytest.raises(BadQuestion, match=r"No such date: '2024-02-30'"):
        rag.ask(FDI, date_to="2024-02-30")
    assert_fdi(rag)


def test_inverted_date_range_is_refused(settings, capsys):
    """--from 2024-05-01 --to 2024-01-01 exits 2: "the date range is inverted"."""
    assert run_cli(settings, "ask", "--from", "2024-05-01", "--to", "2024-01-01", FDI) == 2
    assert one_error_line(capsys) == ("error: The date range is inverted: from 2024-05-01 is after to 2024-01-01.")


# ---------------------------------------------------------------- CLI one-liners
def test_invalid_utf8_question_exits_2(settings, capsys):
    """A question whose bytes are not UTF-8 (surrogate escapes in argv) exits 2 with one line."""
    assert run_cli(settings, "ask", "L\udce1ng S\udcff") == 2
    assert one_error_line(capsys) == "error: The question is not valid UTF-8 text; retype it or save it as UTF-8."


def test_invalid_utf8_claim_exits_2(settings, capsys):
    """`rag check` with a claim that is not UTF-8 exits 2 with the same one line."""
    assert run_cli(settings, "check", "L\udce1ng S\udcff c\udcf3 28 d\udcf1 \udce1n.") == 2
    assert one_error_line(capsys) == "error: The question is not valid UTF-8 text; retype it or save it as UTF-8."


def test_k_zero_on_the_command_line_exits_2(settings, capsys):
    """--k 0 exits 2 with one line."""
    assert run_cli(settings, "ask", "--k", "0", FDI) == 2
    assert one_error_line(capsys) == "error: k must be a whole number of at least 1, got 0."


def test_eval_set_missing_exits_2(settings, capsys, tmp_path):
    """`rag eval --set` of a file that does not exist: one line naming it, exit 2."""
    missing = tmp_path / "nope.jsonl"
    assert run_cli(settings, "eval", "--set", str(missing)) == 2
    assert one_error_line(capsys) == f"error: eval set not found: {missing}"


def test_eval_set_empty_exits_2(settings, capsys, tmp_path):
    """An empty (or blank) eval set: one line saying it is empty, exit 2."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n  \n", encoding="utf-8")
    assert run_cli(settings, "eval", "--set", str(empty)) == 2
    assert one_error_line(capsys) == f"error: eval set {empty} is empty"


def test_eval_set_malformed_line_names_file_and_line(settings, capsys, tmp_path):
    """A line that is not JSON: one line naming file and line number, exit 2."""
    bad = tmp_path / "bad.jsonl"
    good = {"id": "q1", "type": "number", "question": FDI, "answerable": True}
    bad.write_text(json.dumps(good) + "\n\n{\"id\": \"q2\", \"question\": \n", encoding="utf-8")
    assert run_cli(settings, "eval", "--set", str(bad)) == 2
    assert one_error_line(capsys).startswith(f"error: {bad}:3: not valid JSON (")


def test_eval_set_line_missing_a_field_names_file_line_and_field(settings, capsys, tmp_path):
    """A question line without "answerable": one line naming file, line and field, exit 2."""
    bad = tmp_path / "fields.jsonl"
    bad.write_text(json.dumps({"id": "q1", "type": "number", "question": FDI}) + "\n", encoding="utf-8")
    assert run_cli(settings, "eval", "--set", str(bad)) == 2
    assert one_error_line(capsys) == f"error: {bad}:1: missing field 'answerable'"


def test_claims_set_line_missing_a_field_names_it(settings, capsys, tmp_path):
    """A claims line without "verdict": one line naming file, line and field, exit 2."""
    bad = tmp_path / "claims.jsonl"
    lines = [{"id": "c1", "claim": "Lạng Sơn có 28 dự án FDI.", "verdict": "supported"},
             {"id": "c2", "claim": "Lạng Sơn có 30 dự án FDI."}]
    bad.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    assert run_cli(settings, "eval", "--set", str(bad)) == 2
    assert one_error_line(capsys) == f"error: {bad}:2: missing field 'verdict'"


# -------------------------------------------------------------- API validation
@pytest.mark.parametrize("k", [0, -3, "5", 2.5, True])
def test_api_refuses_a_k_that_is_not_a_whole_number_of_at_least_1(settings, fake, k):
    """ask / ask_with_hits / check with k <= 0 or a non-int k raise BadQuestion naming k; the RAG still answers."""
    rag = RAG(settings, embedder=fake)
    message = f"k must be a whole number of at least 1, got {k!r}."
    for call in (lambda: rag.ask(FDI, k=k), lambda: rag.ask_with_hits(FDI, k=k), lambda: rag.check("Lạng Sơn có 28 dự án FDI.", k=k)):
        with pytest.raises(BadQuestion) as err:
            call()
        assert str(err.value) == message
    assert_fdi(rag)


def test_api_refuses_a_history_given_as_a_string(settings, fake):
    """history="Lạng Sơn…" (a string, not a list) raises BadQuestion; a list with a non-string too."""
    rag = RAG(settings, embedder=fake)
    with pytest.raises(BadQuestion, match="history must be a list of earlier questions, got str"):
        rag.ask_with_hits("Còn Lào Cai thì sao?", history=FDI)
    with pytest.raises(BadQuestion, match="history must hold only text"):
        rag.ask("Còn Lào Cai thì sao?", history=[FDI, 7])
    assert_fdi(rag)


def test_api_refuses_a_question_that_is_not_text(settings, fake):
    """ask(123), ask_with_hits(b"...") and check(["..."]) raise BadQuestion "must be text"."""
    rag = RAG(settings, embedder=fake)
    for call, kind in ((lambda: rag.ask(123), "int"), (lambda: rag.ask_with_hits(FDI.encode()), "bytes"),
                       (lambda: rag.check([FDI]), "list")):
        with pytest.raises(BadQuestion, match=f"The question must be text, got {kind}."):
            call()
    assert_fdi(rag)


def test_api_refuses_an_invalid_utf8_question(settings, fake):
    """A str holding surrogate escapes (undecodable bytes) is refused by the API as by the CLI."""
    rag = RAG(settings, embedder=fake)
    with pytest.raises(BadQuestion, match="not valid UTF-8"):
        rag.ask(os.fsdecode(b"L\xe1ng S\xff"))
    assert_fdi(rag)


def test_decode_keeps_utf16_and_utf8_after_the_utf32_check():
    """The UTF-32 check does not steal UTF-16 (BOM FF FE starts both) or UTF-8 files."""
    text = "Lạng Sơn có 28 dự án FDI còn hiệu lực."
    assert decode(text.encode("utf-16")) == (text, "utf-16")
    assert decode(codecs.BOM_UTF8 + text.encode()) == (text, "utf-8-sig")
    assert decode(text.encode("utf-16-le")) == (text, "utf-16-le")


def test_bad_lock_timeout_in_environment_is_one_line(monkeypatch, capsys):
    """RAG_INDEX_LOCK_TIMEOUT=soon -> exit 2, one line naming the variable, no traceback."""
    from rag.serve.cli import main

    monkeypatch.setenv("RAG_INDEX_LOCK_TIMEOUT", "soon")
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: RAG_INDEX_LOCK_TIMEOUT must be a number of seconds") and "Traceback" not in err


def test_eval_out_that_is_a_file_is_refused_before_the_run(settings, capsys, tmp_path):
    """`rag eval --out EXISTING_FILE`: one line before any question is asked, exit 2, the file untouched."""
    target = tmp_path / "report.txt"
    target.write_text("keep me", encoding="utf-8")
    assert run_cli(settings, "eval", "--set", "eval/holdout.jsonl", "--out", str(target)) == 2
    assert one_error_line(capsys) == f"error: --out {target} is a file, not a folder: give a folder for report.md and report.json"
    assert target.read_text(encoding="utf-8") == "keep me"


def test_a_report_that_cannot_be_written_leaves_the_previous_pair(tmp_path, monkeypatch):
    """A full disk while the new report.json is written: the old report.md and report.json stay, as a
    matching pair, no staged file is left behind, and the error is one EnvironmentFault."""
    from rag.errors import EnvironmentFault
    from rag.evaluate.questions import save_report

    save_report(tmp_path, "# old", {"old": True})
    real = Path.write_text

    def full_disk(self, text, *args, **kwargs):
        if self.name == "report.json.new":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(EnvironmentFault, match="cannot write the reports to .*No space left on device"):
        save_report(tmp_path, "# new", {"new": True})
    monkeypatch.undo()
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == "# old"
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8")) == {"old": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.md"]


@pytest.mark.parametrize("text, language, question", [
    ("Lạng Sơn có 30 dự án FDI.", "vi", "Lạng Sơn có bao nhiêu dự án FDI?"),
    ("Kim ngạch XNK năm 2015 đạt 1,2 tỷ USD", "vi", "Kim ngạch XNK năm 2015 đạt bao nhiêu USD?"),
    ("Lao Cai has 25 FDI projects.", "en", "Lao Cai has how many FDI projects?"),
    ("Lạng Sơn có 30 dự án FDI?", "vi", None),  # asked
    ("lang son co bao nhieu du an fdi", "vi", None),  # a question word without a "?"
    ("kim ngach xuat nhap khau lang son 6 thang dau nam 2024", "vi", None),  # a span of time scopes a search
    ("Lạng Sơn thu hút đầu tư nước ngoài.", "vi", None),  # no figure
])
def test_a_statement_of_a_figure_becomes_the_question_it_answers(text, language, question):
    from rag.retrieve.statement import as_question

    assert as_question(text, language) == question


def test_a_statement_is_answered_with_the_archives_figure_and_pointed_to_check(settings, fake):
    """`rag ask "Lạng Sơn có 30 dự án FDI."` used to answer "Không tìm thấy…" (no 30 anywhere): it now answers
    28 citing 000, and says that a verdict on the statement is `rag check`'s."""
    rag = RAG(settings, embedder=fake)
    answer = rag.ask("Lạng Sơn có 30 dự án FDI.", mode="extractive")
    assert answer.answerable and answer.short_answer.startswith("28 dự án")
    assert answer.citations[0].article_id == A000
    assert answer.standalone == "Lạng Sơn có bao nhiêu dự án FDI?"
    assert "rag check" in answer.notices[0] and "nhận định" in answer.notices[0]
    assert not rag.ask(FDI, mode="extractive").notices  # a question is not told it is a statement
