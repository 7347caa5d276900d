"""Bars of one timeframe rolled up into a longer one (chart timeframe switch), on arrays."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from terminal.model.market import Bar

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


class BarArrays(NamedTuple):
    ts: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64


def resample(bars: BarArrays, interval_ns: int) -> BarArrays:
    """Group bars by `ts // interval_ns` (UTC buckets; `ts` ascending): first open, max high,
    min low, last close, summed volume. Empty buckets stay absent: a gap stays a gap."""
    if interval_ns <= 0:
        raise ValueError(f"interval must be positive, not {interval_ns}")
    if not len(bars.ts):
        return bars
    bucket = bars.ts // interval_ns
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], len(bucket)] - 1
    return BarArrays(bucket[starts] * interval_ns, bars.open[starts],
                     np.fmax.reduceat(bars.high, starts), np.fmin.reduceat(bars.low, starts),
                     bars.close[ends], np.add.reduceat(np.nan_to_num(bars.volume), starts))


class LiveRollup:
    """The current bar of a longer timeframe, kept from the bars of a shorter one as they
    form and close: O(1) per new bar, no history rescanned.

    `seed` starts from the last bar already shown (history rolled up by `resample`), the open
    time of the last short bar inside it, and the stored short bars of that last bucket. A
    short bar at or before that time is a re-delivery of stored data (the same capture played
    again): it replaces its stored twin in the bucket instead of being added to it, so a bar
    seen twice is never counted twice; one in an older bucket changes nothing.
    """

    def __init__(self, interval_ns: int) -> None:
        if interval_ns <= 0:
            raise ValueError(f"interval must be positive, not {interval_ns}")
        self.interval_ns = interval_ns
        self._closed: Bar | None = None  # the closed short bars of the current long bar
        self._last_short_ts = -1
        self._tail: dict[int, Bar] = {}  # the stored short bars of the seeded bucket

    def seed(self, last: Bar | None, last_short_ts: int, tail: Iterable[Bar] = ()) -> None:
        self._closed = last
        self._last_short_ts = last_short_ts
        self._tail = {bar.ts: bar for bar in tail}

    def on_closed(self, short: Bar) -> Bar | None:
        """Fold a closed short bar in; the long bar it belongs to, or None if it changes
        nothing shown."""
        if short.ts <= self._last_short_ts:
            return self._redelivered(short, closed=True)
        self._last_short_ts = short.ts
        self._closed = self._merge(self._closed, short)
        return self._closed

    def with_forming(self, short: Bar) -> Bar | None:
        """The long bar as it stands with the forming short bar (not remembered); None if
        the short bar belongs to a bucket the history already shows."""
        if short.ts <= self._last_short_ts:
            return self._redelivered(short, closed=False)
        return self._merge(self._closed, short, closed=False)

    def _redelivered(self, short: Bar, closed: bool) -> Bar | None:
        start = short.ts - short.ts % self.interval_ns
        if self._closed is None or start != self._closed.ts:
            return None
        bars = {**self._tail, short.ts: short}
        merged: Bar | None = None
        for ts in sorted(bars):  # at most one bucket of short bars
            merged = self._merge(merged, bars[ts], closed)
        if closed:
            self._tail = bars
            self._closed = merged
        return merged

    def _merge(self, base: Bar | None, short: Bar, closed: bool = True) -> Bar:
        start = short.ts - short.ts % self.interval_ns
        if base is None or base.ts != start:
            return Bar(short.instrument_id, self.interval_ns, start, short.open, short.high,
                       short.low, short.close, short.volume, short.trades, closed)
        volume = base.volume + short.volume if not math.isnan(short.volume) else base.volume
        return Bar(short.instrument_id, self.interval_ns, start, base.open,
                   max(base.high, short.high), min(base.low, short.low), short.close,
                   volume, base.trades + short.trades, closed)
