"""The committed splits share no archive article: the reader's training sets, the dev splits (model
selection and limits) and each test split are written from disjoint articles (the five seed
articles excepted: the seed sets ``qa`` and ``holdout`` are about nothing else, and the claims
splits quote them too); ``check_evalset.py --disjoint`` refuses anything but set files."""

import importlib.util
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_evalset", REPO / "scripts" / "check_evalset.py")
ce = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ce)

EVAL = REPO / "eval"
SPLITS = {
    "train": sorted((EVAL / "train").rglob("*.jsonl")),  # pending/: written, not yet trained on
    "dev": [EVAL / "archive-dev.jsonl", EVAL / "claims-dev.jsonl", EVAL / "claims-dev2.jsonl", EVAL / "claims-dev3.jsonl"],
    "archive-test": [EVAL / "archive-test.jsonl"],
    "blind-test": [EVAL / "blind-test.jsonl"],
    "claims-test": [EVAL / "claims-test.jsonl"],
    "claims-blind-test": [EVAL / "claims-blind-test.jsonl"],
}
SEEDS = {p.stem for p in (REPO / "corpus").glob("*.txt")}


def test_training_dev_and_test_splits_share_no_archive_article():
    assert len(SPLITS["train"]) >= 10  # the questions and claims files
    groups = [[str(p) for p in paths] for paths in SPLITS.values()]
    shared = [e for e in ce.disjoint(groups) if e.split()[1] not in SEEDS]
    assert shared == []
    # and the check itself finds a shared article
    twice = ce.disjoint([[str(EVAL / "blind-test.jsonl")], [str(SPLITS["train"][0]), str(EVAL / "blind-test.jsonl")]])
    assert twice and all(e.startswith("article ") for e in twice)


def test_disjoint_refuses_an_option_among_its_files_in_one_line():
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "check_evalset.py"), "--disjoint",
                          str(EVAL / "qa.jsonl"), "--", str(EVAL / "holdout.jsonl"), "--archive", "x"],
                         check=False, capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stdout.strip() == "error: --disjoint takes only eval set files (groups split by --); not a file: --archive"
    assert "Traceback" not in run.stderr


def test_evidence_overlap_measures_how_far_a_paraphrase_left_the_articles_wording():
    evidence = ("Các khách sạn sang trọng trên bãi biển Haeundae của Busan gần nơi diễn ra hội nghị đắt khách nhất "
                "và có thể chứa 10.000 khách liên quan đến các cuộc họp kéo dài một tuần của APEC.")
    source = "Các khách sạn sang trọng trên bãi biển Haeundae của Busan có thể chứa bao nhiêu khách dự APEC?"
    reworded = "Các khu lưu trú cao cấp dọc bờ Haeundae (Busan) đủ chỗ cho bao nhiêu người đến dự APEC?"
    assert ce.evidence_overlap(source, evidence) > 0.8
    assert ce.evidence_overlap(reworded, evidence) < 0.3
    # names and figures are what a question is about: they never count; accents do not matter
    assert ce.evidence_overlap("Ở Haeundae Busan, APEC 10.000?", evidence) == 0.0
    assert ce.evidence_overlap(source, evidence) == ce.evidence_overlap("cac khach san sang trong tren bai bien "
                                                                         "Haeundae cua Busan co the chua bao nhieu "
                                                                         "khach du APEC?", evidence)
    rows = [{"type": "paraphrase", "question": q, "gold_evidence": [evidence]} for q in (source, reworded, reworded)]
    assert ce.paraphrase_overlap(rows) == (3, ce.evidence_overlap(reworded, evidence))
    assert ce.paraphrase_overlap([{**rows[0], "type": "figure"}]) is None
