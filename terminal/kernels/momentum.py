"""Stochastic oscillator on float64 arrays (numba, cached), matching TA-Lib STOCH.

Resumable like terminal.kernels.trend (state from `stoch_state`, O(window)); the NaN policy
is the same: a bar with a NaN high, low or close leaves the state untouched and gives NaN.
Defaults are TA-Lib's: fast %K over 5 bars, slow %K its 3-bar SMA, slow %D the 3-bar SMA of
slow %K. A bar whose 5-bar range is zero has fast %K 0 (TA-Lib's choice), never a division
by zero. Slow %K is shown from its own first bar, two bars before TA-Lib starts showing it.
The smoothing sums move by (newest - oldest) where TA-Lib adds then subtracts, and the
range is one division, so the values agree with TA-Lib's to rounding (parts in 1e12 of 100).
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


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _fast_k(highs: F64, lows: F64, c: float, fastk: int) -> float:  # pragma: no cover
    """Fast %K of close `c` over the window's highs and lows: 0 where the range is 0."""
    lowest = lows[0]
    highest = highs[0]
    for j in range(1, fastk):
        lowest = min(lowest, lows[j])
        highest = max(highest, highs[j])
    diff = highest - lowest
    fast = 100.0 * (c - lowest) / diff
    return float(fast) if diff != 0.0 else 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def stoch_run(high: F64, low: F64, close: F64, fastk: int, slowk: int, slowd: int,
              out_k: F64, out_d: F64, state: F64) -> None:  # pragma: no cover
    # state: the highs, lows, fast %K and slow %K windows in _window's layout (running sums
    # of the last two); the counts stop when a window is full. Once all four are full the
    # rest runs in a loop without counting.
    low_at = SUM_WINDOW_HEADER + fastk
    k_at = 2 * low_at
    d_at = k_at + SUM_WINDOW_HEADER + slowk
    highs = state[SUM_WINDOW_HEADER:low_at]
    lows = state[low_at + SUM_WINDOW_HEADER:k_at]
    ks = state[k_at + SUM_WINDOW_HEADER:d_at]
    ds = state[d_at + SUM_WINDOW_HEADER:d_at + SUM_WINDOW_HEADER + slowd]
    w_seen = int(state[1])
    w_pos = int(state[2])
    k_seen, k_pos = int(state[k_at + 1]), int(state[k_at + 2])
    d_seen, d_pos = int(state[d_at + 1]), int(state[d_at + 2])
    k_total = state[k_at]
    d_total = state[d_at]
    inv_k = 1.0 / slowk
    inv_d = 1.0 / slowd
    size = high.shape[0]
    i = 0
    while i < size and d_seen < slowd:  # warm-up
        h = high[i]
        lo = low[i]
        c = close[i]
        i += 1
        out_k[i - 1] = math.nan
        out_d[i - 1] = math.nan
        if math.isnan(h) or math.isnan(lo) or math.isnan(c):
            continue
        highs[w_pos] = h
        lows[w_pos] = lo
        w_pos = 0 if w_pos + 1 == fastk else w_pos + 1
        if w_seen < fastk:
            w_seen += 1
            if w_seen < fastk:
                continue
        fast = _fast_k(highs, lows, c, fastk)
        k_total += fast - ks[k_pos]  # the slot holds 0 until the window is full
        ks[k_pos] = fast
        k_pos = 0 if k_pos + 1 == slowk else k_pos + 1
        if k_seen < slowk:
            k_seen += 1
            if k_seen < slowk:
                continue
        k = k_total * inv_k
        out_k[i - 1] = k
        d_total += k - ds[d_pos]
        ds[d_pos] = k
        d_pos = 0 if d_pos + 1 == slowd else d_pos + 1
        d_seen += 1
        if d_seen == slowd:
            out_d[i - 1] = d_total * inv_d
    clean = 0  # finite bars in a row in this call's inputs, up to fastk
    hs = high[i:]
    ls = low[i:]
    cs = close[i:]
    oks = out_k[i:]
    ods = out_d[i:]
    for j in range(hs.shape[0]):
        h = hs[j]
        lo = ls[j]
        c = cs[j]
        if math.isnan(h + lo + c) and (math.isnan(h) or math.isnan(lo) or math.isnan(c)):
            oks[j] = math.nan
            ods[j] = math.nan
            clean = 0
            continue
        highs[w_pos] = h
        lows[w_pos] = lo
        w_pos = 0 if w_pos + 1 == fastk else w_pos + 1
        if clean < fastk:  # the window reaches back before this call or a gap: the ring
            clean += 1
            fast = _fast_k(highs, lows, c, fastk)
        else:  # the window is the last fastk inputs: read them where they are, not from
            # the ring slot just written (a load of a just-stored value stalls)
            fast = _fast_k(hs[j + 1 - fastk:j + 1], ls[j + 1 - fastk:j + 1], c, fastk)
        # the smoothing sums move by (newest - oldest); the oldest is read before its
        # slot is written
        k_total += fast - ks[k_pos]
        ks[k_pos] = fast
        k_pos = 0 if k_pos + 1 == slowk else k_pos + 1
        k = k_total * inv_k
        d_total += k - ds[d_pos]
        ds[d_pos] = k
        d_pos = 0 if d_pos + 1 == slowd else d_pos + 1
        oks[j] = k
        ods[j] = d_total * inv_d
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
