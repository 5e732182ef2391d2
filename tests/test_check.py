"""Fact-checking: the claim parts (figures with scale, unit and hedge; dates;
direction; checkable sentences) on real Vietnamese text, the verdict metrics,
and the verdicts of the issue's claims with the real model on the seeds."""

from __future__ import annotations

import json

import pytest

from rag.answer.signals import coverage
from rag.api import RAG
from rag.check.claims import Claim, clause_words, read_claim, topic_of
from rag.check.verdict import (
    CHECK_RULES,
    Relation,
    _decisive,
    _other_measure,
    _direction_at,
    _figures,
    _has,
    _replaced,
    _shared_names,
    _swapped_place,
)
from rag.evaluate.claims import macro_f1, per_class
from rag.models.embedder import E5Embedder
from rag.retrieve.query import parse_query
from rag.settings import Settings
from rag.text.figures import agrees as agrees_within
from rag.text.figures import (
    checkable,
    dates,
    dates_differ,
    direction,
    event_dated,
    figures,
    is_person,
    names,
    scale_swapped,
)


def one(text: str):
    (f,) = figures(text)
    return f


def agrees(claim, archive) -> bool:
    return agrees_within(claim, archive, CHECK_RULES.hedge_span)


# ------------------------------------------------------------------ figures
def test_figures_read_scale_unit_and_hedge():
    f = one("tổng vốn đăng ký hơn 228 triệu USD")
    assert (f.values, f.scale, f.unit, f.hedge) == ((228e6,), "triệu", "usd", ">")
    assert one("23.630,9 triệu USD").values == (23630.9e6,)
    assert one("gần 68.000 chữ ký").hedge == "~" and one("gần 68.000 chữ ký").values[0] == 68000


def test_a_range_is_one_figure_with_both_ends():
    (f,) = figures("tiền chi mãi lộ khoảng 1,2-1,3 triệu đồng, rồi lại trừ tiền công")
    assert (f.values, f.scale, f.unit, f.hedge) == ((1.2e6, 1.3e6), "triệu", "dong", "~")
    assert agrees(one("hơn 1 triệu đồng"), f)
    assert [(g.text, g.values, g.unit) for g in figures("giai đoạn 2005-2007 tăng 3-4%")] == [("3-4", (3.0, 4.0), "%")]
    assert [g.text for g in figures("tỷ số 3-2")] == ["3"]  # a score, not a range
    (f,) = figures("bị cáo có mức án đề nghị 10-11 năm tù về tội cướp tài sản")  # a range of counts
    assert (f.text, f.values, f.unit) == ("10-11", (10.0, 11.0), "nam tu")
    four_five = one("tương đương 4-5 tháng sản lượng")
    said = figures("sản lượng của nhà máy trong 4 hoặc 5 tháng")  # "4" has no unit of its own
    assert [four_five.same_unit(g) and agrees(four_five, g) for g in said] == [False, True]
    assert figures("Hội nghị diễn ra ngày 10-11 tới tại Hà Nội") == []  # a date


def test_a_unit_written_before_its_figure_and_none_across_a_line():
    (f,) = figures("Bà qua đời ở tuổi 122.")
    assert f.same_unit(one("thọ 122 tuổi")) and agrees(f, one("thọ 122 tuổi"))
    (g,) = figures("giá trị xuất nhập khẩu đạt 3,8 tỷ USD\n\nHoạt động giao lưu")
    assert g.written == "3,8 tỷ USD"


def test_a_list_of_figures_shares_the_scale_of_its_last():
    text = "Trong các năm 2001, 2002 và 2003, tổng sản lượng dầu quy đổi là 18,7, 19,2 và 17,3 triệu tấn."
    found = figures(text)
    assert [(f.text, f.scale, f.unit) for f in found] == [("18,7", "triệu", "kg"), ("19,2", "triệu", "kg"),
                                                        ("17,3", "triệu", "kg")]
    assert [f.values[0] for f in found] == pytest.approx([18.7e9, 19.2e9, 17.3e9])  # tấn compared as kg
    assert agrees(one("19,2 triệu tấn"), found[1])


