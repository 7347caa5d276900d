"""The crosshair read-out of one bar: time, OHLC with the instrument's decimals, volume,
change, and the values of the overlays at that bar. Nothing here imports Qt."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from terminal.ui.chart.formatting import format_price, format_volume, readout_time
from terminal.ui.chart.geometry import F64
from terminal.ui.chart.series import BarSeries


def readout_fields(series: BarSeries, i: int, decimals: int, interval_ns: int,
                   overlays: Mapping[str, F64] | None = None) -> list[tuple[str, str]]:
    """(name, text) pairs for bar i; empty if there is no such bar."""
    if not 0 <= i < len(series):
        return []
    o, h, low, c = (float(col[i]) for col in (series.open, series.high, series.low,
                                              series.close))
    fields = [("", readout_time(int(series.ts[i]), interval_ns)),
              ("O", format_price(o, decimals)), ("H", format_price(h, decimals)),
              ("L", format_price(low, decimals)), ("C", format_price(c, decimals)),
              ("V", format_volume(float(series.volume[i])))]
    if math.isfinite(o) and math.isfinite(c) and o != 0:
        fields.append(("", f"{(c - o) / o * 100:+.2f}%"))
    for name, values in (overlays or {}).items():
        v = float(values[i]) if i < values.shape[0] else np.nan
        fields.append((name, format_price(v, decimals)))
    return fields


def plain(fields: list[tuple[str, str]]) -> str:
    return "  ".join(f"{k} {v}" if k else v for k, v in fields)
