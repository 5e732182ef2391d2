import pytest

from rag.errors import BadQuestion
from rag.retrieve.followup import rewrite
from rag.retrieve.query import check_question

FDI_LS = "Lạng Sơn có bao nhiêu dự án FDI?"


@pytest.mark.parametrize(
    "question, history, expected",
    [
        ("Còn Lào Cai thì sao?", [FDI_LS], "Lào Cai có bao nhiêu dự án FDI?"),
        ("con lao cai thi sao", [FDI_LS], "Lào Cai có bao nhiêu dự án FDI?"),
        ("Cao Bằng?", [FDI_LS], "Cao Bằng có bao nhiêu dự án FDI?"),
        ("Còn Cao Bằng và Lào Cai?", [FDI_LS], "Cao Bằng và Lào Cai có bao nhiêu dự án FDI?"),
        ("What about Lao Cai?", ["How many FDI projects does Lang Son have?"], "How many FDI projects does Lào Cai have?"),
        ("Còn năm 2010?", ["Kim ngạch XNK qua Lạng Sơn năm 2009?"], "Kim ngạch XNK qua Lạng Sơn năm 2010?"),
        ("Còn vốn ODA?", [FDI_LS], "vốn ODA của Lạng Sơn?"),
    ],
)
def test_follow_ups_become_standalone(question, history, expected):
    r = rewrite(question, history)
    assert r.rewritten and r.standalone == expected


def test_rewrites_chain_on_the_latest_question():
    first = rewrite("Còn Lào Cai thì sao?", [FDI_LS]).standalone
    assert rewrite("Còn Cao Bằng?", [FDI_LS, first]).standalone == "Cao Bằng có bao nhiêu dự án FDI?"


@pytest.mark.parametrize(
    "question, history",
    [
        ("Ai là Giám đốc Sở Ngoại vụ Cao Bằng?", [FDI_LS]),  # a complete new question
        (FDI_LS, []),  # no conversation yet
        ("Còn vốn ODA?", ["Những tập đoàn nào vào Việt Nam?"]),  # nothing to carry over
    ],
)
def test_standalone_questions_are_left_alone(question, history):
    r = rewrite(question, history)
    assert not r.rewritten and r.standalone == question


def test_empty_follow_up_is_refused_at_the_door():
    """A question is validated once, where it enters (``RAG.ask_with_hits``, the CLI): a blank one is refused."""
    with pytest.raises(BadQuestion):
        check_question("  ")
