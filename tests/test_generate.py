"""The generation chain with LangChain's fake chat models (the model is the slow part)."""

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from rag.api import RAG


def fake(*replies: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in replies]))


class Exploding(GenericFakeChatModel):
    def _stream(self, *args, **kwargs):
        raise RuntimeError("backend down")


@pytest.fixture
def make_rag(settings, fake_embedder):
    return lambda chat_model: RAG(settings, embedder=fake_embedder, chat_model=chat_model)


@pytest.fixture
def fake_embedder(fake):
    return fake


def test_verified_generated_answer_streams_and_is_returned(make_rag):
    rag = make_rag(fake("Lạng Sơn có 28 dự án FDI còn hiệu lực, tổng vốn đăng ký hơn 228 triệu USD, "
                        "tạo việc làm cho hơn 1.200 lao động [1]."))
    events = list(rag.ask_stream("Lạng Sơn có bao nhiêu dự án FDI?", mode="llm"))
    pieces, final = events[:-1], events[-1]
    assert len(pieces) > 1 and all(isinstance(p, str) for p in pieces)  # streamed
    assert final.answer_mode == "llm" and final.answer.startswith("Lạng Sơn có 28 dự án FDI")
    assert final.citations[0].article_id == "000_bf7702f0972e1e9e"
    assert final.timings["ttft_ms"] is not None


@pytest.mark.parametrize(
    "reply, reason",
    [
        ("Lạng Sơn có 35 dự án FDI [1].", "35"),  # made-up figure
        ("Lạng Sơn có 28 dự án FDI [4].", "[4]"),  # passage never given
        ("Lạng Sơn có 28 dự án FDI [1].", "bỏ sót số liệu"),  # lossy: drops 228 triệu USD (said in Vietnamese)
    ],
)
def test_unverified_answer_falls_back_to_extractive(make_rag, reply, reason):
    rag = make_rag(fake(reply))
    answer = rag.ask("Lạng Sơn có bao nhiêu dự án FDI?", mode="llm")
    assert answer.answer_mode == "extractive-fallback" and reason in answer.mode_reason
    assert "28 dự án có vốn đầu tư nước ngoài" in answer.answer  # the quoted sentence
    assert answer.generated == reply


def test_missing_marker_is_added_only_when_one_passage_was_given(make_rag):
    one = make_rag(fake("Lạng Sơn có 28 dự án FDI, vốn 228 triệu USD, 1.200 lao động.")).ask(
        "Lạng Sơn có bao nhiêu dự án FDI?", mode="llm")
    assert one.answer_mode == "llm" and one.answer.endswith("[1]")
    two = make_rag(fake("Lạng Sơn có 28 dự án, Lào Cai có 20 dự án FDI.")).ask(
        "Lạng Sơn và Lào Cai có bao nhiêu dự án FDI?", mode="llm")
    assert two.answer_mode == "extractive-fallback" and "không có trích dẫn [n]" in two.mode_reason


def test_unanswerable_question_never_calls_the_model(make_rag):
    rag = make_rag(Exploding(messages=iter([])))
    answer = rag.ask("Dân số Lạng Sơn là bao nhiêu?", mode="llm")
    assert not answer.answerable and answer.answer_mode == "extractive" and "không gọi mô hình" in answer.mode_reason


def test_backend_failure_falls_back(make_rag):
    answer = make_rag(Exploding(messages=iter([]))).ask("Lạng Sơn có bao nhiêu dự án FDI?", mode="llm")
    assert answer.answer_mode == "extractive-fallback" and "backend down" in answer.mode_reason


def test_comparison_figures_must_stay_with_their_province(make_rag):
    swapped = "Lạng Sơn có 20 dự án FDI [2], Lào Cai có 28 dự án [1]."
    answer = make_rag(fake(swapped)).ask("Lạng Sơn và Lào Cai có bao nhiêu dự án FDI?", mode="llm")
    assert answer.answer_mode == "extractive-fallback"
    right = ("Lạng Sơn có 28 dự án, 228 triệu USD, 1.200 lao động [1], còn Lào Cai có 20 dự án FDI, "
             "540,5 triệu USD [2].")
    answer = make_rag(fake(right)).ask("Lạng Sơn và Lào Cai có bao nhiêu dự án FDI?", mode="llm")
    assert answer.answer_mode == "llm"


def test_extractive_mode_ignores_the_model(make_rag):
    answer = make_rag(Exploding(messages=iter([]))).ask("Lạng Sơn có bao nhiêu dự án FDI?", mode="extractive")
    assert answer.answer_mode == "extractive" and answer.answerable
