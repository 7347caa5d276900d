"""True range, ATR, Bollinger Bands and the rolling z-score (numba, cached), matching TA-Lib.

Resumable like terminal.kernels.trend (state from the `*_state` functions; the windowed
ones keep the window's inputs, O(window)); a NaN input (any of high, low, close for ATR)
leaves the state untouched and gives NaN at that bar.

ATR is Wilder's (TA-Lib ATR): the mean of the first `period` true ranges (bars 1..period),
then (ATR * (period - 1) + TR) / period, computed as two such steps at once (see `atr_run`);
it agrees with TA-Lib to a few units in the last place.

Bollinger Bands and the z-score use the population standard deviation over the window.
The mean is TA-Lib's SMA bit for bit (its running sum). The squared deviations around it
are not a running sum of squares, which loses digits to cancellation on long series: they
are updated per bar the way Welford's method does it and summed exactly over the window
every so often and whenever they shrink far below where they were (see `_moments_run`).
The rounding left is that of the running mean times the inputs' moves: relative to the
deviation it is about 1e-12 on daily stocks, and on the real files at worst about 1e-9 for
20 bars and 5e-8 for 5 bars where the whole window moved by a tick or two (minute FX).
The z-score carries that relative error; next to the price (the bands) it is below 1e-12.
A window whose inputs are all equal has deviation exactly 0 (found by counting equal
inputs in a row), not a rounding residue. The z-score is (input - window mean) / deviation, and 0.0
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
    sum_window_size,
)
from terminal.kernels.directional import true_range

ATR_STATE_SIZE = 5  # previous close, bars seen, sum of true ranges then ATR, the ATR and
# the true range one bar before


def atr_state() -> F64:
    return np.zeros(ATR_STATE_SIZE)


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def atr_run(high: F64, low: F64, close: F64, period: int, out: F64,
            state: F64) -> None:  # pragma: no cover
    # Wilder's step v = (v * (n - 1) + tr) / n is v = a * v + b * tr; applied twice it is
    # v = a * a * v2 + (a * b * tr1 + b * tr) with v2 and tr1 from the bar before, so the
    # dependency chain (the bound on speed) is one multiply-add per two bars. The count of
    # bars stops at period + 2, where that form takes over in a loop of its own.
    prev_close = state[0]
    seen = int(state[1])
    value = state[2]
    value2 = state[3]
    tr1 = state[4]
    b = 1.0 / period
    a = (period - 1) * b
    aa = a * a
    ab = a * b
    size = high.shape[0]
    i = 0
    while i < size and seen <= period + 1:  # the seed, then the first one-step update
        h = high[i]
        lo = low[i]
        c = close[i]
        i += 1
        out[i - 1] = math.nan
        if math.isnan(h) or math.isnan(lo) or math.isnan(c):
            continue
        if seen > 0:
            tr = true_range(h, lo, prev_close)
            if seen < period:
                value += tr
            elif seen == period:
                value = (value + tr) / period
                out[i - 1] = value
            else:
                value2 = value
                value = a * value + b * tr
                out[i - 1] = value
            tr1 = tr
        prev_close = c
        seen += 1
    hs = high[i:]
    ls = low[i:]
    cs = close[i:]
    os = out[i:]
    for j in range(hs.shape[0]):
        h = hs[j]
        lo = ls[j]
        c = cs[j]
        if (h - lo) + c * 0.0 >= 0.0:  # high >= low and no NaN: one test for most bars
            # with high >= low the true range is the range stretched to the previous
            # close: the same float as true_range's greatest of three, in fewer steps
            tr = max(h, prev_close) - min(lo, prev_close)
        elif math.isnan(h) or math.isnan(lo) or math.isnan(c):
            os[j] = math.nan
            continue
        else:
            tr = true_range(h, lo, prev_close)
        v = aa * value2 + (ab * tr1 + b * tr)
        value2 = value
        value = v
        tr1 = tr
        prev_close = c
        os[j] = v
    state[0] = prev_close
    state[1] = seen
    state[2] = value
    state[3] = value2
    state[4] = tr1


def atr(high: F64, low: F64, close: F64, period: int = 14) -> F64:
    """Average true range, Wilder-smoothed (TA-Lib ATR, default period 14)."""
    check_period("period", period)
    out = np.empty(len(close))
    atr_run(contiguous(high), contiguous(low), contiguous(close), period, out, atr_state())
    return out


# after the window: equal inputs in a row, the last input, the sum of squared deviations
# (M2), the window mean one bar before, bars since M2 was summed exactly, M2's peak since
_MOMENT_EXTRA = 6
_EXACT_EVERY = 128  # at least; `period` for longer windows
_PEAK_RATIO = 1e3  # re-sum when M2 has fallen this far below its peak since the last sum


def moments_state(period: int) -> F64:
    """The state of `bbands_run` and `zscore_run`."""
    state = np.zeros(sum_window_size(period) + _MOMENT_EXTRA)
    state[sum_window_size(period) + 1] = math.nan
    return state


@njit(cache=True, nogil=True)
def _moments_run(values: F64, n: int, zscore: bool, dev_up: float, dev_down: float,
                 out0: F64, out1: F64, out2: F64, state: F64) -> None:  # pragma: no cover
    """Bollinger Bands into out0..out2 (upper, middle, lower), or the z-score into out0.

    The mean is push_mean's (TA-Lib SMA's running sum). M2, the window's sum of squared
    deviations, is updated per bar as in Welford's method for a sliding window (the input
    leaving and the one arriving), and summed exactly over the window when the window
    first fills, every `_EXACT_EVERY` bars, and when M2 falls `_PEAK_RATIO` below its peak
    since the last exact sum (or to 0 or below), so the updates' rounding cannot pile up."""
    total = state[0]
    seen = state[1]
    pos = int(state[2])
    ring = state[SUM_WINDOW_HEADER:SUM_WINDOW_HEADER + n]
    at = SUM_WINDOW_HEADER + n
    run = state[at]
    last = state[at + 1]
    m2 = state[at + 2]
    prev_mean = state[at + 3]
    since = int(state[at + 4])
    peak = state[at + 5]
    exact_every = n if n > _EXACT_EVERY else _EXACT_EVERY
    inv_n = 1.0 / n
    for i in range(values.shape[0]):
        x = values[i]
        if math.isnan(x):
            out0[i] = math.nan
            if not zscore:
                out1[i] = math.nan
                out2[i] = math.nan
            continue
        if x == last:
            run += 1.0
        else:
            run = 1.0
            last = x
        gone = ring[pos]
        ring[pos] = x
        pos += 1
        if pos == n:
            pos = 0
        total += x
        if seen + 1.0 < n:
            seen += 1.0
            out0[i] = math.nan
            if not zscore:
                out1[i] = math.nan
                out2[i] = math.nan
            continue
        mean = total / n
        total -= ring[pos]  # the oldest, overwritten next
        if run >= n:
            m2 = 0.0  # every input is the same: no deviation, exactly
            peak = 0.0
            since = 0
        else:
            exact = seen < n or since >= exact_every
            if not exact:
                m2 += (x - gone) * ((x - mean) + (gone - prev_mean))
                since += 1
                if m2 > peak:
                    peak = m2
                exact = m2 * _PEAK_RATIO < peak or m2 <= 0.0
            if exact:
                squares = 0.0
                for j in range(n):
                    d = ring[j] - mean
                    squares += d * d
                m2 = squares
                peak = squares
                since = 0
        seen = n
        prev_mean = mean
        dev = math.sqrt(m2 * inv_n)
        if zscore:
            out0[i] = (x - mean) / dev if dev > 0.0 else 0.0
        else:
            out0[i] = mean + dev * dev_up
            out1[i] = mean
            out2[i] = mean - dev * dev_down
    state[0] = total
    state[1] = seen
    state[2] = pos
    state[at] = run
    state[at + 1] = last
    state[at + 2] = m2
    state[at + 3] = prev_mean
    state[at + 4] = since
    state[at + 5] = peak


@njit(cache=True, nogil=True)
def bbands_run(values: F64, period: int, dev_up: float, dev_down: float, upper: F64,
               middle: F64, lower: F64, state: F64) -> None:  # pragma: no cover
    _moments_run(values, period, False, dev_up, dev_down, upper, middle, lower, state)


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
    _moments_run(values, period, True, 0.0, 0.0, out, out, out, state)


def zscore(values: F64, period: int = 20) -> F64:
    """Rolling z-score: (input - mean) / population deviation over `period` inputs."""
    check_period("period", period)
    out = np.empty(len(values))
    zscore_run(contiguous(values), period, out, moments_state(period))
    return out
