import json

from rag.serve import cli


def test_empty_question_exits_2(capsys, settings):
    code = cli.main(["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), "ask", "   "])
    assert code == 2
    assert "empty" in capsys.readouterr().err


def test_unusable_corpus_exits_2(capsys, tmp_path):
    code = cli.main(["--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i"), "index", "-q"])
    assert code == 2 and "corpus folder not found" in capsys.readouterr().err


def test_ask_json_lines(capsys, settings, fake, monkeypatch):
    import rag.api

    monkeypatch.setattr(rag.api, "make_embedder", lambda s: fake)  # the model is the slow part
    code = cli.main(["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir),
                     "ask", "--json", "--mode", "extractive", "Lạng Sơn có bao nhiêu dự án FDI?", "Dân số Lạng Sơn?"])
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["answerable"] for d in lines] == [True, False]
    cit = lines[0]["citations"][0]
    for key in ("n", "article_id", "title", "date", "province", "chunk_id", "text", "start", "end", "score"):
        assert key in cit
    assert "timings" in lines[0]


def test_check_json_lines_and_draft_marks(capsys, settings, fake, monkeypatch, tmp_path):
    import rag.api

    main = cli.main
    monkeypatch.setattr(rag.api, "make_embedder", lambda s: fake)  # the slow model; the checker runs for real
    args = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    assert main([*args, "check", "--json", "Lạng Sơn có 30 dự án có vốn đầu tư nước ngoài còn hiệu lực."]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"claim", "verdict", "citations", "diffs", "explanation", "timings"} <= set(line)
    assert line["verdict"] == "refuted" and line["diffs"][0]["claim"] == "30"
    draft = tmp_path / "draft.txt"
    draft.write_text("Xin chào bạn đọc. Lạng Sơn có 30 dự án có vốn đầu tư nước ngoài còn hiệu lực.", encoding="utf-8")
    assert main([*args, "check", "--file", str(draft)]) == 0
    out = capsys.readouterr().out
    assert "– Xin chào bạn đọc." in out and "✘ Lạng Sơn có 30" in out and "số liệu: 30 → 28" in out and "number:" not in out
    draft.write_bytes(draft.read_text(encoding="utf-8").encode("utf-16"))  # a Windows editor's "Unicode"
    assert main([*args, "check", "--file", str(draft)]) == 0
    assert "✘ Lạng Sơn có 30" in capsys.readouterr().out
    draft.write_bytes(b"\x00" * 2048)
    assert main([*args, "check", "--file", str(draft)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: {draft} is not a text draft: binary content (NUL bytes)\n" and "\x00" not in captured.out
    assert main([*args, "check", "--file", str(tmp_path / "missing.txt")]) == 2
    assert main([*args, "check"]) == 2
