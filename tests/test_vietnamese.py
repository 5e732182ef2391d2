import pytest

from rag.text.vietnamese import canonical_province, find_numbers, find_provinces, fold, normalize_text, parse_number


def test_normalize_makes_nfc_and_plain_spaces():
    decomposed = "Lạng Sơn".encode("utf-8").decode("utf-8")
    import unicodedata

    text = unicodedata.normalize("NFD", decomposed) + " có 120\u00a0chương\u2009trình\u200b"
    out = normalize_text(text)
    assert out == "Lạng Sơn có 120 chương trình"
    assert unicodedata.is_normalized("NFC", out)


def test_fold_strips_diacritics_and_keeps_length():
    assert fold("Lạng Sơn ĐỒNG Đăng") == "lang son dong dang"
    assert len(fold("Hợp tác quốc tế")) == len("Hợp tác quốc tế")


@pytest.mark.parametrize(
    "token, expected",
    [
        ("1.200", 1200.0),
        ("23.630,9", 23630.9),
        ("1,5", 1.5),
        ("540,5", 540.5),
        ("10.389", 10389.0),
        ("1,200.5", 1200.5),
        ("548.960", 548960.0),
        ("2026", 2026.0),
    ],
)
def test_parse_number_first_reading(token, expected):
    assert parse_number(token)[0] == pytest.approx(expected)


def test_ambiguous_three_digit_group_keeps_both_readings():
    # Vietnamese writes "1,501 tỷ USD" for 1.501 billion; "1.200 lao động" for 1200.
    assert set(parse_number("1,501")) == {1501.0, 1.501}


def test_find_numbers_adds_scaled_values():
    (n,) = find_numbers("hơn 228\u00a0triệu USD")
    assert 228.0 in n.values and 228e6 in n.values


def test_provinces_found_with_or_without_accents():
    typed = "lang son, Cao  Bằng và Bà Rịa – Vũng Tàu; Hoà Bình, lạng sơn"
    found = [m.province for m in find_provinces(typed, typed=True)]
    assert found == ["Lạng Sơn", "Cao Bằng", "Bà Rịa - Vũng Tàu", "Hòa Bình", "Lạng Sơn"]
    assert canonical_province("lao cai") == "Lào Cai"
    assert canonical_province("Atlantis") is None


def test_lower_case_words_of_an_article_that_fold_to_a_province_are_no_province():
    # real archive sentences: "peace", "developments" and "two tunnels" fold to Hòa Bình, Điện Biên, Hải Dương
    text = ("Tiến trình hòa bình ở Trung Đông có nhiều diễn biến mới; khách sạn được nối với đất liền "
            "bằng hai đường hầm. Tỉnh Hòa Bình và Điện Biên cũng có mưa.")
    assert [m.province for m in find_provinces(text)] == ["Hòa Bình", "Điện Biên"]
    # a question typed in lower case keeps its province; an article's lower-case "hòa bình" does not
    assert [m.province for m in find_provinces("hòa bình có bao nhiêu dự án?", typed=True)] == ["Hòa Bình"]
    assert find_provinces("hòa bình có bao nhiêu dự án?") == []


def test_the_pacific_is_no_province():
    # "Thái Bình Dương" holds both "Thái Bình" and "Bình Dương"; it is neither
    assert find_provinces("đường ống dẫn dầu từ Siberia ra Thái Bình Dương") == []
    assert [m.province for m in find_provinces("Thái Bình và Bình Dương")] == ["Thái Bình", "Bình Dương"]
