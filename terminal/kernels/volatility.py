"""True range, ATR, Bollinger Bands and the rolling z-score (numba, cached), matching TA-Lib.

Resumable like terminal.kernels.trend (state from the `*_state` functions; the windowed
ones keep the window's inputs, O(window)); a NaN input (any of high, low, close for ATR)
leaves the state untouched and gives NaN at that bar.

ATR is Wilder's (TA-Lib ATR): the mean of the first `period` true ranges (bars 1..period),
then (ATR * (period - 1) + TR) / period, computed as two such steps at once (see `atr_run`);
it agrees with TA-Lib to a few units in the last place.

Bollinger Bands and the z-score use the population standard deviation over the window.
The mean is the window's running sum times 1 / period, the sum moved by (newest - oldest)
as in terminal.kernels.trend.sma_run: it differs from TA-Lib's SMA by the sums' rounding,
parts in 1e15. The squared deviations around it are not a running sum of squares, which
loses digits to cancellation on long series: they are updated per bar the way Welford's
method does it, and they and the sum are summed afresh from the window every so often;
the squared deviations also whenever they shrink far below where they were (see
`_moments_run`). The rounding left is that of the running mean times the inputs' moves:
against an 80-bit two-pass reference the z-score is off by about 1e-11 relative on daily
stocks, and on the real files at worst about 1.5e-9 for 20 bars and 7e-9 for 5 bars,
where the whole window moved by a tick or two (minute FX and crypto); next to the price
(the bands) it is below 1e-12. A window whose inputs are all equal has deviation exactly 0
(found by counting equal inputs in a row), not a rounding residue. The z-score is
(input - window mean) / deviation, and 0.0 where the deviation is 0 (the input is then the
mean): never a division by zero.
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
# (M2), the window mean one bar before, M2's peak since it was last summed exactly
_MOMENT_EXTRA = 5
_EXACT_EVERY = 128  # counted bars between fresh sums, at least; `period` for longer windows
_PEAK_RATIO = 1e3  # re-sum M2 when it has fallen this far below its peak since the last sum


def moments_state(period: int) -> F64:
    """The state of `bbands_run` and `zscore_run`."""
    state = np.zeros(sum_window_size(period) + _MOMENT_EXTRA)
    state[sum_window_size(period) + 1] = math.nan
    return state


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _squares(ring: F64, mean: float) -> float:  # pragma: no cover
    """The window's sum of squared deviations from `mean`, summed afresh."""
    squares = 0.0
    for j in range(ring.shape[0]):
        d = ring[j] - mean
        squares += d * d
    return squares


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _plain_sum(ring: F64) -> float:  # pragma: no cover
    total = 0.0
    for j in range(ring.shape[0]):
        total += ring[j]
    return total


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _moments_run(values: F64, n: int, zscore: bool, dev_up: float, dev_down: float,
                 out0: F64, out1: F64, out2: F64, state: F64) -> None:  # pragma: no cover
    """Bollinger Bands into out0..out2 (upper, middle, lower), or the z-score into out0.

    The layout of _window (running sum, inputs counted, next slot, the ring), then the
    extras above. The count stops at n during warm-up and then goes on up to
    n + every, the counted bars since the sum and M2 were last summed afresh; both are
    summed afresh when the window first fills and every `every` counted bars after (the
    count is in the state, so where a run is cut makes no difference). Between those the
    sum moves by (newest - oldest), one add per bar on its dependency chain, and M2, the
    window's sum of squared deviations, by the Welford step for a sliding window (the
    input leaving and the one arriving). M2 is also summed afresh around the current mean
    when it falls `_PEAK_RATIO` below its peak since the last fresh sum, or to 0 or below,
    so the steps' rounding cannot pile up, and is exactly 0 when the last n inputs are
    equal (counted in a row).

    The steady loop writes the mean and the variance of each bar (for the z-score the mean
    goes to a scratch block); the square root and the division or the band arithmetic
    then run over the block in a loop of their own, which the compiler vectorises."""
    total = state[0]
    seen = int(state[1])
    pos = int(state[2])
    ring = state[SUM_WINDOW_HEADER:SUM_WINDOW_HEADER + n]
    at = SUM_WINDOW_HEADER + n
    run = state[at]
    last = state[at + 1]
    m2 = state[at + 2]
    prev_mean = state[at + 3]
    peak = state[at + 4]
    every = n if n > _EXACT_EVERY else _EXACT_EVERY
    inv_n = 1.0 / n
    full = float(n)
    size = values.shape[0]
    i = 0
    while i < size and seen < n:  # warm-up
        x = values[i]
        out0[i] = math.nan
        if not zscore:
            out1[i] = math.nan
            out2[i] = math.nan
        i += 1
        if math.isnan(x):
            continue
        run = run + 1.0 if x == last else 1.0
        last = x
        ring[pos] = x
        pos += 1
        if pos == n:
            pos = 0
        total += x
        seen += 1
        if seen == n:
            total = _plain_sum(ring)
            mean = total * inv_n
            m2 = 0.0 if run >= full else _squares(ring, mean)
            peak = m2
            prev_mean = mean
            dev = math.sqrt(m2 * inv_n)
            if zscore:
                out0[i - 1] = (x - mean) / dev if dev > 0.0 else 0.0
            else:
                out0[i - 1] = mean + dev * dev_up
                out1[i - 1] = mean
                out2[i - 1] = mean - dev * dev_down
    # a NaN bar's variance: NaN for the bands; 1 for the z-score, whose NaN comes from the
    # mean written as NaN
    gap_var = 1.0 if zscore else math.nan
    scratch = np.empty(min(every, size - i) if zscore else 0)
    budget = n + every - seen  # counted bars until the next fresh sums
    while i < size:
        end = min(size, i + budget)
        xs = values[i:end]  # slices: the loops index from 0, no negative-index checks
        vs = out0[i:end]
        ms = scratch[:end - i] if zscore else out1[i:end]
        gaps = 0
        for j in range(xs.shape[0]):
            x = xs[j]
            if math.isnan(x):
                ms[j] = math.nan
                vs[j] = gap_var
                gaps += 1
                continue
            gone = ring[pos]
            ring[pos] = x
            pos += 1
            if pos == n:
                pos = 0
            step = x - gone
            total += step
            mean = total * inv_n
            m2 += step * ((x - mean) + (gone - prev_mean))
            prev_mean = mean
            run = run + 1.0 if x == last else 1.0
            last = x
            peak = max(peak, m2)
            # one test for: all n inputs equal, M2 fell _PEAK_RATIO below its peak or to 0
            if min(min(m2 * _PEAK_RATIO - peak, m2), full - run) <= 0.0:
                m2 = 0.0 if run >= full else _squares(ring, mean)
                peak = m2
            ms[j] = mean
            vs[j] = m2 * inv_n
        budget -= xs.shape[0] - gaps
        if budget == 0:  # the last bar was the counted one: its figures from fresh sums
            budget = every
            total = _plain_sum(ring)
            mean = total * inv_n
            m2 = 0.0 if run >= full else _squares(ring, mean)
            peak = m2
            prev_mean = mean
            ms[xs.shape[0] - 1] = mean
            vs[xs.shape[0] - 1] = m2 * inv_n
        if zscore:
            for j in range(xs.shape[0]):
                var = vs[j]
                vs[j] = (xs[j] - ms[j]) / math.sqrt(var) if var > 0.0 else 0.0
        else:
            ls = out2[i:end]
            for j in range(xs.shape[0]):
                dev = math.sqrt(vs[j])
                mean = ms[j]
                vs[j] = mean + dev * dev_up
                ls[j] = mean - dev * dev_down
        i = end
    state[0] = total
    state[1] = n + every - budget if seen >= n else seen
    state[2] = pos
    state[at] = run
    state[at + 1] = last
    state[at + 2] = m2
    state[at + 3] = prev_mean
    state[at + 4] = peak


@njit(cache=True, nogil=True, error_model="numpy")
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


@njit(cache=True, nogil=True, error_model="numpy")
def zscore_run(values: F64, period: int, out: F64, state: F64) -> None:  # pragma: no cover
    _moments_run(values, period, True, 0.0, 0.0, out, out, out, state)


def zscore(values: F64, period: int = 20) -> F64:
    """Rolling z-score: (input - mean) / population deviation over `period` inputs."""
    check_period("period", period)
    out = np.empty(len(values))
    zscore_run(contiguous(values), period, out, moments_state(period))
    return out