def test_measure_units_are_compared_converted():
    # the seed-free case of a paraphrased weight: "3 tấn" is the archive's "3.000 kg"
    claim, archive = one("khoảng 3 tấn nước nặng"), one("khoảng 3.000 kg nước nặng")
    assert claim.same_unit(archive) and agrees(claim, archive)
    assert not agrees(one("hơn 500 km"), one("hơn 333.000 m"))  # 500 km is not borne out by 333 km
    assert agrees(one("gần 1,5 km"), one("1.450 m"))
    # the same digits in another measure unit is a unit diff, not a number diff
    swapped = one("3 kg nước nặng")
    assert claim.same_unit(swapped) and not agrees(claim, swapped) and scale_swapped(claim, swapped)
    # an area keeps its power and is never read as a length: 7,2 ha is 72.000 m2, 7,2 km2 a unit diff
    area = one("trên tổng diện tích 7,2 ha")
    assert area.same_unit(one("rộng 72.000 m2")) and agrees(area, one("rộng 72.000 m2"))
    assert one("7,2 km2").written == "7,2 km2" and scale_swapped(one("7,2 km2"), area)
    assert not one("7,2 km2").same_unit(one("7,2 km"))


def test_a_capitalised_phrase_head_is_no_name_but_a_titled_given_name_is():
    # claims-dev: "Đại học Sức khỏe cộng đồng Harvard" named "Đại" and "Sức", which no evidence repeats
    assert names("Theo nghiên cứu của Đại học Sức khỏe cộng đồng Harvard, ăn thêm thịt đỏ") == ["Harvard"]
    assert "Lợi" in names("Ông Lân bán căn nhà cho bà Lợi cho ông Nguyễn Hồng Lam")


def test_words_after_a_figure_that_are_no_unit():
    # "trở lên" is no unit: the archive's "300 tỷ trở lên" counts what the claim's "300 triệu đồng" does
    claim, archive = one("từ 300 triệu đồng trở lên"), one("dự án từ 300 tỷ trở lên")
    assert archive.unit == "" and claim.same_unit(archive)
    assert not agrees(claim, archive) and scale_swapped(claim, archive)


def test_years_and_dates_are_not_figures():
    text = "Năm 2005, ngày 25/10 lúc 14h30, tháng 12 có 2.005 người đến"
    assert [f.text for f in figures(text)] == ["2.005"]
    assert dates("ngày 25/10/2005 và tháng 5 năm 2006") == {"25/10", "2005", "tháng 5", "2006"}
    # a full date's year counts before 1950 too; dots and dashes only with the year ("27.2" is a decimal)
    assert dates("vào đêm 27.2.1943") == {"27/2", "1943"} and dates("đêm 27/2/1944") == {"27/2", "1944"}
    assert dates("ngày 25-10-2005") == {"25/10", "2005"} and dates("tăng 27.2 lần") == set()
    assert dates("qua đời ngày mồng 4 tháng 8 năm 1997") == {"4/8", "1997"}
    assert figures("vào đêm 27.2.1943, ngày mồng 4 tháng 8") == []


def test_a_year_without_a_counted_unit_is_no_figure():
    # "2005 có" is the championship's year; "năm 1875" a year before 1950; "2000 người" a count
    assert [f.written for f in figures("Giải bóng đá nữ quốc gia 2005 có 8 đội tham dự")] == ["8 đội tham"]
    assert [f.text for f in figures("Bà sinh năm 1875 và qua đời ở tuổi 122")] == ["122"]
    assert [f.text for f in figures("Lễ hội có 2000 người dự")] == ["2000"]


