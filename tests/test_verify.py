from rag.answer.verify import Passage, verify

LS = Passage(1, "Đối với các dự án phát triển hạ tầng kinh tế, toàn tỉnh hiện có 28 dự án có vốn đầu tư nước ngoài "
                "còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD, tạo việc làm cho hơn 1.200 lao động.",
             "Hợp tác quốc tế | Lạng Sơn", "Lạng Sơn")
LC = Passage(2, "Tính đến thời điểm hiện tại trên địa bàn tỉnh có 20 dự án FDI còn hiệu lực với tổng vốn đăng ký "
                "là 540,5 triệu USD.", "Lào Cai đẩy mạnh công tác đối ngoại | Lào Cai", "Lào Cai")
Q = "Lạng Sơn có bao nhiêu dự án FDI?"


def test_grounded_answers_pass_in_any_number_format():
    for answer, given in [
        ("Tỉnh Lạng Sơn có 28 dự án FDI, tổng vốn đăng ký hơn 228 triệu USD, tạo việc làm cho hơn 1.200 lao động [1].", [LS]),
        ("Lang Son has 28 foreign-invested projects with over 228 million USD, employing 1,200 workers [1].", [LS]),
        ("Lạng Sơn có 28 dự án (228 triệu USD, 1.200 lao động) [1], còn Lào Cai có 20 dự án FDI với 540.5 triệu USD [2].",
         [LS, LC]),
    ]:
        v = verify(answer, given, Q)
        assert v.ok, (answer, v.reasons)


def test_lossy_paraphrase_is_caught():
    v = verify("Lạng Sơn có 28 dự án FDI [1].", [LS], Q)
    assert not v.ok and "228" in " ".join(v.reasons) and "1.200" in " ".join(v.reasons)


def test_made_up_figure_is_caught():
    v = verify("Lạng Sơn có 30 dự án FDI, 228 triệu USD, 1.200 lao động [1].", [LS], Q)
    assert not v.ok and v.ungrounded_numbers == ("30",)


def test_wrong_citation_number_is_caught():
    v = verify("Lạng Sơn có 28 dự án FDI [3].", [LS, LC], Q)
    assert not v.ok and any("[3]" in r for r in v.reasons)


def test_figure_from_another_provinces_passage_is_caught():
    # 20 is Lào Cai's figure: citing [1] (Lạng Sơn) for it is ungrounded ...
    assert not verify("Lạng Sơn có 20 dự án FDI [1].", [LS, LC], Q).ok
    # ... and citing [2] for it while talking about Lạng Sơn is a province mismatch.
    v = verify("Lạng Sơn có 20 dự án FDI [2].", [LS, LC], Q)
    assert not v.ok and any("Lạng Sơn" in r for r in v.reasons)


def test_unknown_names_and_missing_citations_are_caught():
    assert not verify("Lạng Sơn có 28 dự án FDI do Samsung đầu tư [1].", [LS], Q).ok
    assert not verify("Lạng Sơn có 28 dự án FDI.", [LS], Q).ok


def test_list_questions_must_keep_the_whole_list():
    cb = Passage(1, "Tỉnh mở rộng hợp tác với tỉnh Gangwoon (Hàn Quốc), tỉnh Nagano (Nhật Bản).", "Bài | Cao Bằng", "Cao Bằng")
    question = "Cao Bằng hợp tác với những địa phương nước ngoài nào?"
    partial = verify("Cao Bằng hợp tác với tỉnh Nagano (Nhật Bản) [1].", [cb], question)
    assert not partial.ok and "Gangwoon" in " ".join(partial.reasons)
    assert verify("Cao Bằng hợp tác với tỉnh Gangwoon (Hàn Quốc) và tỉnh Nagano (Nhật Bản) [1].", [cb], question).ok
    # not a list question: naming the one asked about is enough
    assert verify("Cao Bằng hợp tác với tỉnh Nagano (Nhật Bản) [1].", [cb], "Cao Bằng hợp tác với Nhật Bản ra sao?").ok


def test_an_answer_that_only_restates_the_question_is_caught():
    who = "Ai là Giám đốc Sở Ngoại vụ Lạng Sơn?"
    director = Passage(1, "Bà Trịnh Tuyết Mai, Giám đốc Sở Ngoại vụ Lạng Sơn, cho biết như vậy.",
                       "Hợp tác quốc tế | Lạng Sơn", "Lạng Sơn")
    echo = verify("Giám đốc Sở Ngoại vụ Lạng Sơn là [1].", [director], who)
    assert "restates the question without answering it" in echo.reasons
    unaccented = verify("Giam doc So Ngoai vu Lang Son la ai [1].", [director], who)
    assert "restates the question without answering it" in unaccented.reasons
    answered = verify("Giám đốc Sở Ngoại vụ Lạng Sơn là bà Trịnh Tuyết Mai [1].", [director], who)
    assert answered.ok, answered.reasons


def test_reasons_are_written_in_the_asked_language():
    """The reasons shown in the Vietnamese UI are Vietnamese ("leaves out figure(s)" was shown as is)."""
    passages = [Passage(1, "Lạng Sơn có 28 dự án FDI với tổng vốn đăng ký hơn 228 triệu USD.", "Bài | Lạng Sơn", "Lạng Sơn")]
    vi = verify("Lạng Sơn có 35 dự án FDI [1].", passages, language="vi")
    en = verify("Lạng Sơn có 35 dự án FDI [1].", passages, language="en")
    assert not vi.ok and any("'35' không có trong đoạn được trích [1]" in r for r in vi.reasons)
    assert any("number '35' is not in the cited passage(s) [1]" in r for r in en.reasons)
    assert len(vi.reasons) == len(en.reasons)
