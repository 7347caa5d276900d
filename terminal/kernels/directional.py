"""Wilder's directional movement: +DI, -DI and ADX (numba, cached), matching TA-Lib.

Resumable like terminal.kernels.trend (state from `adx_state`, fixed size); a bar with a
NaN high, low or close leaves the state untouched and gives NaN, and the next finite bar
is compared with the last finite one.

Seeding is TA-Lib's: the smoothed +DM, -DM and true range start as plain sums over the
first `period - 1` changes and are Wilder-smoothed from then on, so +DI/-DI start at bar
`period`; ADX is the mean of the first `period` DX values (bar 2 * period - 1), then
Wilder-smoothed. Where the smoothed true range is zero (a flat stretch) the DIs are 0 and
DX is skipped, as in TA-Lib. Unlike TA-Lib, "zero" means exactly 0, not below 1e-8: that
threshold would blank the indicator on instruments priced below about 1e-6 (such as
ADABTC); on ordinary prices the two agree.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from terminal.kernels._window import F64, check_period, contiguous

ADX_STATE_SIZE = 9
# previous high, low, close; bars seen; smoothed +DM, -DM, TR; sum of DX; ADX


def adx_state() -> F64:
    return np.zeros(ADX_STATE_SIZE)


@njit(cache=True, nogil=True)
def true_range(high: float, low: float, prev_close: float) -> float:  # pragma: no cover
    greatest = high - low
    up = abs(prev_close - high)
    if up > greatest:
        greatest = up
    down = abs(low - prev_close)
    if down > greatest:
        greatest = down
    return greatest


@njit(cache=True, nogil=True)
def adx_run(high: F64, low: F64, close: F64, period: int, adx_out: F64, plus_out: F64,
            minus_out: F64, state: F64) -> None:  # pragma: no cover
    prev_high, prev_low, prev_close = state[0], state[1], state[2]
    seen = int(state[3])
    plus_dm, minus_dm, tr_sum, dx_sum, adx = state[4], state[5], state[6], state[7], state[8]
    n = float(period)
    for i in range(high.shape[0]):
        h = high[i]
        lo = low[i]
        c = close[i]
        adx_out[i] = math.nan
        plus_out[i] = math.nan
        minus_out[i] = math.nan
        if math.isnan(h) or math.isnan(lo) or math.isnan(c):
            continue
        if seen > 0:
            diff_p = h - prev_high
            diff_m = prev_low - lo
            tr = true_range(h, lo, prev_close)
            if seen >= period:
                minus_dm -= minus_dm / n
                plus_dm -= plus_dm / n
                tr_sum = tr_sum - (tr_sum / n) + tr
            else:
                tr_sum += tr
            if diff_m > 0 and diff_p < diff_m:
                minus_dm += diff_m
            elif diff_p > 0 and diff_p > diff_m:
                plus_dm += diff_p
            if seen >= period:
                plus_di = minus_di = 0.0
                dx = math.nan
                if tr_sum != 0.0:
                    minus_di = 100.0 * (minus_dm / tr_sum)
                    plus_di = 100.0 * (plus_dm / tr_sum)
                    total = minus_di + plus_di
                    if total != 0.0:
                        dx = 100.0 * (abs(minus_di - plus_di) / total)
                plus_out[i] = plus_di
                minus_out[i] = minus_di
                if seen < 2 * period - 1:
                    if not math.isnan(dx):
                        dx_sum += dx
                elif seen == 2 * period - 1:
                    if not math.isnan(dx):
                        dx_sum += dx
                    adx = dx_sum / n
                    adx_out[i] = adx
                else:
                    if not math.isnan(dx):
                        adx = ((adx * (n - 1)) + dx) / n
                    adx_out[i] = adx
        prev_high, prev_low, prev_close = h, lo, c
        seen += 1
    state[0], state[1], state[2] = prev_high, prev_low, prev_close
    state[3] = seen
    state[4], state[5], state[6], state[7], state[8] = plus_dm, minus_dm, tr_sum, dx_sum, adx


class Adx(NamedTuple):
    adx: F64
    plus_di: F64
    minus_di: F64


def adx(high: F64, low: F64, close: F64, period: int = 14) -> Adx:
    """ADX with +DI and -DI (TA-Lib ADX, PLUS_DI, MINUS_DI; default period 14)."""
    check_period("period", period, 2)
    n = len(close)
    out = Adx(np.empty(n), np.empty(n), np.empty(n))
    adx_run(contiguous(high), contiguous(low), contiguous(close), period, *out, adx_state())
    return out
