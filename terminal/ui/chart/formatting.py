"""Text for prices, volumes and bar times. Plain strings, never scientific notation.

Times are int64 ns UTC and are shown in UTC. Nothing here imports Qt.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

MAX_DECIMALS = 12
NS_PER_S = 1_000_000_000
MINUTE_NS = 60 * NS_PER_S
HOUR_NS = 60 * MINUTE_NS
DAY_NS = 24 * HOUR_NS
MISSING = "—"


def clamp_decimals(decimals: int) -> int:
    return min(max(int(decimals), 0), MAX_DECIMALS)


def decimals_in(values: npt.ArrayLike, most: int = 8) -> int:
    """The fewest decimals (up to `most`) that write every finite value of a sample exactly:
    the precision of prices from a file without instrument metadata (GOOG's 806.19 -> 2)."""
    sample = np.asarray(values, dtype=np.float64)[-500:]
    sample = sample[np.isfinite(sample)]
    if not sample.size:
        return most
    for decimals in range(most + 1):
        if np.all(np.abs(np.round(sample, decimals) - sample)
                  <= 1e-9 * np.maximum(np.abs(sample), 1e-12)):
            return decimals
    return most


def format_price(value: float, decimals: int) -> str:
    """`value` with exactly `decimals` decimals and thousands separators: 0.00002853,
    108,364.00. NaN and infinities read as a dash."""
    if not math.isfinite(value):
        return MISSING
    text = f"{value:,.{clamp_decimals(decimals)}f}"
    if text.startswith("-") and not any(ch in "123456789" for ch in text):
        text = text[1:]  # no "-0.00"
    return text


def format_volume(value: float) -> str:
    """Compact volume: 950, 36,304.2 → 36.3K, 22,351,900 → 22.35M; fractions below 1 keep
    up to 6 decimals. NaN (no volume in the source) reads as a dash."""
    if not math.isfinite(value):
        return MISSING
    size = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= limit:
            return f"{value / limit:.2f}".rstrip("0").rstrip(".") + suffix
    if size >= 1 or size == 0:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.6f}".rstrip("0").rstrip(".")


def to_datetime(ts_ns: int) -> datetime:
    return datetime.fromtimestamp(ts_ns // NS_PER_S, tz=UTC).replace(
        microsecond=(ts_ns % NS_PER_S) // 1000)


def tick_format(span_ns: int, interval_ns: int) -> str:
    """strftime format of the time axis labels for a view `span_ns` wide, of bars
    `interval_ns` long (0 if unknown)."""
    if span_ns >= 3 * 365 * DAY_NS:
        return "%Y"
    if span_ns >= 120 * DAY_NS:
        return "%b %Y"
    if interval_ns >= DAY_NS or span_ns >= 20 * DAY_NS:
        return "%d %b"
    if span_ns >= DAY_NS:
        return "%d %b %H:%M"
    if 0 < interval_ns < MINUTE_NS:
        return "%H:%M:%S"
    return "%H:%M"


def format_time(ts_ns: int, fmt: str) -> str:
    return to_datetime(ts_ns).strftime(fmt)


def readout_time(ts_ns: int, interval_ns: int) -> str:
    """The full time of a bar for the crosshair read-out."""
    if interval_ns >= DAY_NS and ts_ns % DAY_NS == 0:
        return format_time(ts_ns, "%Y-%m-%d")
    if 0 < interval_ns < MINUTE_NS:
        return format_time(ts_ns, "%Y-%m-%d %H:%M:%S")
    return format_time(ts_ns, "%Y-%m-%d %H:%M")