def test_an_event_date_is_told_from_a_statistics_period():
    assert event_dated("Zinedine Zidane sinh năm 1974 và khởi nghiệp ở tuổi 16.")
    assert event_dated("Nghị quyết số 22-NQ/TW được ban hành ngày 10/4/2012.")
    assert event_dated("Ông bán căn nhà cho bà Lợi vào năm 2001 với giá 50 triệu đồng.")
    assert not event_dated("Năm 2012, kim ngạch xuất nhập khẩu qua Lạng Sơn đạt 2,25 tỷ USD.")
    assert not event_dated("Hơn 100 triệu người Mỹ đã đến các công viên đại dương trong năm 2003.")


def test_dates_differ_only_within_one_kind():
    assert not dates_differ({"tháng 12"}, {"ngày 12"})  # a month is not contradicted by a day
    assert dates_differ({"29/4"}, {"19/4"}) and dates_differ({"10/4", "2012"}, {"10/4", "2013"})
    assert not dates_differ({"10/4", "2012"}, {"10/4", "2012", "tháng 5"})


def test_a_quarter_is_a_date_of_its_own_kind():
    assert dates("trong quý 3 năm 2005") == {"quý 3", "2005"}
    assert dates_differ({"quý 3", "2005"}, {"quý 4", "2005"})


def test_a_sentence_stating_both_directions_is_read_at_the_agreeing_figure():
    text = "Khách Mỹ và Nhật Bản tăng hơn 16% so với cùng kỳ năm ngoái."
    claim = Claim(text, None, None, tuple(figures(text)), frozenset(), direction(text))
    sentence = ("Bên cạnh những thị trường tăng trưởng cao, số lượng khách Mỹ và Nhật Bản giảm hơn 16% "
                "so với cùng kỳ năm ngoái.")
    assert direction(sentence) == ""  # both words: the sentence as a whole says neither
    def at(sentence):
        return _direction_at(sentence, _figures(claim, sentence, sentence, CHECK_RULES)[1], CHECK_RULES)
    assert at(sentence) == "down"
    assert at("Doanh thu tăng 9% nhưng lợi nhuận giảm 3%.") == ""  # no 16%


def test_hedges_decide_agreement():
    assert agrees(one("gần 68.000 chữ ký"), one("67.950 chữ ký"))
    assert not agrees(one("hơn 500 km"), one("hơn 333 km"))
    assert agrees(one("hơn 300 km"), one("333 km"))
    assert agrees(one("khoảng 1,4 tỷ đồng"), one("1,35 tỷ đồng"))
    assert not agrees(one("30 dự án"), one("28 dự án"))
    assert agrees(one("0,54 tỷ USD"), one("540,5 triệu USD"))  # scales compared as values


def test_a_swapped_scale_is_a_unit_change():
    claim, archive = one("540,5 tỷ USD"), one("540,5 triệu USD")
    assert not agrees(claim, archive) and scale_swapped(claim, archive)


def test_a_bound_is_borne_out_only_near_its_value():
    # "hơn 513,2 triệu" is literally below 513,2 tỷ, but no one quotes the one for the other
    claim, archive = one("hơn 513,2 triệu đồng"), one("513,2 tỷ đồng")
    assert not agrees(claim, archive) and scale_swapped(claim, archive)
    assert agrees(one("hơn 20 dự án"), one("28 dự án"))
    assert not agrees(one("hơn 20 dự án"), one("228 dự án"))
    assert agrees(one("dưới 30 dự án"), one("28 dự án"))
    assert not agrees(one("dưới 300 dự án"), one("28 dự án"))


def test_units_compare_by_their_telling_words():
    assert one("153 đoàn cán bộ").same_unit(one("153 đoàn với"))
    assert not one("28 dự án").same_unit(one("28 du khách"))
    assert not one("28 dự án").same_unit(one("28 người"))


def test_names_leave_out_a_province_that_opens_them():
    assert names("Giám đốc Sở Ngoại vụ Cao Bằng Nguyễn Văn Hùng cho biết") == ["Sở Ngoại", "Nguyễn Văn Hùng"]
    assert names("Lạng Sơn có 28 dự án FDI") == ["FDI"]  # the province alone is no name
    assert is_person("Nguyễn Văn Hùng") and not is_person("Sở Ngoại")


