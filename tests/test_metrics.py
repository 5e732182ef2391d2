import json
import subprocess
import sys
from pathlib import Path

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

REPO = Path(__file__).resolve().parents[1]


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


def _report(folder, outcomes):
    folder.mkdir()
    (folder / "report.json").write_text(json.dumps({"outcomes": outcomes}), encoding="utf-8")
    return str(folder)


def _question(qid, answerable, answered, correct):
    return {"item": {"id": qid, "answerable": answerable}, "answered": answered, "correct": correct}


def test_compare_reports_counts_right_answers_and_right_refusals(tmp_path):
    # A: answers q1 right, answers q2 wrong, answers the near-miss q3 (wrong), refuses q4 (answerable).
    # B: the same, but refuses q2 and the near-miss: 1 → 2 correct outcomes of 4 → 3 of 4.
    a = [_question("q1", True, True, True), _question("q2", True, True, False),
         _question("q3", False, True, False), _question("q4", True, False, False)]
    b = [_question("q1", True, True, True), _question("q2", True, False, False),
         _question("q3", False, False, False), _question("q4", True, False, False)]
    script = REPO / "scripts" / "compare_reports.py"
    run = subprocess.run([sys.executable, str(script), "--a", _report(tmp_path / "a", a),
                          "--b", _report(tmp_path / "b", b), "--samples", "200"],
                         capture_output=True, text=True, check=True)
    assert "correct outcomes A 0.250, B 0.500, B - A +0.250" in run.stdout
    assert "A: answer accuracy 0.333, false answers 1/3; B: answer accuracy 0.333, false answers 0/3" in run.stdout
    other = subprocess.run([sys.executable, str(script), "--a", str(tmp_path / "a"),
                            "--b", _report(tmp_path / "c", a[:3])], check=False, capture_output=True, text=True)
    assert other.returncode != 0 and "not on the same items" in other.stderr


def test_compare_reports_gives_claims_macro_f1_and_accuracy(tmp_path):
    # gold: supported, refuted, nei, nei. A says nei for all: accuracy 2/4; B gets the refuted one: 3/4.
    gold = ["supported", "refuted", "nei", "nei"]

    def claims(said):
        return [{"item": {"id": f"c{n}", "verdict": g}, "verdict": s} for n, (g, s) in enumerate(zip(gold, said))]

    script = REPO / "scripts" / "compare_reports.py"
    run = subprocess.run([sys.executable, str(script),
                          "--a", _report(tmp_path / "a", claims(["nei"] * 4)),
                          "--b", _report(tmp_path / "b", claims(["nei", "refuted", "nei", "nei"])), "--samples", "200"],
                         capture_output=True, text=True, check=True)
    # macro-F1: A = (0 + 0 + 2·2/(2·2+2)) / 3 = 0.222; B adds refuted F1 1 and nei 2·2/(2·2+1) = 0.8: 0.600
    assert "macro-F1 A 0.222, B 0.600, B - A +0.378" in run.stdout
    assert "verdict accuracy A 0.500, B 0.750, B - A +0.250" in run.stdout
