"""Moving averages and MACD on float64 arrays (numba, cached), matching TA-Lib.

Every kernel `*_run` continues from a state array (made by its `*_state` function) and
leaves the state after its last input there, so running it over a series in pieces, even
one bar at a time, gives exactly what one run over the whole series gives. Windowed state
holds the window's last inputs, so it stays O(window).

NaN policy: a NaN input is a gap, not a reset. It leaves the state untouched and gives NaN
at that bar; the window is made of the finite inputs, so the bar after a gap is finite again
as soon as the window has enough of them. Warm-up bars are NaN.

Seeding follows TA-Lib: `ema_talib` (and the averages inside MACD) start from the simple
mean of the first `span` inputs. `terminal.kernels.indicators.ema` keeps the chart's
pandas-like seed (the first input) unless asked for `seed="sma"`. MACD reproduces TA-Lib's
own detail that the fast average is seeded over the `fast` inputs that end where the slow
one is first defined, so both start on the same bar.
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

_RESUM = 1024  # a running window sum is summed afresh from the window every this many bars


def sma_state(period: int) -> F64:
    return np.zeros(sum_window_size(period))


@njit(cache=True, nogil=True, error_model="numpy")
def _ring_sum(ring: F64, pos: int, n: int) -> tuple[float, float]:  # pragma: no cover
    """The window's plain sum and its sum weighted 1 (oldest, at `pos`) to n (newest)."""
    plain = 0.0
    weighted = 0.0
    for j in range(n):
        slot = pos + j
        if slot >= n:
            slot -= n
        plain += ring[slot]
        weighted += ring[slot] * (j + 1)
    return plain, weighted


@njit(cache=True, nogil=True, error_model="numpy")
def sma_run(values: F64, period: int, out: F64, state: F64) -> None:  # pragma: no cover
    # the layout of _window (sum, inputs pushed, next slot, the ring); "pushed" goes on
    # counting past `period` up to period + _RESUM, the bars since the sum was last summed
    # afresh. A full window's sum moves by (newest - oldest): one add per bar on the sum's
    # dependency chain, which is what bounds the speed (TA-Lib adds the newest, then
    # subtracts the oldest: two). The means differ from TA-Lib's by the sums' rounding,
    # parts in 1e15; summing afresh keeps that rounding from piling up on long series.
    n = period
    total = state[0]
    seen = int(state[1])
    pos = int(state[2])
    ring = state[SUM_WINDOW_HEADER:SUM_WINDOW_HEADER + n]
    size = values.shape[0]
    i = 0
    while i < size and seen < n:  # warm-up
        x = values[i]
        out[i] = math.nan
        if not math.isnan(x):
            ring[pos] = x
            pos += 1
            if pos == n:
                pos = 0
            total += x
            seen += 1
            if seen == n:
                out[i] = total / n
        i += 1
    budget = n + _RESUM - seen  # finite bars until the next fresh sum
    while i < size:
        end = min(size, i + budget)
        xs = values[i:end]  # slices: the loop indexes from 0, no negative-index checks
        os = out[i:end]
        gaps = 0
        for j in range(xs.shape[0]):
            x = xs[j]
            if math.isnan(x):
                os[j] = math.nan
                gaps += 1
                continue
            oldest = ring[pos]
            ring[pos] = x
            pos += 1
            if pos == n:
                pos = 0
            total += x - oldest
            os[j] = total / n
        budget -= xs.shape[0] - gaps
        i = end
        if budget == 0:  # the last bar was the counted one: its mean from the fresh sum
            budget = _RESUM
            total = _ring_sum(ring, pos, n)[0]
            os[xs.shape[0] - 1] = total / n
    state[0] = total
    state[1] = n + _RESUM - budget if seen >= n else seen
    state[2] = pos


def sma(values: F64, period: int = 30) -> F64:
    """Simple moving average (TA-Lib SMA, default period 30)."""
    check_period("period", period)
    out = np.empty(len(values))
    sma_run(contiguous(values), period, out, sma_state(period))
    return out


_WMA_HEADER = 4  # weighted sum, plain sum (both of the window so far), next slot, inputs
# seen (counted up to `period`, then on up to period + _RESUM like sma_run's)


def wma_state(period: int) -> F64:
    return np.zeros(_WMA_HEADER + period)


