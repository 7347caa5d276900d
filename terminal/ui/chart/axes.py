"""Axis items: bar index → time labels, prices with the instrument's decimals, volumes."""

from __future__ import annotations

import math
from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetrics

from terminal.ui.chart.formatting import format_price, format_time, format_volume, tick_format
from terminal.ui.chart.series import BarSeries
from terminal.ui.chart.ticks import index_ticks

TickLevels = list[tuple[float, list[float]]]
TICK_FONT_PT = 8


def tick_font() -> QFont:
    font = QFont()
    font.setPointSize(TICK_FONT_PT)
    return font


class TimeAxis(pg.AxisItem):  # type: ignore[misc]
    """Ticks on whole bar indices; each label is the open time of that very bar, so a label
    after a weekend gap names Monday's bar, not an interpolated Saturday."""

    def __init__(self, series: BarSeries) -> None:
        super().__init__("bottom")
        self.series = series
        self.interval_ns = 0
        self.fmt = "%H:%M"
        self.setStyle(tickFont=tick_font(), autoExpandTextSpace=False)
        self.setHeight(QFontMetrics(tick_font()).height() + 10)

    def tickValues(self, minVal: float, maxVal: float, size: float) -> TickLevels:
        n = len(self.series)
        step, ticks = index_ticks(minVal, maxVal, size, n)
        if not ticks:
            return []
        ts = self.series.ts
        first = min(max(math.ceil(minVal), 0), n - 1)
        last = min(max(math.floor(maxVal), 0), n - 1)
        self.fmt = tick_format(int(ts[last] - ts[first]), self.interval_ns)
        return [(float(step), [float(i) for i in ticks])]

    def tickStrings(self, values: list[float], scale: float, spacing: float
                    ) -> list[str]:
        return [self.label_at(v) for v in values]

    def label_at(self, x: float) -> str:
        """The label of the tick at x (a bar index); empty outside the data."""
        i = round(x)
        n = len(self.series)
        if not 0 <= i < n:
            return ""
        return format_time(int(self.series.ts[i]), self.fmt)


class PriceAxis(pg.AxisItem):  # type: ignore[misc]
    """Prices with exactly the instrument's decimals; in log mode the view holds log10 of
    the price and the labels still read as prices."""

    def __init__(self) -> None:
        super().__init__("right")
        self.decimals = 2
        self.log = False
        self.enableAutoSIPrefix(False)
        self.setStyle(tickFont=tick_font(), autoExpandTextSpace=False)

    def price(self, value: float) -> float:
        return 10.0 ** value if self.log else value

    def tickValues(self, minVal: float, maxVal: float, size: float) -> TickLevels:
        if not self.log:
            return self._resolvable(super().tickValues(minVal, maxVal, size))
        if not (math.isfinite(minVal) and math.isfinite(maxVal)) or maxVal <= minVal:
            return []
        if maxVal - minVal < 1.0:  # less than a decade: linear steps in price
            linear = self._resolvable(super().tickValues(10.0 ** minVal, 10.0 ** maxVal, size))
            return [(spacing, [math.log10(v) for v in values if v > 0])
                    for spacing, values in linear]
        bases = (1.0,) if maxVal - minVal > 3.0 else (1.0, 2.0, 5.0)
        values = [math.log10(b) + k for k in range(math.floor(minVal), math.ceil(maxVal) + 1)
                  for b in bases]
        return [(1.0, [v for v in values if minVal <= v <= maxVal])]

    def _resolvable(self, levels: TickLevels) -> TickLevels:
        """Drop tick levels finer than the price precision (their labels would repeat)."""
        finest = 10.0 ** -self.decimals * 0.999
        return [(spacing, values) for spacing, values in levels if spacing >= finest]

    def tickStrings(self, values: list[float], scale: float, spacing: float
                    ) -> list[str]:
        return [format_price(self.price(v), self.decimals) for v in values]

    def text_width(self, samples: list[str]) -> int:
        metrics = QFontMetrics(tick_font())
        return max((metrics.horizontalAdvance(s) for s in samples), default=0)


def spaced(levels: TickLevels, span: float, size: float, min_px: float) -> TickLevels:
    """Only tick levels at least `min_px` apart on screen; if none is, every k-th tick of
    the coarsest level (a short pane then still gets a label or two, not a crowd)."""
    if not levels or span <= 0 or size <= 0:
        return levels
    px_per_unit = size / span
    kept = [(sp, vs) for sp, vs in levels if sp * px_per_unit >= min_px]
    if kept:
        return kept
    spacing, values = levels[0]
    stride = math.ceil(min_px / max(spacing * px_per_unit, 1e-9))
    return [(spacing * stride, [v for v in values if round(v / spacing) % stride == 0])]


class ValueAxis(pg.AxisItem):  # type: ignore[misc]
    """A right axis for volume or an indicator, with its own compact formatter."""

    MIN_TICK_PX = 22.0

    def __init__(self, formatter: Callable[[float], str] = format_volume) -> None:
        super().__init__("right")
        self.formatter = formatter
        self.enableAutoSIPrefix(False)
        self.setStyle(tickFont=tick_font(), autoExpandTextSpace=False)

    def tickValues(self, minVal: float, maxVal: float, size: float) -> TickLevels:
        levels: TickLevels = super().tickValues(minVal, maxVal, size)
        return spaced(levels, maxVal - minVal, size, self.MIN_TICK_PX)

    def tickStrings(self, values: list[float], scale: float, spacing: float
                    ) -> list[str]:
        return [self.formatter(v) for v in values]