def test_names_split_a_person_from_the_words_before_and_drop_an_opening_word():
    # Trịnh is a family name too: the three-word person name is the one taken
    assert names("Chủ tịch UBND phường Phú Trinh Nguyễn Văn Tâm đã ký") == ["UBND", "Phú Trinh", "Nguyễn Văn Tâm"]
    assert names("Theo Bộ Thương mại, giá tăng") == ["Bộ Thương"]
    assert names("Nguyễn Văn Tâm đã ký") == ["Nguyễn Văn Tâm"]


def test_a_name_is_replaced_by_another_word_not_by_a_function_word():
    claim = "Biệt kích Na Uy đột kích nhà máy Vemork, phá hủy khoảng 3 tấn nước nặng."
    assert not _replaced(claim, "Vemork", "khoảng 3.000 kg nước nặng - tức sản lượng của nhà máy trong 4 tháng")
    assert _replaced(claim, "Vemork", "Quân Đức bảo vệ nhà máy Rjukan suốt mùa đông.")
    assert _replaced("Hàng qua hải quan Pháp tăng 5%.", "Pháp", "Hàng qua hải quan Việt Nam tăng 5%.")


def test_a_number_after_a_label_word_is_no_figure():
    assert [f.written for f in figures("nguy cơ mắc tiểu đường type 2 tăng 26%")] == ["26%"]
    assert [f.written for f in figures("Học sinh lớp 12 có 300 em dự thi đợt 3.")] == ["300 em dự"]
    # read with diacritics: "bằng 67,3%" and "mức 20%" are figures ("bảng", "mục" would be labels)
    assert [f.text for f in figures("đạt 263,9 triệu USD bằng 67,3% tổng vốn, mức 20% năm trước")] == [
        "263,9", "67,3", "20"]


def claim_of(text: str) -> Claim:
    return Claim(text, None, None, (), frozenset(), "", names=tuple(names(text)))


def test_a_place_swapped_after_the_same_place_word():
    tour = claim_of("Ca sĩ Cẩm Vân và tay trống Khắc Triệu quen nhau trong một lần đi biểu diễn ở Pháp.")
    sentence = "Quen nhau trong lần biểu diễn ở Nga, ngay từ lúc đó họ đã thấy tâm đầu ý hợp."
    assert _swapped_place(tour, sentence, f"Cẩm Vân - Khắc Triệu: 20 năm {sentence}") == ("place", "Pháp", "Nga")
    assert _swapped_place(tour, "Họ biểu diễn ở Pháp và ở Nga.", "Họ biểu diễn ở Pháp và ở Nga.") is None
    shop = claim_of("Ngô Hoàng Trinh là chủ quán cơm Tám Ri ở huyện Chợ Gạo, Tiền Giang.")
    said = "Ngô Hoàng Trinh, chủ quán cơm Tám Ri – tọa lạc tại xã Mỹ Đức Đông, huyện Cái Bè (Tiền Giang)."
    assert _swapped_place(shop, said, said) == ("place", "Chợ Gạo", "Cái Bè")
    customs = claim_of("Năm ngoái, hải quan Việt Nam đã bắt giữ 550.000 sản phẩm hàng giả.")
    assert _swapped_place(customs, "Năm ngoái, hải quan Pháp cũng đã bắt giữ được 550.000 sản phẩm.", "") is None


def test_a_refutation_decides_on_its_context_or_on_its_whole_article():
    claim = claim_of("Giá tivi tại Việt Nam đắt hơn từ 5-10% so với Indonesia, Malaysia và Singapore.")
    def refutes(topic, own, article):
        return _decisive(claim, Relation(None, "refutes", topic, (("direction", "đắt hơn", "rẻ hơn"),),
                                         coverage=own, article=article), CHECK_RULES)
    assert refutes(topic=0.85, own=0.3, article=0.85)  # the sentence and its context state the topic
    assert refutes(topic=0.74, own=0.69, article=0.95)  # the article does, and the sentence most of it
    assert not refutes(topic=0.74, own=0.5, article=0.95)  # the sentence itself says too little
    assert not refutes(topic=0.74, own=0.69, article=0.8)  # the article is about something else


