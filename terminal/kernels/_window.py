"""Ring-buffer helpers shared by the windowed kernels (numba, cached).

A window of `n` recent inputs lives in a kernel's state array at `off`: the running sum,
the count of inputs pushed (it stops at `n`), the slot of the next input, then the `n`
inputs themselves (a ring; the slot wraps by comparison, an integer modulo per bar cost
more than the rest of an SMA). `push_mean` updates the running sum in
the order TA-Lib uses (add the newest, read, subtract the oldest); the batch kernels keep
the layout but move the sum by (newest - oldest), one add per bar on its dependency chain
(see terminal.kernels.trend.sma_run).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

F64 = npt.NDArray[np.float64]

SUM_WINDOW_HEADER = 3  # running sum, inputs pushed (up to n), next slot


def sum_window_size(n: int) -> int:
    return SUM_WINDOW_HEADER + n


@njit(cache=True, nogil=True)
def push_mean(state: F64, off: int, n: int, x: float) -> float:  # pragma: no cover
    """Push `x`; the mean of the last `n` inputs, NaN until there are `n`."""
    seen = state[off + 1]
    pos = int(state[off + 2])
    state[off + SUM_WINDOW_HEADER + pos] = x
    pos += 1
    if pos == n:
        pos = 0
    total = state[off] + x
    mean = math.nan
    if seen + 1.0 >= n:
        mean = total / n
        total -= state[off + SUM_WINDOW_HEADER + pos]  # the oldest, overwritten next
    else:
        state[off + 1] = seen + 1.0
    state[off] = total
    state[off + 2] = pos
    return mean


@njit(cache=True, nogil=True)
def push_plain(state: F64, off: int, n: int, x: float) -> bool:  # pragma: no cover
    """Push `x` into a window without a sum (slot `off` unused); whether it is full."""
    seen = state[off + 1]
    pos = int(state[off + 2])
    state[off + SUM_WINDOW_HEADER + pos] = x
    pos += 1
    state[off + 2] = 0 if pos == n else pos
    if seen + 1.0 >= n:
        return True
    state[off + 1] = seen + 1.0
    return False


@njit(cache=True, nogil=True)
def window_max(state: F64, off: int, n: int) -> float:  # pragma: no cover
    best = state[off + SUM_WINDOW_HEADER]
    for j in range(1, n):
        v = state[off + SUM_WINDOW_HEADER + j]
        if v > best:
            best = v
    return float(best)


@njit(cache=True, nogil=True)
def window_min(state: F64, off: int, n: int) -> float:  # pragma: no cover
    best = state[off + SUM_WINDOW_HEADER]
    for j in range(1, n):
        v = state[off + SUM_WINDOW_HEADER + j]
        if v < best:
            best = v
    return float(best)


def contiguous(values: npt.ArrayLike) -> F64:
    return np.ascontiguousarray(values, dtype=np.float64)


def check_period(name: str, value: int, least: int = 1) -> None:
    if value < least:
        raise ValueError(f"{name} must be at least {least}, not {value}")
