from rag.verify import Passage, verify

LS = Passage(1, "Đối với các dự án phát triển hạ tầng kinh tế, toàn tỉnh hiện có 28 dự án có vốn đầu tư nước ngoài "
                "còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD, tạo việc làm cho hơn 1.200 lao động.",
             "Hợp tác quốc tế | Lạng Sơn", "Lạng Sơn")
LC = Passage(2, "Tính đến thời điểm hiện tại trên địa bàn tỉnh có 20 dự án FDI còn hiệu lực với tổng vốn đăng ký "
                "là 540,5 triệu USD.", "Lào Cai đẩy mạnh công tác đối ngoại | Lào Cai", "Lào Cai")
Q = "Lạng Sơn có bao nhiêu dự án FDI?"


def test_grounded_answers_pass_in_any_number_format():
    for answer in [
        "Lạng Sơn có 28 dự án FDI còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD [1].",
        "Lạng Sơn có 28 dự án FDI, tạo việc làm cho 1,200 lao động [1].",
        "Lang Son has 28 foreign-invested projects with over 228 million USD registered [1].",
        "Lạng Sơn có 28 dự án [1], còn Lào Cai có 20 dự án FDI với 540.5 triệu USD [2].",
    ]:
        v = verify(answer, [LS, LC], Q)
        assert v.ok, (answer, v.reasons)


def test_made_up_figure_is_caught():
    v = verify("Lạng Sơn có 30 dự án FDI [1].", [LS], Q)
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
