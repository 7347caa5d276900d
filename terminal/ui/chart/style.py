"""Colours and sizes of the chart (dark by default, like the rest of the terminal)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartStyle:
    background: str = "#131722"
    text: str = "#d1d4dc"
    grid: str = "#2a2e39"
    up: str = "#26a69a"
    down: str = "#ef5350"
    up_volume: str = "#26a69a66"
    down_volume: str = "#ef535066"
    crosshair: str = "#9598a1"
    alert: str = "#f0b90b"
    buy: str = "#2196f3"
    sell: str = "#e040fb"
    signal: str = "#ffeb3b"
    overlay_colours: tuple[str, ...] = ("#2962ff", "#ff9800", "#ab47bc", "#00bcd4", "#e91e63",
                                        "#8bc34a")
    marker_px: float = 11.0  # half the width of a marker triangle, in pixels


DARK = ChartStyle()
LIGHT = ChartStyle(background="#ffffff", text="#131722", grid="#e0e3eb", up="#089981",
                   down="#f23645", up_volume="#08998166", down_volume="#f2364566",
                   crosshair="#787b86")
