"""Indicator kernels on float64 arrays (numba, cached). NaN inputs are gaps, not resets.

A NaN close (a bar with no trade) leaves the indicator's state untouched and its output NaN
at that bar, so the line breaks there and carries on after; it never turns the rest of the
series into NaN.

The other indicators live beside this module, one family each: `trend` (SMA, WMA, TA-Lib
EMA, MACD), `momentum` (stochastic), `directional` (ADX, +DI, -DI), `volatility` (ATR,
Bollinger Bands, z-score) and `volume` (OBV, VWAP).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt
from numba import njit

from terminal.kernels.trend import ema_talib

F64 = npt.NDArray[np.float64]


EMA_STATE_SIZE = 2  # last value, finite inputs seen
RSI_STATE_SIZE = 4  # average gain, average loss, previous close, changes seen


def ema_state() -> F64:
    """The state an EMA starts from (see `ema_run`)."""
    return np.array([math.nan, 0.0])


def rsi_state() -> F64:
    """The state an RSI starts from (see `rsi_run`)."""
    return np.array([0.0, 0.0, math.nan, 0.0])


@njit(cache=True, nogil=True)
def ema_run(values: F64, span: int, out: F64, state: F64) -> None:  # pragma: no cover
    """EMA of `values` into `out`, continuing from `state` and leaving the state after the
    last value in it: running it over a series in pieces gives the same as in one go."""
    alpha = 2.0 / (span + 1.0)
    last = state[0]
    seen = state[1]
    for i in range(values.shape[0]):
        x = values[i]
        if math.isnan(x):
            out[i] = math.nan
            continue
        last = x if seen == 0 else last + alpha * (x - last)
        seen += 1
        out[i] = last if seen >= span else math.nan
    state[0] = last
    state[1] = seen


def ema(values: F64, span: int, seed: Literal["first", "sma"] = "first") -> F64:
    """Exponential moving average, alpha = 2 / (span + 1), NaN for the first `span - 1`
    values. Seeded with the first value by default, as the chart has always drawn it
    (pandas `ewm(span, adjust=False, min_periods=span)`); `seed="sma"` seeds with the mean
    of the first `span` values like TA-Lib (`terminal.kernels.trend.ema_talib`). The two
    converge as the seed's weight decays."""
    if span < 1:
        raise ValueError(f"span must be at least 1, not {span}")
    if seed == "sma":
        return ema_talib(values, span)
    if seed != "first":
        raise ValueError(f"seed must be 'first' or 'sma', not {seed!r}")
    out = np.empty(len(values))
    ema_run(np.ascontiguousarray(values, dtype=np.float64), span, out, ema_state())
    return out


@njit(cache=True, nogil=True)
def rsi_run(close: F64, period: int, out: F64, state: F64) -> None:  # pragma: no cover
    """Wilder's RSI of `close` into `out`, continuing from `state` (see `ema_run`)."""
    gain = state[0]
    loss = state[1]
    prev = state[2]
    changes = state[3]
    for i in range(close.shape[0]):
        x = close[i]
        out[i] = math.nan
        if math.isnan(x):
            continue
        if not math.isnan(prev):
            change = x - prev
            up = change if change > 0 else 0.0
            down = -change if change < 0 else 0.0
            changes += 1
            if changes <= period:  # the first average is a plain mean
                gain += up / period
                loss += down / period
            else:  # Wilder's smoothing
                gain = (gain * (period - 1) + up) / period
                loss = (loss * (period - 1) + down) / period
            if changes >= period:
                total = gain + loss
                out[i] = 50.0 if total == 0.0 else 100.0 * gain / total
        prev = x
    state[0] = gain
    state[1] = loss
    state[2] = prev
    state[3] = changes


def rsi(close: F64, period: int = 14) -> F64:
    """Wilder's RSI (0..100); 50 where the price did not move over the window."""
    if period < 1:
        raise ValueError(f"period must be at least 1, not {period}")
    out = np.empty(len(close))
    rsi_run(np.ascontiguousarray(close, dtype=np.float64), period, out, rsi_state())
    return out