@njit(cache=True, nogil=True, error_model="numpy")
def wma_run(values: F64, period: int, out: F64, state: F64) -> None:  # pragma: no cover
    # weights n..1 from newest to oldest, kept as a weighted (W) and a plain (P) running
    # sum of the window: a new input x moves every weight down by one, W += n * x - P, and
    # P += x - the oldest. Each sum's chain is one add per bar (TA-Lib's are two). P's
    # rounding would pile up in W, so both are summed afresh from the window every
    # `_RESUM` bars (counted in the state, so where a run is cut makes no difference).
    n = period
    inv_divider = 1.0 / float((n * (n + 1)) >> 1)
    weighted = state[0]
    plain = state[1]
    pos = int(state[2])
    seen = int(state[3])
    ring = state[_WMA_HEADER:_WMA_HEADER + n]
    size = values.shape[0]
    i = 0
    while i < size and seen < n:  # warm-up
        x = values[i]
        out[i] = math.nan
        if not math.isnan(x):
            ring[pos] = x
            pos += 1
            if pos == n:
                pos = 0
            seen += 1
            weighted += x * seen
            plain += x
            if seen == n:
                out[i] = weighted * inv_divider
        i += 1
    budget = n + _RESUM - seen
    while i < size:
        end = min(size, i + budget)
        xs = values[i:end]
        os = out[i:end]
        gaps = 0
        for j in range(xs.shape[0]):
            x = xs[j]
            if math.isnan(x):
                os[j] = math.nan
                gaps += 1
                continue
            oldest = ring[pos]
            ring[pos] = x
            pos += 1
            if pos == n:
                pos = 0
            weighted += n * x - plain
            plain += x - oldest
            os[j] = weighted * inv_divider
        budget -= xs.shape[0] - gaps
        i = end
        if budget == 0:
            budget = _RESUM
            plain, weighted = _ring_sum(ring, pos, n)
            os[xs.shape[0] - 1] = weighted * inv_divider
    state[0] = weighted
    state[1] = plain
    state[2] = pos
    state[3] = n + _RESUM - budget if seen >= n else seen


def wma(values: F64, period: int = 30) -> F64:
    """Linearly weighted moving average (TA-Lib WMA, default period 30)."""
    check_period("period", period)
    out = np.empty(len(values))
    wma_run(contiguous(values), period, out, wma_state(period))
    return out


EMA_TALIB_STATE_SIZE = 4  # running sum then average, inputs seen (counted up to span + 1),
# the average and the input one input before (the two-step form below)


def ema_talib_state() -> F64:
    return np.zeros(EMA_TALIB_STATE_SIZE)


@njit(cache=True, nogil=True, inline="always", error_model="numpy",
      fastmath={"contract"})
def _ema_step2(x: float, x1: float, value2: float, k: float,
               c: float) -> float:  # pragma: no cover
    """The SMA-seeded EMA's step v = v + k * (x - v) taken twice, from the average two
    inputs back (value2) over the inputs x1 and x: v = v2 + k * ((x - v2) + c * (x1 - v2))
    with c = 1 - k. The dependency chain through the average, which bounds an EMA's speed,
    is a subtract and two multiply-adds per two inputs, and a constant input is still its
    own average exactly (both differences are 0)."""
    return value2 + k * ((x - value2) + c * (x1 - value2))


@njit(cache=True, nogil=True, inline="always", error_model="numpy",
      fastmath={"contract"})
def _ema_next(x: float, value: float, value2: float, x1: float, seen: float, span: int,
              k: float, c: float) -> tuple[float, float, float, float, float]:  # pragma: no cover
    """One input into the SMA-seeded EMA: (output, value, value2, x1, seen) after it; the
    output is NaN during warm-up. `seen` stops counting at span + 1, where the two-step
    form (`_ema_step2`) takes over."""
    if seen > span:
        v = _ema_step2(x, x1, value2, k, c)
        return v, v, value, x, seen
    seen += 1.0
    if seen < span:
        return math.nan, value + x, value2, x1, seen
    if seen == span:
        v = (value + x) / span
        return v, v, value2, x1, seen
    v = value + k * (x - value)
    return v, v, value, x, seen


@njit(cache=True, nogil=True, error_model="numpy",
      fastmath={"contract"})
def ema_talib_run(values: F64, span: int, out: F64, state: F64) -> None:  # pragma: no cover
    k = 2.0 / (span + 1.0)
    c = 1.0 - k
    value = state[0]
    seen = state[1]
    value2 = state[2]
    x1 = state[3]
    size = values.shape[0]
    i = 0
    while i < size and seen <= span:  # the seed and the first one-step update
        x = values[i]
        if math.isnan(x):
            out[i] = math.nan
        else:
            out[i], value, value2, x1, seen = _ema_next(x, value, value2, x1, seen, span, k,
                                                        c)
        i += 1
    xs = values[i:]
    os = out[i:]
    for j in range(xs.shape[0]):
        x = xs[j]
        if math.isnan(x):
            os[j] = math.nan
            continue
        v = _ema_step2(x, x1, value2, k, c)
        value2 = value
        value = v
        x1 = x
        os[j] = v
    state[0] = value
    state[1] = seen
    state[2] = value2
    state[3] = x1


