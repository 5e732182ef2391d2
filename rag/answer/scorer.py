"""``Signals`` -> probability that a sentence answers the question.

In: the signals of one candidate sentence. Out: a probability from a
logistic model whose weights, bias and answer threshold are one named record,
``ScorerWeights``, saved as data in ``scorer.json`` beside this module. The
record is fitted on the dev splits only (``scripts/fit_scorer.py``: the
archive dev set and the seed set), never on a test split; the file says what
it was fitted on and with which figures.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.answer.signals import FEATURES, Signals

WEIGHTS_FILE = Path(__file__).with_name("scorer.json")
# What the answer decider reads beside the signals: the best sentence's rank
# probability, and its margin over the next sentence (an answer stands out).
DECIDER_EXTRAS: tuple[str, ...] = ("rank_probability", "margin")


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class ScorerWeights:
    """Two logistic models over the same signals: ``weights`` ranks the
    sentences of one question (is this the answering sentence?);
    ``answer_weights`` decides, from the best sentence's signals plus
    ``DECIDER_EXTRAS``, whether it answers at all."""

    bias: float
    weights: dict[str, float]  # one per name in ``signals.FEATURES``
    answer_bias: float
    answer_weights: dict[str, float]  # the same names plus ``DECIDER_EXTRAS``
    threshold: float  # the least answer probability at which the best sentence answers
    fitted_on: str = ""
    notes: dict = field(default_factory=dict)

    def __post_init__(self):
        unknown = (set(self.weights) | set(self.answer_weights)) - set(FEATURES) - set(DECIDER_EXTRAS)
        if unknown:
            raise ValueError(f"scorer weights name unknown signals: {sorted(unknown)}")

    def probability(self, s: Signals) -> float:
        """How likely this sentence is the one that answers (ranking)."""
        return _logistic(self.bias + sum(self.weights.get(n, 0.0) * v for n, v in zip(FEATURES, s.vector())))

    def answer_probability(self, s: Signals, margin: float) -> float:
        """How likely the best sentence, with these signals and ``margin``
        (its rank probability less the next sentence's), answers the question."""
        extras = {"rank_probability": self.probability(s), "margin": margin}
        z = self.answer_bias + sum(self.answer_weights.get(n, 0.0) * v for n, v in extras.items())
        return _logistic(z + sum(self.answer_weights.get(n, 0.0) * v for n, v in zip(FEATURES, s.vector())))

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "ScorerWeights":
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def save(self, path: Path = WEIGHTS_FILE) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
