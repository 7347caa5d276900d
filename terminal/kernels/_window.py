"""Ring-buffer helpers shared by the windowed kernels (numba, cached).

A window of `n` recent inputs lives in a kernel's state array at `off`: the running sum,
the count of inputs pushed (`n` once the window is full; the kernels that sum afresh count
on from there, the bars since the last fresh sum), the slot of the next input, then the
`n` inputs themselves (a ring; the slot wraps by comparison, an integer modulo per bar cost
more than the rest of an SMA). The kernels move the sum by (newest - oldest), one add per
bar on its dependency chain, and sum it afresh from the window every so often (see
terminal.kernels.trend.sma_run).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

SUM_WINDOW_HEADER = 3  # running sum, inputs pushed, next slot


def sum_window_size(n: int) -> int:
    return SUM_WINDOW_HEADER + n


def contiguous(values: npt.ArrayLike) -> F64:
    return np.ascontiguousarray(values, dtype=np.float64)


def check_period(name: str, value: int, least: int = 1) -> None:
    if value < least:
        raise ValueError(f"{name} must be at least {least}, not {value}")
