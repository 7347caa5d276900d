"""True range, ATR, Bollinger Bands and the rolling z-score (numba, cached), matching TA-Lib.

Resumable like terminal.kernels.trend (state from the `*_state` functions; the windowed
ones keep the window's inputs, O(window)); a NaN input (any of high, low, close for ATR)
leaves the state untouched and gives NaN at that bar.

ATR is Wilder's (TA-Lib ATR): the mean of the first `period` true ranges (bars 1..period),
then (ATR * (period - 1) + TR) / period.

Bollinger Bands and the z-score use the population standard deviation over the window.
The mean is TA-Lib's SMA bit for bit (its running sum); the deviation is summed over the
window's inputs around that mean, O(window) per bar, because a running sum of squares
loses digits to cancellation on long series (TA-Lib 0.6 agrees to about 1e-13). A window
whose inputs are all equal has deviation exactly 0 (found by counting equal inputs in a
row), not a rounding residue. The z-score is (input - window mean) / deviation, and 0.0
where the deviation is 0 (the input is then the mean): never a division by zero.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from terminal.kernels._window import (
    F64,
    SUM_WINDOW_HEADER,
    check_period,
    contiguous,
    push_mean,
    sum_window_size,
)
from terminal.kernels.directional import true_range

ATR_STATE_SIZE = 3  # previous close, bars seen, sum of true ranges then ATR


def atr_state() -> F64:
    return np.zeros(ATR_STATE_SIZE)


@njit(cache=True, nogil=True)
def atr_run(high: F64, low: F64, close: F64, period: int, out: F64,
            state: F64) -> None:  # pragma: no cover
    prev_close = state[0]
    seen = int(state[1])
    value = state[2]
    for i in range(high.shape[0]):
        h = high[i]
        lo = low[i]
        c = close[i]
        out[i] = math.nan
        if math.isnan(h) or math.isnan(lo) or math.isnan(c):
            continue
        if seen > 0:
            tr = true_range(h, lo, prev_close)
            if seen < period:
                value += tr
            elif seen == period:
                value = (value + tr) / period
                out[i] = value
            else:
                value = ((value * (period - 1)) + tr) / period
                out[i] = value
        prev_close = c
        seen += 1
    state[0] = prev_close
    state[1] = seen
    state[2] = value


def atr(high: F64, low: F64, close: F64, period: int = 14) -> F64:
    """Average true range, Wilder-smoothed (TA-Lib ATR, default period 14)."""
    check_period("period", period)
    out = np.empty(len(close))
    atr_run(contiguous(high), contiguous(low), contiguous(close), period, out, atr_state())
    return out


_MOMENT_EXTRA = 2  # after the window: equal inputs in a row, the last input


def moments_state(period: int) -> F64:
    """The state of `bbands_run` and `zscore_run`."""
    state = np.zeros(sum_window_size(period) + _MOMENT_EXTRA)
    state[-1] = math.nan
    return state


@njit(cache=True, nogil=True)
def _push_moments(state: F64, n: int, x: float) -> tuple[float, float]:  # pragma: no cover
    """Push `x`; (mean, population deviation) of the window, NaN until it is full."""
    at = SUM_WINDOW_HEADER + n
    if x == state[at + 1]:
        state[at] += 1.0
    else:
        state[at] = 1.0
        state[at + 1] = x
    mean = push_mean(state, 0, n, x)
    if math.isnan(mean):
        return math.nan, math.nan
    if state[at] >= n:
        return mean, 0.0
    squares = 0.0
    for j in range(n):
        d = state[SUM_WINDOW_HEADER + j] - mean
        squares += d * d
    return mean, math.sqrt(squares / n)


@njit(cache=True, nogil=True)
def bbands_run(values: F64, period: int, dev_up: float, dev_down: float, upper: F64,
               middle: F64, lower: F64, state: F64) -> None:  # pragma: no cover
    for i in range(values.shape[0]):
        x = values[i]
        if math.isnan(x):
            upper[i] = middle[i] = lower[i] = math.nan
            continue
        mean, dev = _push_moments(state, period, x)
        middle[i] = mean
        upper[i] = mean + dev * dev_up
        lower[i] = mean - dev * dev_down


class Bands(NamedTuple):
    upper: F64
    middle: F64
    lower: F64


def bbands(values: F64, period: int = 5, dev_up: float = 2.0,
           dev_down: float = 2.0) -> Bands:
    """Bollinger Bands: SMA middle, +/- deviations times the population standard deviation
    (TA-Lib BBANDS defaults: 5 bars, 2 and 2)."""
    check_period("period", period)
    n = len(values)
    out = Bands(np.empty(n), np.empty(n), np.empty(n))
    bbands_run(contiguous(values), period, dev_up, dev_down, *out, moments_state(period))
    return out


@njit(cache=True, nogil=True)
def zscore_run(values: F64, period: int, out: F64, state: F64) -> None:  # pragma: no cover
    for i in range(values.shape[0]):
        x = values[i]
        if math.isnan(x):
            out[i] = math.nan
            continue
        mean, dev = _push_moments(state, period, x)
        if math.isnan(mean):
            out[i] = math.nan
        else:
            out[i] = (x - mean) / dev if dev > 0.0 else 0.0


def zscore(values: F64, period: int = 20) -> F64:
    """Rolling z-score: (input - mean) / population deviation over `period` inputs."""
    check_period("period", period)
    out = np.empty(len(values))
    zscore_run(contiguous(values), period, out, moments_state(period))
    return out
