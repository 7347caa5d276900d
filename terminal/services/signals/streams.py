"""Indicator kernels fed one value at a time: O(1) per bar, state kept between calls.

Each stream owns its kernel state and one-element buffers, so a push is one kernel call
on the same arrays; the outputs are exactly those of the kernel run over the whole series
(NaN during warm-up and at NaN inputs, which leave the state untouched).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from terminal.kernels.indicators import rsi_run, rsi_state
from terminal.kernels.trend import (
    ema_talib_run,
    ema_talib_state,
    macd_run,
    macd_state,
    sma_run,
    sma_state,
)
from terminal.kernels.volatility import bbands_run, moments_state

MovingAverage = Literal["sma", "ema"]


def _check(name: str, value: int, least: int = 1) -> None:
    if value < least:
        raise ValueError(f"{name} must be at least {least}, not {value}")


class MovingAverageStream:
    """SMA, or EMA seeded with the mean of its first `period` inputs (TA-Lib's)."""

    def __init__(self, kind: MovingAverage, period: int) -> None:
        _check("period", period)
        if kind not in ("sma", "ema"):
            raise ValueError(f"moving average must be 'sma' or 'ema', not {kind!r}")
        self._kind = kind
        self._period = period
        self._x = np.empty(1)
        self._out = np.empty(1)
        self._state = sma_state(period) if kind == "sma" else ema_talib_state()

    def push(self, x: float) -> float:
        self._x[0] = x
        if self._kind == "sma":
            sma_run(self._x, self._period, self._out, self._state)
        else:
            ema_talib_run(self._x, self._period, self._out, self._state)
        return float(self._out[0])


class RsiStream:
    def __init__(self, period: int) -> None:
        _check("period", period)
        self._period = period
        self._x = np.empty(1)
        self._out = np.empty(1)
        self._state = rsi_state()

    def push(self, x: float) -> float:
        self._x[0] = x
        rsi_run(self._x, self._period, self._out, self._state)
        return float(self._out[0])


class BandsStream:
    """Bollinger Bands: (upper, middle, lower)."""

    def __init__(self, period: int, dev_up: float, dev_down: float) -> None:
        _check("period", period)
        self._period = period
        self._dev_up = dev_up
        self._dev_down = dev_down
        self._x = np.empty(1)
        self._upper = np.empty(1)
        self._middle = np.empty(1)
        self._lower = np.empty(1)
        self._state = moments_state(period)

    def push(self, x: float) -> tuple[float, float, float]:
        self._x[0] = x
        bbands_run(self._x, self._period, self._dev_up, self._dev_down, self._upper,
                   self._middle, self._lower, self._state)
        return float(self._upper[0]), float(self._middle[0]), float(self._lower[0])


class MacdStream:
    """TA-Lib's MACD: (line, signal, histogram)."""

    def __init__(self, fast: int, slow: int, signal: int) -> None:
        _check("fast", fast, 2)
        _check("slow", slow, 2)
        _check("signal", signal)
        self._fast, self._slow = (fast, slow) if fast <= slow else (slow, fast)
        self._signal = signal
        self._x = np.empty(1)
        self._line = np.empty(1)
        self._sig = np.empty(1)
        self._hist = np.empty(1)
        self._state = macd_state()

    def push(self, x: float) -> tuple[float, float, float]:
        self._x[0] = x
        macd_run(self._x, self._fast, self._slow, self._signal, self._line, self._sig,
                 self._hist, self._state)
        return float(self._line[0]), float(self._sig[0]), float(self._hist[0])
