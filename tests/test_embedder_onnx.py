"""The ONNX int8 embedder against the torch float one, on real Vietnamese text,
and the setting that picks between them. The model tests export the int8
model into the cache on first use (about a minute, once)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import CORPUS, REPO

from rag.errors import ConfigError, IndexMismatch
from rag.index.base import FORMAT, check_signature
from rag.index.chunking import chunk_article
from rag.ingest.corpus import load_corpus
from rag.models.embedder import E5Embedder, OnnxE5Embedder
from rag.settings import EMBED_BACKENDS, Settings

# measured on 300 archive chunks: min cosine 0.991 (passages); queries are shorter and agree as well
MIN_COSINE = 0.98

QUERIES = [
    "Lạng Sơn có bao nhiêu dự án FDI?",
    "Giá lúa gạo xuất khẩu tăng bao nhiêu?",
    "Đội tuyển Việt Nam thắng Thái Lan tỉ số mấy?",
    "Bão số 3 đổ bộ vào tỉnh nào?",
    "Thí sinh thi tốt nghiệp THPT năm nay là bao nhiêu?",
    "Bệnh viện Bạch Mai tiêm vắc xin cho ai?",
]
PASSAGES = [  # PASSAGES[i] answers QUERIES[i]
    "Toàn tỉnh Lạng Sơn hiện có 28 dự án có vốn đầu tư nước ngoài còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD.",
    "Giá gạo xuất khẩu của Việt Nam tuần này tăng thêm 15 USD mỗi tấn, lên mức cao nhất trong hai năm.",
    "Trên sân Mỹ Đình, đội tuyển Việt Nam đã đánh bại Thái Lan với tỉ số 2-1 nhờ bàn thắng ở phút cuối.",
    "Cơn bão số 3 đã đổ bộ vào Quảng Ninh và Hải Phòng, gây mưa lớn và gió giật cấp 12.",
    "Năm nay cả nước có hơn 1 triệu thí sinh đăng ký dự thi tốt nghiệp trung học phổ thông.",
    "Bệnh viện Bạch Mai tổ chức tiêm vắc xin phòng Covid-19 cho toàn bộ nhân viên y tế.",
]


@pytest.fixture(scope="module")
def int8():
    return OnnxE5Embedder(Settings())


@pytest.fixture(scope="module")
def float32():
    return E5Embedder(Settings())


def corpus_chunks() -> list[str]:
    s = Settings()
    return [c.for_embedding() for a in load_corpus(CORPUS).articles
            for c in chunk_article(a, s.chunk_chars, s.overlap_sentences)]


@pytest.mark.model
def test_int8_vectors_agree_with_float(int8, float32):
    chunks = corpus_chunks()
    assert len(chunks) > 20
    for ours, theirs in ((int8.embed_passages(chunks), float32.embed_passages(chunks)),
                         (int8.embed_queries(QUERIES), float32.embed_queries(QUERIES))):
        assert ours.shape == theirs.shape and ours.dtype == np.float32
        assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
        cos = (ours * theirs).sum(axis=1)
        assert cos.min() >= MIN_COSINE, cos


@pytest.mark.model
def test_order_is_kept_whatever_the_lengths(int8):
    """Batches are formed by length; the rows come back in the caller's order."""
    texts = corpus_chunks()[:40]
    mixed = int8.embed_passages(texts[::-1])[::-1]
    one_by_one = np.concatenate([int8.embed_passages([t]) for t in texts])
    # activations are quantised per batch, so batch-mates move a vector a little (measured: cos >= 0.995)
    sims = mixed @ one_by_one.T
    assert list(sims.argmax(axis=1)) == list(range(len(texts)))
    assert np.diag(sims).min() >= 0.99


@pytest.mark.model
def test_right_passage_ranks_first_with_both(int8, float32):
    for embedder in (int8, float32):
        scores = embedder.embed_queries(QUERIES) @ embedder.embed_passages(PASSAGES).T
        assert list(scores.argmax(axis=1)) == list(range(len(QUERIES))), (type(embedder).__name__, scores.round(3))


@pytest.mark.model
def test_onnx_query_path_imports_no_torch(int8):
    code = (
        "import sys, json\n"
        "from rag.models.embedder import make_embedder\n"
        "from rag.settings import Settings\n"
        "v = make_embedder(Settings()).embed_queries(['Lạng Sơn có bao nhiêu dự án FDI?'])\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]\n"
        "print(json.dumps({'shape': list(v.shape), 'heavy': heavy}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "RAG_EMBED_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == {"shape": [1, 384], "heavy": []}
    assert out.stderr == ""  # nothing noisy once the model is exported


def test_default_backend_and_env(monkeypatch):
    monkeypatch.delenv("RAG_EMBED_BACKEND", raising=False)
    assert Settings().embed_backend == EMBED_BACKENDS[0] == "onnx-int8"
    monkeypatch.setenv("RAG_EMBED_BACKEND", "torch")
    assert Settings().embed_backend == "torch"


def test_unknown_backend_is_a_one_line_config_error(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("RAG_EMBED_BACKEND", "tensorflow")
    with pytest.raises(ConfigError) as err:
        Settings()
    assert "RAG_EMBED_BACKEND" in str(err.value) and "onnx-int8, torch" in str(err.value)
    from rag.serve import cli

    assert cli.main(["--corpus", str(CORPUS), "--index", str(tmp_path / "i"), "status"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("\n") == 1 and "RAG_EMBED_BACKEND" in out.err


def test_signature_differs_between_backends():
    onnx, torch = Settings(embed_backend="onnx-int8"), Settings(embed_backend="torch")
    assert onnx.index_signature() != torch.index_signature()
    assert torch.index_signature() == {**onnx.index_signature(), "embedder": "torch"}


def test_index_of_the_other_backend_is_refused(tmp_path):
    onnx, torch = Settings(embed_backend="onnx-int8"), Settings(embed_backend="torch")
    built_with_onnx = {"format": FORMAT, **onnx.index_signature()}
    check_signature(built_with_onnx, onnx, tmp_path)
    with pytest.raises(IndexMismatch, match="embedder: index has 'onnx-int8', settings want 'torch'"):
        check_signature(built_with_onnx, torch, tmp_path)
    # a manifest written before the key existed was built with torch
    older = {k: v for k, v in built_with_onnx.items() if k != "embedder"}
    check_signature(older, torch, tmp_path)
    with pytest.raises(IndexMismatch, match="embedder: index has 'torch', settings want 'onnx-int8'"):
        check_signature(older, onnx, tmp_path)
