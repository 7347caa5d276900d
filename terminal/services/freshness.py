"""When each instrument's feed was last seen and its usual gap, and the time of its last
quote, in arrays.

The quality monitor updates these for every event it checks, and the compiled run path
(terminal.kernels.book_runs) for every book update it applies, so both keep one state.
Slots are stable; the arrays are replaced (bigger) when a new instrument needs room.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

NEVER = -1  # last_seen of an instrument not seen yet


class Freshness:
    def __init__(self, gap_weight: float, capacity: int = 16) -> None:
        self.gap_weight = gap_weight
        self._slots: dict[object, int] = {}
        self._keys: list[object] = []
        self.last_seen: npt.NDArray[np.int64] = np.full(capacity, NEVER, dtype=np.int64)
        self.usual_gap: npt.NDArray[np.float64] = np.full(capacity, np.nan, dtype=np.float64)
        # the event time of the latest quote in order (0: none yet), for the order check
        self.last_quote: npt.NDArray[np.int64] = np.zeros(capacity, dtype=np.int64)
        self._bind()

    def _bind(self) -> None:
        # memoryviews read and write single cells as Python ints/floats, fast
        self._last: Any = self.last_seen.data
        self._gap: Any = self.usual_gap.data
        self.quote_times: Any = self.last_quote.data

    def slot(self, key: object) -> int:
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = len(self._keys)
            self._keys.append(key)
            if slot == len(self.last_seen):
                self.last_seen = np.concatenate(
                    [self.last_seen, np.full(slot, NEVER, dtype=np.int64)])
                self.usual_gap = np.concatenate(
                    [self.usual_gap, np.full(slot, np.nan, dtype=np.float64)])
                self.last_quote = np.concatenate(
                    [self.last_quote, np.zeros(slot, dtype=np.int64)])
                self._bind()
        return slot

    def slot_if_any(self, key: object) -> int | None:
        return self._slots.get(key)

    def seen(self, key: object, ts: int) -> None:
        """The feed of `key` delivered something received at `ts`."""
        slot = self._slots.get(key)
        if slot is None:
            slot = self.slot(key)
        previous = self._last[slot]
        if previous == NEVER:
            self._last[slot] = ts
        elif ts > previous:
            gap = float(ts - previous)
            usual = self._gap[slot]
            self._gap[slot] = gap if usual != usual else usual + self.gap_weight * (gap - usual)
            self._last[slot] = ts

    def items(self) -> Iterator[tuple[object, int, float | None]]:
        """(key, last seen, usual gap or None) of every key seen, in first-seen order."""
        last, gap = self._last, self._gap
        for slot, key in enumerate(self._keys):
            seen = last[slot]
            if seen != NEVER:
                usual = gap[slot]
                yield key, seen, None if usual != usual else usual
