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


def sma_state(period: int) -> F64:
    return np.zeros(sum_window_size(period))


@njit(cache=True, nogil=True)
def sma_run(values: F64, period: int, out: F64, state: F64) -> None:  # pragma: no cover
    # push_mean's layout, with the sums in locals: a store and reload of the running sum
    # per bar would sit on its dependency chain
    n = period
    total = state[0]
    seen = state[1]
    pos = int(state[2])
    ring = state[SUM_WINDOW_HEADER:SUM_WINDOW_HEADER + n]
    for i in range(values.shape[0]):
        x = values[i]
        if math.isnan(x):
            out[i] = math.nan
            continue
        ring[pos] = x
        pos += 1
        if pos == n:
            pos = 0
        total += x
        if seen + 1.0 >= n:
            out[i] = total / n
            total -= ring[pos]
        else:
            seen += 1.0
            out[i] = math.nan
    state[0] = total
    state[1] = seen
    state[2] = pos


def sma(values: F64, period: int = 30) -> F64:
    """Simple moving average (TA-Lib SMA, default period 30)."""
    check_period("period", period)
    out = np.empty(len(values))
    sma_run(contiguous(values), period, out, sma_state(period))
    return out


_WMA_HEADER = 4  # weighted sum, plain sum, the input leaving the window, inputs seen


def wma_state(period: int) -> F64:
    return np.zeros(_WMA_HEADER + period)


@njit(cache=True, nogil=True)
def wma_run(values: F64, period: int, out: F64, state: F64) -> None:  # pragma: no cover
    n = period
    divider = float((n * (n + 1)) >> 1)
    weighted = state[0]
    plain = state[1]
    leaving = state[2]
    seen = int(state[3])
    ring = state[_WMA_HEADER:_WMA_HEADER + n]
    pos = seen % n  # the slot of the next input; it wraps by comparison in the loop
    for i in range(values.shape[0]):
        x = values[i]
        if math.isnan(x):
            out[i] = math.nan
            continue
        # weights n..1 from newest to oldest, kept as a weighted and a plain running sum
        ring[pos] = x
        pos += 1
        if pos == n:
            pos = 0
        if seen < n - 1:
            plain += x
            weighted += x * (seen + 1)
            out[i] = math.nan
        else:
            plain += x
            plain -= leaving
            weighted += x * n
            leaving = ring[pos]
            out[i] = weighted / divider
            weighted -= plain
        seen += 1
    state[0] = weighted
    state[1] = plain
    state[2] = leaving
    state[3] = seen


def wma(values: F64, period: int = 30) -> F64:
    """Linearly weighted moving average (TA-Lib WMA, default period 30)."""
    check_period("period", period)
    out = np.empty(len(values))
    wma_run(contiguous(values), period, out, wma_state(period))
    return out


EMA_TALIB_STATE_SIZE = 4  # running sum then average, inputs seen, the average and the input
# one input before (the two-step form below)


def ema_talib_state() -> F64:
    return np.zeros(EMA_TALIB_STATE_SIZE)


@njit(cache=True, nogil=True, inline="always")
def _ema_next(x: float, value: float, value2: float, x1: float, seen: float, span: int,
              k: float, c: float, ck: float
              ) -> tuple[float, float, float, float, float]:  # pragma: no cover
    """One input into the SMA-seeded EMA: (output, value, value2, x1, seen) after it; the
    output is NaN during warm-up.

    The step v = (x - v) * k + v, twice, is v = v2 + (k * (x - v2) + c * k * (x1 - v2))
    (c = 1 - k) from the average and the input one input before: the dependency chain,
    which bounds an EMA's speed, is two thirds as long per input, and a constant input is
    still its own average exactly."""
    if seen > span:
        v = value2 + (k * (x - value2) + ck * (x1 - value2))
        return v, v, value, x, seen
    seen += 1.0
    if seen < span:
        return math.nan, value + x, value2, x1, seen
    if seen == span:
        v = (value + x) / span
        return v, v, value2, x1, seen
    v = c * value + k * x
    return v, v, value, x, seen


@njit(cache=True, nogil=True)
def ema_talib_run(values: F64, span: int, out: F64, state: F64) -> None:  # pragma: no cover
    k = 2.0 / (span + 1.0)
    c = 1.0 - k
    ck = c * k
    value = state[0]
    seen = state[1]
    value2 = state[2]
    x1 = state[3]
    for i in range(values.shape[0]):
        x = values[i]
        if math.isnan(x):
            out[i] = math.nan
            continue
        out[i], value, value2, x1, seen = _ema_next(x, value, value2, x1, seen, span, k, c,
                                                    ck)
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


def macd_state() -> F64:
    return np.zeros(MACD_STATE_SIZE)


@njit(cache=True, nogil=True)
def macd_run(values: F64, fast: int, slow: int, signal: int, line: F64, sig: F64,
             hist: F64, state: F64) -> None:  # pragma: no cover
    """`fast` <= `slow` (the wrapper swaps them like TA-Lib)."""
    kf = 2.0 / (fast + 1.0)
    cf = 1.0 - kf
    ks = 2.0 / (slow + 1.0)
    cs = 1.0 - ks
    kg = 2.0 / (signal + 1.0)
    cg = 1.0 - kg
    ckf, cks, ckg = cf * kf, cs * ks, cg * kg
    fast_from = slow - fast  # the fast EMA's first input, so both are defined on one bar
    f_v, f_seen, f_v2, f_x1 = state[0], state[1], state[2], state[3]
    s_v, s_seen, s_v2, s_x1 = state[4], state[5], state[6], state[7]
    g_v, g_seen, g_v2, g_x1 = state[8], state[9], state[10], state[11]
    seen = int(state[12])
    for i in range(values.shape[0]):
        x = values[i]
        if math.isnan(x):
            line[i] = math.nan
            sig[i] = math.nan
            hist[i] = math.nan
            continue
        seen += 1
        slow_value, s_v, s_v2, s_x1, s_seen = _ema_next(x, s_v, s_v2, s_x1, s_seen, slow, ks,
                                                        cs, cks)
        if seen <= fast_from:
            line[i] = math.nan
            sig[i] = math.nan
            hist[i] = math.nan
            continue
        fast_value, f_v, f_v2, f_x1, f_seen = _ema_next(x, f_v, f_v2, f_x1, f_seen, fast, kf,
                                                        cf, ckf)
        if math.isnan(slow_value):
            line[i] = math.nan
            sig[i] = math.nan
            hist[i] = math.nan
            continue
        m = fast_value - slow_value
        line[i] = m
        s, g_v, g_v2, g_x1, g_seen = _ema_next(m, g_v, g_v2, g_x1, g_seen, signal, kg, cg,
                                               ckg)
        sig[i] = s
        hist[i] = m - s
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

