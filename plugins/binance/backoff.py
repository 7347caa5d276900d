"""Jittered exponential backoff for reconnects and retries.

Delay n (from 0) is drawn from [d/2, d] with d = min(maximum, initial * 2**n) ("equal
jitter"): never zero, so a venue that drops many clients at once is not hit by all of them
in the same instant, and never above `maximum`.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, initial_s: float, maximum_s: float,
                 rng: random.Random | None = None) -> None:
        if initial_s <= 0 or maximum_s < initial_s:
            raise ValueError("backoff needs 0 < initial <= maximum")
        self.initial_s = initial_s
        self.maximum_s = maximum_s
        self.attempt = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        ceiling = min(self.maximum_s, self.initial_s * float(2 ** min(self.attempt, 62)))
        self.attempt += 1
        return float(ceiling / 2 + self._rng.uniform(0, ceiling / 2))

    def reset(self) -> None:
        self.attempt = 0
