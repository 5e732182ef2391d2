"""The persistent lexical index (bm25s), the saved accent table and the
light pyvi loader, on real Vietnamese text."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from conftest import CORPUS, REPO

from rag.api import RAG
from rag.index.accents import AccentRestorer
from rag.index.chunking import chunk_article
from rag.index.indexer import update_index
from rag.index.lexical import LexicalIndex, tokenize
from rag.ingest.corpus import load_corpus

K1, B = 1.2, 0.75


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    articles = load_corpus(CORPUS).articles
    return [tokenize(f"{c.header}\n{c.text}") for a in articles for c in chunk_article(a, 500, 1)]


def textbook_bm25(rows, query):
    """Okapi BM25 written out, to check the library against."""
    n, avg = len(rows), sum(map(len, rows)) / len(rows)
    df = Counter(t for r in rows for t in set(r))
    out = np.zeros(n)
    for i, r in enumerate(rows):
        tf = Counter(r)
        for t in set(query):
            if tf[t]:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                out[i] += idf * tf[t] * (K1 + 1) / (tf[t] + K1 * (1 - B + B * len(r) / avg))
    return out


@pytest.mark.parametrize("question", ["Lạng Sơn có bao nhiêu dự án FDI?", "lang son co bao nhieu du an fdi",
                                      "kim ngạch xuất nhập khẩu qua cửa khẩu"])
def test_scores_are_textbook_bm25_and_survive_save_and_load(rows, tmp_path, question):
    index = LexicalIndex.build(rows, K1, B)
    query = tokenize(question)
    want = textbook_bm25(rows, query)
    assert want.max() > 0
    assert np.allclose(index.scores(query), want, rtol=1e-4, atol=1e-4)
    index.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical", K1)
    assert len(loaded) == len(rows)
    assert np.allclose(loaded.scores(query), want, rtol=1e-4, atol=1e-4)


def test_idf_of_a_token_and_of_an_unknown_one(rows):
    index = LexicalIndex.build(rows, K1, B)
    df = sum(1 for r in rows if "f:son" in r)
    assert index.idf("f:son") == pytest.approx(math.log(1 + (len(rows) - df + 0.5) / (df + 0.5)))
    assert index.idf("f:khongcotu") is None
    assert index.max_idf() >= index.idf("f:son")


def test_empty_index_scores_nothing(tmp_path):
    index = LexicalIndex.build([], K1, B)
    index.save(tmp_path / "lexical")
    assert LexicalIndex.load(tmp_path / "lexical", K1).scores(tokenize("dự án")).size == 0


def test_accent_table_round_trip(tmp_path):
    texts = [a.text for a in load_corpus(CORPUS).articles]
    fitted = AccentRestorer().fit(texts)
    fitted.save(tmp_path / "restorer.sqlite")
    loaded = AccentRestorer.load(tmp_path / "restorer.sqlite")
    assert loaded.restore("lang son co bao nhieu du an fdi") == fitted.restore("lang son co bao nhieu du an fdi")
    assert loaded.restore("lang son co bao nhieu du an fdi").startswith("lạng sơn có bao nhiêu dự án")


def test_reading_the_index_builds_nothing(settings, fake, monkeypatch):
    """A process that only answers reads the saved lexical index and accent
    table: it never rebuilds BM25 or refits the accent table."""
    update_index(settings, lambda: fake)

    def rebuilt(*args, **kwargs):
        raise AssertionError("rebuilt at read time")

    monkeypatch.setattr(LexicalIndex, "build", rebuilt)
    monkeypatch.setattr(AccentRestorer, "fit", rebuilt)
    rag = RAG(settings, embedder=fake, auto_index=False)
    for question in ["Lạng Sơn có bao nhiêu dự án FDI?", "lang son co bao nhieu du an fdi"]:
        assert "28 dự án" in rag.ask(question, mode="extractive").answer


SEGMENT = """
import json, sys
from pathlib import Path
texts = [p.read_text(encoding="utf-8") for p in sorted(Path(sys.argv[2]).glob("*.txt"))]
if sys.argv[1] == "light":
    from rag.text.segmenter import segment
else:
    from pyvi.ViTokenizer import ViTokenizer
    segment = ViTokenizer.tokenize
print(json.dumps({"out": [segment(t) for t in texts], "sklearn": "sklearn" in sys.modules}))
"""


def _segment_in_fresh_process(mode: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", SEGMENT, mode, str(CORPUS)], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_light_segmenter_is_pyvi_without_scikit_learn():
    light, real = _segment_in_fresh_process("light"), _segment_in_fresh_process("pyvi")
    assert real["sklearn"] and not light["sklearn"]
    assert light["out"] == real["out"] and any("dự_án" in s for s in light["out"])
