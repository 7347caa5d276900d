"""An indicator kept over a live series: O(1) per edit of the forming bar.

A chart's series grows at its end and its last bar changes with every trade. The kernel's
state after all bars but the last is kept, so an edit of the last bar runs the kernel over
one value, and a new bar folds the previous last bar in first. History is scanned once,
when the series is replaced.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from terminal.kernels.indicators import ema_run, ema_state, rsi_run, rsi_state
from terminal.kernels.trend import (
    ema_talib_run,
    ema_talib_state,
    sma_run,
    sma_state,
    wma_run,
    wma_state,
)
from terminal.kernels.volatility import moments_state, zscore_run

F64 = npt.NDArray[np.float64]
Run = Callable[[F64, F64, F64], None]  # (values, out, state) -> None; state updated in place


class RunningIndicator:
    def __init__(self, run: Run, initial_state: Callable[[], F64]) -> None:
        self._run = run
        self._initial = initial_state
        self._out: F64 = np.empty(0)
        self._n = 0  # values the output covers
        self._settled = 0  # values folded into _state (all but the last)
        self._state = initial_state()

    @classmethod
    def ema(cls, span: int) -> RunningIndicator:
        if span < 1:
            raise ValueError(f"span must be at least 1, not {span}")
        return cls(lambda v, out, st: ema_run(v, span, out, st), ema_state)

    @classmethod
    def rsi(cls, period: int = 14) -> RunningIndicator:
        if period < 1:
            raise ValueError(f"period must be at least 1, not {period}")
        return cls(lambda v, out, st: rsi_run(v, period, out, st), rsi_state)

    @classmethod
    def ema_talib(cls, span: int) -> RunningIndicator:
        """EMA seeded with the mean of the first `span` values (TA-Lib)."""
        _check(span)
        return cls(lambda v, out, st: ema_talib_run(v, span, out, st), ema_talib_state)

    @classmethod
    def sma(cls, period: int) -> RunningIndicator:
        _check(period)
        return cls(lambda v, out, st: sma_run(v, period, out, st), lambda: sma_state(period))

    @classmethod
    def wma(cls, period: int) -> RunningIndicator:
        _check(period)
        return cls(lambda v, out, st: wma_run(v, period, out, st), lambda: wma_state(period))

    @classmethod
    def zscore(cls, period: int) -> RunningIndicator:
        _check(period)
        return cls(lambda v, out, st: zscore_run(v, period, out, st),
                   lambda: moments_state(period))

    def reset(self, values: F64) -> F64:
        """A new series: the whole output (a view; later updates write into it)."""
        self._state = self._initial()
        self._settled = 0
        self._n = 0
        return self.update(values)

    def update(self, values: F64) -> F64:
        """The series as it is now: the same as before except for its former last value
        and new values at the end. Returns the output for all of it (a view)."""
        n = values.shape[0]
        if n < self._n or n == 0:
            if n == 0:
                self._n = 0
                return self._out[:0]
            return self.reset(values)
        self._reserve(n)
        data = np.ascontiguousarray(values, dtype=np.float64)
        if n - 1 > self._settled:  # bars before the last are final now
            self._run(data[self._settled:n - 1], self._out[self._settled:n - 1], self._state)
            self._settled = n - 1
        scratch = self._state.copy()
        self._run(data[n - 1:n], self._out[n - 1:n], scratch)
        self._n = n
        return self._out[:n]

    def _reserve(self, n: int) -> None:
        if n <= self._out.shape[0]:
            return
        grown = np.empty(max(n + n // 2, 1024))
        grown[:self._n] = self._out[:self._n]
        self._out = grown


def _check(period: int) -> None:
    if period < 1:
        raise ValueError(f"period must be at least 1, not {period}")
