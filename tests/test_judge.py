"""The LLM judge of an undecided best sentence: its reading of the model's reply
(LangChain's fake chat model stands in for the slow model), and how the
answerer uses it, on the real seed articles and the real fitted scorer."""

from dataclasses import replace

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from pydantic import Field

from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.judge import MAX_TOKENS, Judge
from rag.api import JUDGED_NOTICE, RAG

FDI = "Lạng Sơn có bao nhiêu dự án FDI?"
FDI_SENTENCE = ("Đối với các dự án phát triển hạ tầng kinh tế, toàn tỉnh hiện có 28 dự án có vốn đầu tư nước ngoài "
                "còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD, tạo việc làm cho hơn 1.200 lao động.")


class Recording(GenericFakeChatModel):
    """Replies in turn and records each call's messages and options."""

    calls: list = Field(default_factory=list)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.calls.append((messages, kwargs))
        return super()._generate(messages, stop, run_manager, **kwargs)


def model(*replies: str) -> Recording:
    return Recording(messages=iter([AIMessage(content=r) for r in replies]))


class Down(GenericFakeChatModel):
    def _generate(self, *args, **kwargs):
        raise RuntimeError("backend down")


@pytest.mark.parametrize("reply, answers", [("Yes", True), ("Yes.", True), ("yes, it does", True), ("No", False),
                                            ("No.", False), ("Có", False), ("", False),
                                            ("The sentence says 28", False)])
def test_only_a_yes_lets_the_sentence_answer(reply, answers):
    chat = model(reply)
    assert Judge(chat)(FDI, "Lạng Sơn thu hút đầu tư", FDI_SENTENCE) is answers
    messages, options = chat.calls[0]
    assert options["max_tokens"] == MAX_TOKENS
    assert FDI in messages[-1].content and FDI_SENTENCE in messages[-1].content


def test_a_failing_backend_is_a_no():
    assert Judge(Down(messages=iter([])))(FDI, "", FDI_SENTENCE) is False


@pytest.fixture
def undecided(settings, fake):
    """A RAG whose scorer leaves every best sentence undecided (threshold 1.0, floor 0.0): the judge decides."""
    def make(*replies: str, judge_on: bool = True) -> tuple[RAG, Recording]:
        chat = model(*replies)
        rag = RAG(settings.with_(llm_judge=judge_on), embedder=fake, chat_model=chat)
        weights = replace(rag.answerer.weights, threshold=1.0, judge_floor=0.0)
        rag.answerer = ExtractiveAnswerer(weights, rag.answerer.max_hits)
        return rag, chat
    return make


def test_the_judges_yes_answers_with_the_scorers_best_sentence(undecided):
    rag, chat = undecided("Yes")
    answer, _ = rag.ask_with_hits(FDI, mode="llm")
    assert answer.answerable and answer.judged and JUDGED_NOTICE in answer.notices
    assert answer.citations[0].article_id == "000_bf7702f0972e1e9e" and "28 dự án" in answer.citations[0].sentence
    assert len(chat.calls) == 1


def test_the_judges_no_leaves_the_refusal(undecided):
    rag, chat = undecided("No")
    answer, _ = rag.ask_with_hits(FDI, mode="llm")
    assert not answer.answerable and not answer.judged and len(chat.calls) == 1


def test_no_judge_without_the_llm_mode_for_a_ruled_out_sentence_or_when_off(undecided):
    rag, chat = undecided("Yes", "Yes")
    extractive, _ = rag.ask_with_hits(FDI, mode="extractive")
    assert not extractive.answerable and not chat.calls
    other_province, _ = rag.ask_with_hits("Hà Giang có bao nhiêu dự án FDI?", mode="llm")  # no Hà Giang sentence
    assert not other_province.answerable and not chat.calls
    rag, chat = undecided("Yes", judge_on=False)  # RAG_LLM_JUDGE=0
    off, _ = rag.ask_with_hits(FDI, mode="llm")
    assert not off.answerable and not chat.calls


def test_a_decided_sentence_is_never_judged(settings, fake):
    chat = model("No")
    rag = RAG(settings, embedder=fake, chat_model=chat)
    answer, _ = rag.ask_with_hits(FDI, mode="llm")
    assert answer.answerable and not answer.judged and not chat.calls and JUDGED_NOTICE not in answer.notices


def test_a_model_busy_with_another_answer_is_not_waited_for(undecided):
    rag, chat = undecided("Yes")
    with rag._generation.turn():  # another question's answer is being generated
        answer, _ = rag.ask_with_hits(FDI, mode="llm")
    assert not answer.answerable and not chat.calls
    answer, _ = rag.ask_with_hits(FDI, mode="llm")  # free again
    assert answer.answerable and answer.judged and len(chat.calls) == 1


def test_with_the_llm_its_judge_is_the_second_opinion_not_the_reader(undecided, settings, monkeypatch):
    from rag.answer.reader import Reader

    rag, chat = undecided("No")
    rag.answerer = ExtractiveAnswerer(rag.answerer.weights, rag.answerer.max_hits, reader=Reader(settings),
                                      second=0.0)  # a second reading would answer whatever it read
    real_read = rag.answerer.read
    monkeypatch.setattr(rag.answerer, "read", lambda *a, **k: pytest.fail("the reader read after the judge"))
    judged_no, _ = rag.ask_with_hits(FDI, mode="llm")
    assert not judged_no.answerable and len(chat.calls) == 1
    monkeypatch.setattr(rag.answerer, "read", real_read)
    read_again, _ = rag.ask_with_hits(FDI, mode="extractive")  # no judge: the reader reads the refusal again
    assert read_again.answerable and len(chat.calls) == 1
