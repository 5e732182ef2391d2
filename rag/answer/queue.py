"""One local model, many askers: a bounded queue in front of generation.

In: an asker's time budget (seconds, or None to wait as long as it takes)
and how many other questions the server is answering. Out: a turn with the
model, or a refusal at once, with the expected time, when generating would
not fit the budget. The local model generates one answer at a time and
shares the two cores with every other question, so the expected time is
(answers queued + 1) x the measured average generation time (a first guess
until one is measured) x (1 + the other questions in flight). On an idle
server a turn is always granted, so the average keeps being measured. Auto
mode answers extractively when refused, so a crowd of askers never piles up
behind the model.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

SMOOTHING = 0.3  # weight of the newest generation time in the running average


@dataclass(frozen=True)
class Turn:
    granted: bool
    expected_s: float  # the expected wait plus generation, when asked


class GenerationQueue:
    def __init__(self, first_guess_s: float):
        self.average_s = first_guess_s
        self._model = threading.Lock()
        self._state = threading.Lock()
        self._queued = 0  # askers waiting for or holding the model

    @property
    def queued(self) -> int:
        return self._queued

    @contextmanager
    def turn(self, budget_s: float | None = None, others: int = 0) -> Iterator[Turn]:
        """Hold the model for one generation, or be refused at once when the
        expected wait and generation, with ``others`` questions sharing the
        cores, would exceed ``budget_s`` (never refused on an idle server)."""
        with self._state:
            expected = (self._queued + 1) * self.average_s * (1 + others)
            idle = self._queued == 0 and others == 0
            granted = budget_s is None or idle or expected <= budget_s
            if granted:
                self._queued += 1
        if not granted:
            yield Turn(False, expected)
            return
        try:
            with self._model:
                t0 = time.perf_counter()
                try:
                    yield Turn(True, expected)
                finally:
                    took = time.perf_counter() - t0
                    with self._state:
                        self.average_s = (1 - SMOOTHING) * self.average_s + SMOOTHING * took
        finally:
            with self._state:
                self._queued -= 1
