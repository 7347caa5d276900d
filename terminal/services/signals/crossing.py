"""Sign changes of a difference (fast - slow, MACD - signal) across bars."""

from __future__ import annotations

import math


class CrossTracker:
    """+1 when a difference turns positive, -1 when it turns negative, else 0.

    A difference of exactly 0 (two equal lines, e.g. over flat bars) is not a side: the
    lines have touched, not crossed, so the sign seen before it stays. The first side
    seen is where the lines are, not a cross, and gives no signal. NaN is skipped."""

    def __init__(self) -> None:
        self._side = 0

    def reset(self) -> None:
        self._side = 0

    def update(self, diff: float) -> int:
        if math.isnan(diff) or diff == 0.0:
            return 0
        side = 1 if diff > 0.0 else -1
        before = self._side
        self._side = side
        return side if before not in (0, side) else 0