def claim_read(text: str) -> Claim:
    """A claim parsed as the API parses one: the text, and its topic without figures."""
    found = figures(text)
    return read_claim(parse_query(text), found, parse_query(topic_of(text, found)))


def test_a_foreign_name_is_met_by_its_last_word_a_vietnamese_one_is_not():
    def idf(_):
        return 1.0
    zidane = claim_read("Zinedine Zidane sinh năm 1974 và khởi nghiệp cầu thủ ở tuổi 16 tại CLB Cannes.")
    said = "Zidane sinh năm 1972, và khởi nghiệp cầu thủ ở tuổi 16 tại CLB nhỏ, Cannes."
    assert coverage(zidane.topic, idf, said) == 1
    tho = claim_read("Bị cáo Nguyễn Đức Thọ bị đề nghị 14-16 năm tù.")
    assert coverage(tho.topic, idf, "Bị cáo Thọ bị đề nghị 14-16 năm tù.") < 1


def test_a_body_every_province_has_does_not_tell_the_same_event():
    hanoi = claim_of("Theo Sở Thương mại Hà Nội, tổng giá trị khuyến mãi trên địa bàn Hà Nội tăng gần gấp đôi.")
    assert not _shared_names(hanoi, "Theo Sở Thương mại TP HCM, tổng giá trị khuyến mãi tăng gần gấp đôi.")
    hotel = claim_of("Khách sạn Poseidon của Bruce Jones nằm ở độ sâu 15 m.")
    assert _shared_names(hotel, "Ông Bruce Jones cho biết khách sạn nằm ngoài khơi đảo Eleuthera.")


def test_an_acronym_is_matched_as_written():
    assert _has("nhu cầu phân DAP tăng", "DAP") and not _has("đảm bảo đáp ứng nhu cầu", "DAP")
    assert _has("Uỷ ban nhân dân Cao Bang", "Cao Bằng")  # other names: any spelling


def test_direction_reads_words_not_syllables():
    assert direction("Kim ngạch xuất khẩu giảm 3,5%") == "down"
    assert direction("giá buôn đường kính sẽ tiếp tục tăng nhẹ") == "up"
    assert direction("Giám đốc Sở tăng cường kiểm tra") == ""  # "giám" is no "giảm", "tăng cường" no rise


def test_checkable_sentences():
    assert checkable("Lạng Sơn có 28 dự án FDI còn hiệu lực.")
    assert checkable("Ông Trịnh Tuyết Mai là Giám đốc Sở Ngoại vụ Cao Bằng.")
    assert not checkable("Theo tôi, đây là một thành tích đáng tự hào.")
    assert not checkable("Lạng Sơn có bao nhiêu dự án FDI?")
    assert not checkable("Xin chào các bạn độc giả.")
    assert is_person("Nguyễn Mạnh Thắng") and not is_person("Công ty Nam Sơn")


# ------------------------------------------------------------------ metrics
def test_a_claims_clauses_part_at_joining_words():
    text = "Lạng Sơn có 28 dự án FDI còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD."
    projects, capital = figures(text)
    assert clause_words(text, projects) == {"lang", "son", "co", "28", "du", "an", "fdi", "con", "hieu", "luc"}
    assert clause_words(text, capital) == {"tong", "von", "dang", "ky", "hon", "228", "trieu", "usd"}


def test_a_sentence_about_another_named_measure_is_told_apart():
    claim = claim_of("Lạng Sơn có 28 dự án FDI còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD.")
    oda = "Như vốn ODA, tỉnh đã tiếp nhận và triển khai 11 chương trình dự án với tổng vốn hơn 122 triệu USD."
    fdi = "Toàn tỉnh hiện có 28 dự án có vốn đầu tư nước ngoài còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD."
    assert _other_measure(claim, oda) and not _other_measure(claim, fdi)  # FDI is "vốn đầu tư nước ngoài" spelled out
    assert not _other_measure(claim, "Tỉnh đã tiếp nhận 11 chương trình với tổng vốn hơn 122 triệu USD.")


