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
    push_mean,
    push_plain,
    sum_window_size,
    window_max,
    window_min,
)


def stoch_state(fastk: int = 5, slowk: int = 3, slowd: int = 3) -> F64:
    return np.zeros(2 * sum_window_size(fastk) + sum_window_size(slowk)
                    + sum_window_size(slowd))


@njit(cache=True, nogil=True)
def stoch_run(high: F64, low: F64, close: F64, fastk: int, slowk: int, slowd: int,
              out_k: F64, out_d: F64, state: F64) -> None:  # pragma: no cover
    low_at = SUM_WINDOW_HEADER + fastk  # state: highs, lows, fast %K, slow %K windows
    k_at = 2 * low_at
    d_at = k_at + SUM_WINDOW_HEADER + slowk
    for i in range(high.shape[0]):
        h = high[i]
        lo = low[i]
        c = close[i]
        out_k[i] = math.nan
        out_d[i] = math.nan
        if math.isnan(h) or math.isnan(lo) or math.isnan(c):
            continue
        push_plain(state, low_at, fastk, lo)
        if not push_plain(state, 0, fastk, h):
            continue
        lowest = window_min(state, low_at, fastk)
        diff = (window_max(state, 0, fastk) - lowest) / 100.0
        fast = (c - lowest) / diff if diff != 0.0 else 0.0
        k = push_mean(state, k_at, slowk, fast)
        if math.isnan(k):
            continue
        out_k[i] = k
        out_d[i] = push_mean(state, d_at, slowd, k)


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
