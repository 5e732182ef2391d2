"""One local model, many askers: a bounded queue in front of generation.

In: an asker's time budget (seconds, or None to wait as long as it takes).
Out: a turn with the model, or a refusal at once — with the expected wait —
when the answers already queued would not leave time to generate within the
budget. The local model generates one answer at a time (two cores); the
expected wait is the number of answers queued or generating times the
measured average generation time (a first guess until the first is measured).
Auto mode answers extractively when refused, so a crowd of askers never
piles up behind the model.
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
    expected_wait_s: float  # when refused: the wait it would have taken


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
    def turn(self, budget_s: float | None = None) -> Iterator[Turn]:
        """Hold the model for one generation, or be refused at once when the
        expected wait plus one generation would exceed ``budget_s``."""
        with self._state:
            wait = self._queued * self.average_s
            if budget_s is not None and wait + self.average_s > budget_s:
                refused = Turn(False, wait)
            else:
                refused = None
                self._queued += 1
        if refused is not None:
            yield refused
            return
        try:
            with self._model:
                t0 = time.perf_counter()
                try:
                    yield Turn(True, wait)
                finally:
                    took = time.perf_counter() - t0
                    with self._state:
                        self.average_s = (1 - SMOOTHING) * self.average_s + SMOOTHING * took
        finally:
            with self._state:
                self._queued -= 1