def test_per_class_and_macro_f1():
    gold = ["supported", "supported", "refuted", "nei"]
    said = ["supported", "nei", "refuted", "nei"]
    table = per_class(gold, said, ["supported", "refuted", "nei"])
    assert table["supported"]["precision"] == 1.0 and table["supported"]["recall"] == 0.5
    assert table["nei"]["precision"] == 0.5 and table["nei"]["recall"] == 1.0
    assert macro_f1(table) == round((2 / 3 + 1.0 + 2 / 3) / 3, 4)


# --------------------------------------------------- verdicts, real model
@pytest.fixture(scope="module")
def rag(tmp_path_factory):
    from tests.conftest import CORPUS

    tmp = tmp_path_factory.mktemp("check")
    return RAG(Settings(corpus_dir=CORPUS, index_dir=tmp / "index"), embedder=E5Embedder(Settings()))


def test_changed_figure_is_refuted_with_its_diff(rag):
    c = rag.check("Lạng Sơn có 30 dự án có vốn đầu tư nước ngoài còn hiệu lực.")
    assert c.verdict == "refuted"
    assert c.citations[0].article_id == "000_bf7702f0972e1e9e" and "28 dự án" in c.citations[0].sentence
    assert (c.diffs[0].kind, c.diffs[0].claim) == ("number", "30") and c.diffs[0].archive.startswith("28")
    assert "28" in c.explanation and "30" in c.explanation and "[1]" in c.explanation


def test_true_claim_is_supported_by_its_province(rag):
    c = rag.check("Lào Cai có 20 dự án FDI còn hiệu lực với tổng vốn đăng ký 540,5 triệu USD.")
    assert c.verdict == "supported" and c.citations[0].article_id == "004_9294ea0d03f08fb7"
    assert c.citations[0].sentence in c.citations[0].text  # the evidence sentence, verbatim in its passage


@pytest.mark.parametrize("claim", ["Lạng Sơn có 28 dự án FDI còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD.",
                                   "Lạng Sơn có 28 dự án FDI còn hiệu lực."])
def test_a_true_claim_is_supported_not_refuted_by_another_measure(rag, claim):
    """The ODA sentence's "122 triệu USD" (another measure) used to refute the true claim, and without the money
    figure it was nei: "FDI" is now met by the article's "vốn đầu tư nước ngoài"."""
    c = rag.check(claim)
    assert c.verdict == "supported" and c.citations[0].article_id == "000_bf7702f0972e1e9e"
    assert "28 dự án" in c.citations[0].sentence


PLANTED = "Lạng Sơn thu hút đầu tư\n\nToàn tỉnh Lạng Sơn hiện có 35 dự án FDI còn hiệu lực.\n"


@pytest.mark.parametrize("claim, first", [
    ("Lạng Sơn có 28 dự án FDI còn hiệu lực.", "000_bf7702f0972e1e9e"),
    ("Lạng Sơn có 28 dự án FDI còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD.", "000_bf7702f0972e1e9e"),
    ("Lạng Sơn có 35 dự án FDI còn hiệu lực.", "planted"),
])
def test_a_planted_figure_makes_sources_conflict_never_decides(rag, corpus_copy, tmp_path, claim, first):
    """An article stating 35 where 000 states 28: neither decides alone; the check is "conflicting" citing both,
    the source that bears the claim out first (it was refuted citing the planted file alone)."""
    (corpus_copy / "planted.txt").write_text(PLANTED, encoding="utf-8")
    planted = RAG(Settings(corpus_dir=corpus_copy, index_dir=tmp_path / "index"), embedder=rag.embedder)
    c = planted.check(claim)
    assert c.verdict == "conflicting"
    assert [x.article_id for x in c.citations] == [first, ({"planted", "000_bf7702f0972e1e9e"} - {first}).pop()]
    assert [(d.kind, d.citation) for d in c.diffs] == [("number", 2)]


