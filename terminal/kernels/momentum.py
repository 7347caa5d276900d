"""Stochastic oscillator on float64 arrays (numba, cached), matching TA-Lib STOCH.

Resumable like terminal.kernels.trend (state from `stoch_state`, O(window)); the NaN policy
is the same: a bar with a NaN high, low or close leaves the state untouched and gives NaN.
Defaults are TA-Lib's: fast %K over 5 bars, slow %K its 3-bar SMA, slow %D the 3-bar SMA of
slow %K. A bar whose 5-bar range is zero has fast %K 0 (TA-Lib's choice), never a division
by zero. Slow %K is shown from its own first bar, two bars before TA-Lib starts showing it.
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


def stoch_state(fastk: int = 5, slowk: int = 3, slowd: int = 3) -> F64:
    return np.zeros(2 * sum_window_size(fastk) + sum_window_size(slowk)
                    + sum_window_size(slowd))


@njit(cache=True, nogil=True)
def stoch_run(high: F64, low: F64, close: F64, fastk: int, slowk: int, slowd: int,
              out_k: F64, out_d: F64, state: F64) -> None:  # pragma: no cover
    # the layout of push_plain (highs, lows) and push_mean (fast %K, slow %K) windows, with
    # the counters and sums in locals for the loop
    low_at = SUM_WINDOW_HEADER + fastk  # state: highs, lows, fast %K, slow %K windows
    k_at = 2 * low_at
    d_at = k_at + SUM_WINDOW_HEADER + slowk
    highs = state[SUM_WINDOW_HEADER:low_at]
    lows = state[low_at + SUM_WINDOW_HEADER:k_at]
    ks = state[k_at + SUM_WINDOW_HEADER:d_at]
    ds = state[d_at + SUM_WINDOW_HEADER:d_at + SUM_WINDOW_HEADER + slowd]
    w_seen = state[1]
    w_pos = int(state[2])
    k_total, k_seen, k_pos = state[k_at], state[k_at + 1], int(state[k_at + 2])
    d_total, d_seen, d_pos = state[d_at], state[d_at + 1], int(state[d_at + 2])
    for i in range(high.shape[0]):
        h = high[i]
        lo = low[i]
        c = close[i]
        if math.isnan(h) or math.isnan(lo) or math.isnan(c):
            out_k[i] = math.nan
            out_d[i] = math.nan
            continue
        highs[w_pos] = h
        lows[w_pos] = lo
        w_pos += 1
        if w_pos == fastk:
            w_pos = 0
        if w_seen + 1.0 < fastk:
            w_seen += 1.0
            out_k[i] = math.nan
            out_d[i] = math.nan
            continue
        lowest = lows[0]
        highest = highs[0]
        for j in range(1, fastk):
            v = lows[j]
            if v < lowest:
                lowest = v
            v = highs[j]
            if v > highest:
                highest = v
        diff = (highest - lowest) / 100.0
        fast = (c - lowest) / diff if diff != 0.0 else 0.0
        ks[k_pos] = fast
        k_pos += 1
        if k_pos == slowk:
            k_pos = 0
        k_total += fast
        if k_seen + 1.0 < slowk:
            k_seen += 1.0
            out_k[i] = math.nan
            out_d[i] = math.nan
            continue
        k = k_total / slowk
        k_total -= ks[k_pos]
        out_k[i] = k
        ds[d_pos] = k
        d_pos += 1
        if d_pos == slowd:
            d_pos = 0
        d_total += k
        if d_seen + 1.0 < slowd:
            d_seen += 1.0
            out_d[i] = math.nan
            continue
        out_d[i] = d_total / slowd
        d_total -= ds[d_pos]
    state[1] = state[low_at + 1] = w_seen
    state[2] = state[low_at + 2] = w_pos
    state[k_at], state[k_at + 1], state[k_at + 2] = k_total, k_seen, k_pos
    state[d_at], state[d_at + 1], state[d_at + 2] = d_total, d_seen, d_pos


class Stoch(NamedTuple):
    k: F64
    d: F64


def stoch(high: F64, low: F64, close: F64, fastk: int = 5, slowk: int = 3,
          slowd: int = 3) -> Stoch:
    """Slow stochastic (%K, %D), 0..100, with SMA smoothing (TA-Lib STOCH defaults)."""
    check_period("fastk", fastk)
    check_period("slowk", slowk)
    check_period("slowd", slowd)
    n = len(close)
    out = Stoch(np.empty(n), np.empty(n))
    stoch_run(contiguous(high), contiguous(low), contiguous(close), fastk, slowk, slowd,
              out.k, out.d, stoch_state(fastk, slowk, slowd))
    return out
