"""Ring-buffer helpers shared by the windowed kernels (numba, cached).

A window of `n` recent inputs lives in a kernel's state array at `off`: the running sum,
the count of inputs pushed, then the `n` inputs themselves. The running sum is updated in
the order TA-Lib uses (add the newest, read, subtract the oldest), so the sums and the
values read from them are bit-for-bit those of TA-Lib's SMA.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

F64 = npt.NDArray[np.float64]

SUM_WINDOW_HEADER = 2  # running sum, inputs pushed


def sum_window_size(n: int) -> int:
    return SUM_WINDOW_HEADER + n


@njit(cache=True, nogil=True)
def push_mean(state: F64, off: int, n: int, x: float) -> float:  # pragma: no cover
    """Push `x`; the mean of the last `n` inputs, NaN until there are `n`."""
    seen = int(state[off + 1])
    state[off + SUM_WINDOW_HEADER + seen % n] = x
    total = state[off] + x
    mean = math.nan
    if seen + 1 >= n:
        mean = total / n
        total -= state[off + SUM_WINDOW_HEADER + (seen + 1) % n]
    state[off] = total
    state[off + 1] = seen + 1
    return mean


@njit(cache=True, nogil=True)
def push_plain(state: F64, off: int, n: int, x: float) -> int:  # pragma: no cover
    """Push `x` into a window without a sum (slot `off` unused); returns inputs pushed."""
    seen = int(state[off + 1])
    state[off + SUM_WINDOW_HEADER + seen % n] = x
    state[off + 1] = seen + 1
    return seen + 1


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
