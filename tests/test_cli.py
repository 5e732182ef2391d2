import json

from rag import cli


def test_empty_question_exits_2(capsys, settings):
    code = cli.main(["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), "ask", "   "])
    assert code == 2
    assert "empty" in capsys.readouterr().err


def test_unusable_corpus_exits_2(capsys, tmp_path):
    code = cli.main(["--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i"), "index", "-q"])
    assert code == 2 and "corpus folder not found" in capsys.readouterr().err


def test_ask_json_lines(capsys, settings, fake, monkeypatch):
    import rag.api

    monkeypatch.setattr(rag.api, "E5Embedder", lambda s: fake)  # the model is the slow part
    code = cli.main(["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir),
                     "ask", "--json", "--mode", "extractive", "Lạng Sơn có bao nhiêu dự án FDI?", "Dân số Lạng Sơn?"])
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["answerable"] for d in lines] == [True, False]
    cit = lines[0]["citations"][0]
    for key in ("n", "article_id", "title", "date", "province", "chunk_id", "text", "start", "end", "score"):
        assert key in cit
    assert "timings" in lines[0]
