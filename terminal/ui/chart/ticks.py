"""Where the time axis puts its labels: on bar indices, so a label always names its bar.

The x axis is the bar index (gaps collapse), so a tick at x = i is labelled with the open
time of bar i, never with a time interpolated across a gap. Nothing here imports Qt.
"""

from __future__ import annotations

import math

NICE = (1, 2, 5)


def nice_step(min_bars: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50 ... bars that is at least `min_bars`."""
    if not min_bars > 1.0:  # also NaN
        return 1
    exponent = math.floor(math.log10(min_bars))
    for base in (*NICE, 10):
        step = base * 10**exponent
        if step >= min_bars:
            return int(step)
    return int(10 ** (exponent + 1))  # pragma: no cover - the loop always returns


def index_ticks(x0: float, x1: float, width_px: float, n: int,
                min_spacing_px: float = 90.0) -> tuple[int, list[int]]:
    """(step, indices): bar indices on multiples of a nice step, at least `min_spacing_px`
    apart, inside both the view [x0, x1] and the data [0, n)."""
    if n <= 0 or not (math.isfinite(x0) and math.isfinite(x1)) or x1 <= x0 or width_px <= 0:
        return 1, []
    step = nice_step(min_spacing_px * (x1 - x0) / width_px)
    first = max(0, math.ceil(x0 / step) * step)
    last = min(n - 1, math.floor(x1))
    return step, list(range(first, last + 1, step))