def test_a_bound_with_another_scale_is_refuted_as_a_unit_change(rag):
    # "hơn 228 nghìn USD" is below 228 triệu USD, but it misquotes the figure
    c = rag.check("Lạng Sơn có 28 dự án FDI còn hiệu lực, tổng vốn đăng ký hơn 228 nghìn USD.")
    assert c.verdict == "refuted" and c.citations[0].article_id == "000_bf7702f0972e1e9e"
    assert [(d.kind, d.claim, d.archive) for d in c.diffs] == [("unit", "228 nghìn USD", "228 triệu USD")]


def test_a_claim_joining_two_sentences_of_one_article(rag):
    # 004: "14 dự án ... 391,9 triệu USD" in one sentence, "tăng 26,7%" in the one before, both cited; the
    # other figure of the first sentence ("72%") does not refute a figure another sentence states exactly
    claim = ("Lào Cai có 14 dự án FDI Trung Quốc với tổng vốn đăng ký 391,9 triệu USD, giá trị xuất nhập khẩu "
             "năm 2019 tăng {}% so với năm 2018.")
    c = rag.check(claim.format("26,7"))
    assert c.verdict == "supported" and [x.article_id for x in c.citations] == ["004_9294ea0d03f08fb7"] * 2
    assert "391,9 triệu USD" in c.citations[0].sentence and "26,7%" in c.citations[1].sentence
    assert c.explanation.endswith("391,9 triệu USD [1]; 26,7% [2].")  # each figure with the sentence it is in
    assert rag.check(claim.format("36,7")).verdict != "supported"


def test_a_name_the_article_gives_elsewhere_backs_a_figure_a_person_does_not(rag):
    # 000 names the Sở Ngoại vụ paragraphs before its 28 dự án sentence (before, the 122 triệu USD of
    # ODA refuted it); a person's name must stand by the sentence
    claim = ("Theo {}, Lạng Sơn có 28 dự án có vốn đầu tư nước ngoài còn hiệu lực với tổng vốn đăng ký "
             "hơn 228 triệu USD.")
    c = rag.check(claim.format("Sở Ngoại vụ"))
    assert c.verdict == "supported" and c.citations[0].article_id == "000_bf7702f0972e1e9e"
    assert rag.check(claim.format("ông Nguyễn Văn Hùng")).verdict != "supported"


def test_a_reversed_direction_is_refuted_its_word_aside_from_the_topic(rag):
    # 004: "giá trị xuất nhập khẩu tăng qua các năm": the sentence cannot hold the "giảm" it reverses
    c = rag.check("Giá trị xuất nhập khẩu qua các cửa khẩu ở Lào Cai năm 2019 giảm so với năm 2018.")
    assert c.verdict == "refuted" and c.citations[0].article_id == "004_9294ea0d03f08fb7"
    assert [(d.kind, d.claim, d.archive) for d in c.diffs] == [("direction", "giảm", "tăng")]


# A court report written for this test: the claim's person is named in the sentence before the one that
# gives the claim's sentence to someone else.
COURT_CASE = """VKS đề nghị mức án cho băng cướp xe máy ở Hà Đông

Tại phiên tòa ngày 5/3, đại diện VKS đề nghị mức án cho 12 bị cáo trong băng cướp xe máy hoạt động ở Hà Đông.

Được xác định là kẻ cầm đầu, bị cáo Lê Văn Hòa bị đề nghị mức án 14-16 năm tù về tội cướp tài sản. Hòa là người \
cung cấp hung khí cho đồng bọn.

Với biệt danh "Quân Sẹo", bị cáo Trần Minh Quân có mức án đề nghị 7-8 năm tù về tội cố ý gây thương tích. Quân \
nhiều lần cầm dao đâm người đi đường.
"""


