"""A growable columnar bar store: the chart's history, kept in numpy arrays.

Appending a bar or editing the last one is O(1) (amortised: capacity doubles when full), so
a live chart never copies or rescans its history on an update. Nothing here imports Qt.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

MIN_CAPACITY = 1024


class Upsert(Enum):
    APPENDED = "appended"
    EDITED = "edited"
    IGNORED = "ignored"  # older than the last bar: history is never rewritten by a live update


class BarSeries:
    """Bars keyed by open time (int64 ns UTC), strictly increasing, one row per bar.

    `ts`, `open` ... `volume` are views of the first `len(self)` rows. A view taken before
    an append that grows the capacity keeps pointing at the old buffer: take them afresh.
    Volume NaN means "unknown", which is not the same as 0.
    """

    def __init__(self, capacity: int = MIN_CAPACITY) -> None:
        self._n = 0
        self._alloc(max(capacity, 1))
        self.version = 0  # bumped by every change; the widget compares it per frame
        self.appends = 0
        self.edits = 0
        self.ignored = 0
        self.reallocations = 0

    def _alloc(self, capacity: int) -> None:
        self._ts: I64 = np.zeros(capacity, dtype=np.int64)
        self._cols: F64 = np.full((5, capacity), np.nan, dtype=np.float64)

    @property
    def capacity(self) -> int:
        return int(self._ts.shape[0])

    def __len__(self) -> int:
        return self._n

    @property
    def ts(self) -> I64:
        return self._ts[: self._n]

    @property
    def open(self) -> F64:
        return self._cols[0, : self._n]

    @property
    def high(self) -> F64:
        return self._cols[1, : self._n]

    @property
    def low(self) -> F64:
        return self._cols[2, : self._n]

    @property
    def close(self) -> F64:
        return self._cols[3, : self._n]

    @property
    def volume(self) -> F64:
        return self._cols[4, : self._n]

    def replace(self, ts: npt.ArrayLike, o: npt.ArrayLike, h: npt.ArrayLike,
                low: npt.ArrayLike, c: npt.ArrayLike, v: npt.ArrayLike | None = None) -> None:
        """Replace the whole history. Unsorted input is sorted by time; for a repeated
        timestamp the later row wins (the same rule as a live edit of the last bar)."""
        stamps = np.asarray(ts, dtype=np.int64).ravel()
        n = stamps.shape[0]
        columns = [np.asarray(a, dtype=np.float64).ravel() for a in (o, h, low, c)]
        columns.append(np.full(n, np.nan) if v is None
                       else np.asarray(v, dtype=np.float64).ravel())
        if any(col.shape[0] != n for col in columns):
            raise ValueError(f"ts, o, h, l, c, v must have one length; got "
                             f"{[n, *(col.shape[0] for col in columns)]}")
        if n > 1 and not bool(np.all(stamps[1:] > stamps[:-1])):
            order = np.argsort(stamps, kind="stable")
            stamps = stamps[order]
            keep = np.append(stamps[1:] != stamps[:-1], True)  # the last of each run
            stamps = stamps[keep]
            columns = [col[order][keep] for col in columns]
            n = stamps.shape[0]
        capacity = MIN_CAPACITY
        while capacity < n + n // 4:
            capacity *= 2
        self._alloc(capacity)
        self._ts[:n] = stamps
        for row, col in enumerate(columns):
            self._cols[row, :n] = col
        self._n = n
        self.version += 1

    def upsert(self, ts: int, o: float, h: float, low: float, c: float, v: float) -> Upsert:
        """Same time as the last bar: edit it in place. Newer: append. Older: ignore."""
        n = self._n
        if n and ts == self._ts[n - 1]:
            i = n - 1
            self.edits += 1
            result = Upsert.EDITED
        elif n and ts < self._ts[n - 1]:
            self.ignored += 1
            return Upsert.IGNORED
        else:
            if n == self.capacity:
                self._grow()
            i = n
            self._ts[i] = ts
            self._n = n + 1
            self.appends += 1
            result = Upsert.APPENDED
        cols = self._cols
        cols[0, i] = o
        cols[1, i] = h
        cols[2, i] = low
        cols[3, i] = c
        cols[4, i] = v
        self.version += 1
        return result

    def _grow(self) -> None:
        ts, cols, n = self._ts, self._cols, self._n
        self._alloc(2 * self.capacity)
        self._ts[:n] = ts[:n]
        self._cols[:, :n] = cols[:, :n]
        self.reallocations += 1

    def index_at(self, ts: int) -> int:
        """The index of the bar holding `ts` (the last bar opened at or before it); -1 if
        `ts` is before the first bar. A time inside a gap belongs to the bar before it."""
        return int(np.searchsorted(self.ts, ts, side="right")) - 1