def ema_talib(values: F64, span: int = 30) -> F64:
    """EMA seeded with the mean of the first `span` inputs (TA-Lib EMA)."""
    check_period("span", span)
    out = np.empty(len(values))
    ema_talib_run(contiguous(values), span, out, ema_talib_state())
    return out


MACD_STATE_SIZE = 3 * EMA_TALIB_STATE_SIZE + 1  # fast, slow and signal EMA, inputs seen
# (counted up to slow + signal, where all three are in their two-step form)


def macd_state() -> F64:
    return np.zeros(MACD_STATE_SIZE)


@njit(cache=True, nogil=True, error_model="numpy",
      fastmath={"contract"})
def macd_run(values: F64, fast: int, slow: int, signal: int, line: F64, sig: F64,
             hist: F64, state: F64) -> None:  # pragma: no cover
    """`fast` <= `slow` (the wrapper swaps them like TA-Lib).

    The three averages run in one pass, so their dependency chains overlap. Once all three
    are past their seeds (`slow + signal` inputs, where the count stops) the rest runs in a
    loop of the three two-step updates and the stores, with no counting or warm-up tests."""
    kf = 2.0 / (fast + 1.0)
    cf = 1.0 - kf
    ks = 2.0 / (slow + 1.0)
    cs = 1.0 - ks
    kg = 2.0 / (signal + 1.0)
    cg = 1.0 - kg
    fast_from = slow - fast  # the fast EMA's first input, so both are defined on one bar
    warm = slow + signal
    f_v, f_seen, f_v2, f_x1 = state[0], state[1], state[2], state[3]
    s_v, s_seen, s_v2, s_x1 = state[4], state[5], state[6], state[7]
    g_v, g_seen, g_v2, g_x1 = state[8], state[9], state[10], state[11]
    seen = int(state[12])
    size = values.shape[0]
    i = 0
    while i < size and seen < warm:
        x = values[i]
        i_ = i
        i += 1
        line[i_] = math.nan
        sig[i_] = math.nan
        hist[i_] = math.nan
        if math.isnan(x):
            continue
        seen += 1
        slow_value, s_v, s_v2, s_x1, s_seen = _ema_next(x, s_v, s_v2, s_x1, s_seen, slow, ks,
                                                        cs)
        if seen <= fast_from:
            continue
        fast_value, f_v, f_v2, f_x1, f_seen = _ema_next(x, f_v, f_v2, f_x1, f_seen, fast, kf,
                                                        cf)
        if math.isnan(slow_value):
            continue
        m = fast_value - slow_value
        line[i_] = m
        g, g_v, g_v2, g_x1, g_seen = _ema_next(m, g_v, g_v2, g_x1, g_seen, signal, kg, cg)
        sig[i_] = g
        hist[i_] = m - g
    xs = values[i:]
    ls = line[i:]
    gs = sig[i:]
    hs = hist[i:]
    for j in range(xs.shape[0]):
        x = xs[j]
        if math.isnan(x):
            ls[j] = math.nan
            gs[j] = math.nan
            hs[j] = math.nan
            continue
        f = _ema_step2(x, f_x1, f_v2, kf, cf)
        s = _ema_step2(x, s_x1, s_v2, ks, cs)
        m = f - s
        g = _ema_step2(m, g_x1, g_v2, kg, cg)
        f_v2, f_v, f_x1 = f_v, f, x
        s_v2, s_v, s_x1 = s_v, s, x
        g_v2, g_v, g_x1 = g_v, g, m
        ls[j] = m
        gs[j] = g
        hs[j] = m - g
    state[0], state[1], state[2], state[3] = f_v, f_seen, f_v2, f_x1
    state[4], state[5], state[6], state[7] = s_v, s_seen, s_v2, s_x1
    state[8], state[9], state[10], state[11] = g_v, g_seen, g_v2, g_x1
    state[12] = seen


class Macd(NamedTuple):
    line: F64
    signal: F64
    hist: F64


def macd(values: F64, fast: int = 12, slow: int = 26, signal: int = 9) -> Macd:
    """MACD line (fast EMA - slow EMA), its signal EMA and the histogram (TA-Lib MACD).

    The line is defined from bar slow - 1; TA-Lib shows it only from the signal's first bar
    (slow + signal - 2), where the values are the same."""
    check_period("fast", fast, 2)
    check_period("slow", slow, 2)
    check_period("signal", signal)
    if slow < fast:
        fast, slow = slow, fast
    n = len(values)
    out = Macd(np.empty(n), np.empty(n), np.empty(n))
    macd_run(contiguous(values), fast, slow, signal, *out, macd_state())
    return out

