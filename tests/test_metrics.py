import pytest

from rag.evaluate.questions import (
    answer_correct,
    first_rank,
    has_name,
    has_number,
    hit_at,
    misleading_short_answer,
    mrr,
    percentile,
)


def test_number_formats_are_normalised():
    assert has_number("đạt 23.630,9 triệu USD", 23630.9)
    assert has_number("about 23,630.9 million USD", 23630.9)
    assert has_number("hơn 1.200 lao động", 1200)
    assert has_number("1,5 triệu USD", 1.5)
    assert has_number("hơn 228 triệu USD", 228)
    assert has_number("0,228 tỷ USD", 228e6)
    assert not has_number("hơn 1.200 lao động", 12)
    assert not has_number("20 dự án", 28)


def test_names_ignore_case_and_accents():
    assert has_name("Bà TRỊNH Tuyết  Mai cho biết", "Trịnh Tuyết Mai")
    assert has_name("ba trinh tuyet mai", "Trịnh Tuyết Mai")
    assert not has_name("Bà Trịnh Mai", "Trịnh Tuyết Mai")


def test_answer_correct_needs_everything():
    assert answer_correct("28 dự án, 228 triệu USD", [28, 228], [])
    assert not answer_correct("28 dự án", [28, 228], [])
    assert not answer_correct("28 dự án, 228 triệu USD", [28, 228], ["Lạng Sơn"])


def test_a_short_answer_with_another_figure_is_misleading():
    assert misleading_short_answer("1,501 tỷ USD", [1.62])  # the 2009 figure for a 2010 question
    assert not misleading_short_answer("1,62 tỷ USD", [1.62])
    assert not misleading_short_answer("Bà Trịnh Tuyết Mai", [])  # nothing required
    assert not misleading_short_answer("", [1.62])  # no short answer: the quoted sentence answers


def test_rank_metrics():
    gold = [("a", 10, 20)]
    assert first_rank([("b", 0, 100), ("a", 0, 9), ("a", 15, 30)], gold) == 3
    assert first_rank([("a", 20, 30)], gold) is None  # touching is not overlapping
    ranks = [1, 3, None, 2]
    assert hit_at(ranks, 1) == 0.25 and hit_at(ranks, 5) == 0.75
    assert mrr(ranks) == pytest.approx((1 + 1 / 3 + 0 + 1 / 2) / 4)
    assert percentile([1, 2, 3, 4], 0.5) == 2.5 and percentile([], 0.5) == 0.0


def test_calibration_counts_right_answers_per_probability_band():
    from rag.evaluate.questions import Item, Outcome, calibration

    def outcome(p: float, answerable: bool, answered: bool, correct: bool) -> Outcome:
        item = Item("x", "figure" if answerable else "near-miss", "q?", answerable)
        return Outcome(item, "", "", answered, None, correct, False, 1.0, confidence=p)

    rows = {r["band"]: r for r in calibration([
        outcome(0.95, True, True, True), outcome(0.92, True, True, False), outcome(0.91, False, True, False),
        outcome(0.1, True, False, False), outcome(0.15, False, False, True)])}
    assert rows["0.9–1.0"] == {"band": "0.9–1.0", "n": 3, "answered": 3, "right_when_answered": round(1 / 3, 4)}
    assert rows["0.0–0.2"] == {"band": "0.0–0.2", "n": 2, "answered": 0, "right_when_answered": None}
    assert sum(r["n"] for r in rows.values()) == 5