def test_a_sentence_naming_another_person_refutes_though_its_context_names_the_claims(rag, corpus_copy, tmp_path):
    (corpus_copy / "court_case.txt").write_text(COURT_CASE, encoding="utf-8")
    court = RAG(Settings(corpus_dir=corpus_copy, index_dir=tmp_path / "index"), embedder=rag.embedder)
    c = court.check("Bị cáo Lê Văn Hòa bị VKS đề nghị mức án 7-8 năm tù về tội cố ý gây thương tích.")
    assert c.verdict == "refuted" and "Trần Minh Quân" in c.citations[0].sentence
    assert [(d.kind, d.claim, d.archive) for d in c.diffs] == [("name", "Lê Văn Hòa", "Trần Minh Quân")]
    assert court.check("Bị cáo Trần Minh Quân có mức án đề nghị 7-8 năm tù về tội cố ý gây thương tích.").verdict == (
        "supported")


def test_another_province_never_supports(rag):
    c = rag.check("Cao Bằng có 28 dự án FDI.")
    assert c.verdict in ("refuted", "nei")
    assert all(x.article_id != "000_bf7702f0972e1e9e" for x in c.citations)


def test_another_year_is_not_enough_information(rag):
    c = rag.check("Năm 2024 Lạng Sơn có 35 dự án FDI.")
    assert c.verdict == "nei" and not c.citations and "2024" in c.explanation


def test_the_same_figure_dated_another_year_is_not_enough_information(rag):
    # the archive gives 1,501 tỷ USD for 2009: it neither bears out nor contradicts a 2008 figure
    c = rag.check("Năm 2008, hàng hóa xuất nhập khẩu qua tỉnh Lạng Sơn đạt 1,501 tỷ USD.")
    assert c.verdict == "nei" and not c.citations and not c.diffs
    assert any("1,501 tỷ USD" in r.sentence for r in c.related)


def test_a_swapped_person_is_refuted_with_a_name_diff(rag):
    # 003 names the director Huỳnh Văn Nam; the sentence cannot hold the name it replaces
    c = rag.check("Theo Giám đốc Sở Ngoại vụ Nguyễn Văn Hùng, công tác ngoại giao kinh tế của tỉnh Cao Bằng "
                  "còn nhiều hạn chế, chưa khai thác hết lợi thế của hội nhập.")
    assert c.verdict == "refuted" and c.citations[0].article_id == "003_230b29e6c2dd1faa"
    assert [(d.kind, d.claim, d.archive) for d in c.diffs] == [("name", "Nguyễn Văn Hùng", "Huỳnh Văn Nam")]


def test_an_event_dated_another_year_is_refuted_with_a_date_diff(rag):
    # 000 dates Nghị quyết 22-NQ/TW to 10/4/2013: an event's date, not a statistic's period
    c = rag.check("Nghị quyết số 22-NQ/TW của Bộ Chính trị về hội nhập quốc tế được ban hành ngày 10/4/2012.")
    assert c.verdict == "refuted" and c.citations[0].article_id == "000_bf7702f0972e1e9e"
    assert [(d.kind, d.claim, d.archive) for d in c.diffs] == [("date", "2012", "2013")]


def test_draft_marks_opinions_not_checkable(rag):
    checks = rag.check_text("Theo tôi, đây là thành tích đáng tự hào. Lạng Sơn có 30 dự án FDI còn hiệu lực.")
    assert [c.verdict for c in checks] == ["not_checkable", "refuted"]
    json.dumps(checks[1].to_dict(), ensure_ascii=False)  # serialisable as the CLI and API send it


def test_modes_are_one_typed_list():
    from rag.errors import BadQuestion
    from rag.modes import get, names

    assert names("question") == ["auto", "extractive", "llm"] and names("check") == ["check"]
    assert get("llm").uses_llm and not get("extractive").uses_llm
    with pytest.raises(BadQuestion, match="auto, extractive, llm"):
        get("check")  # a check mode does not answer questions
