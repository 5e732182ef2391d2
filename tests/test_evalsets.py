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
