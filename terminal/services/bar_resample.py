"""Bars of one timeframe rolled up into a longer one (chart timeframe switch), on arrays."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

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
