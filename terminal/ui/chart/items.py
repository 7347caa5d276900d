"""Graphics items that paint only the visible index range of the bars, in bulk.

Each item asks its ViewBox for the x range and pixel width, picks the level of detail
(geometry.lod_step) and turns the visible slice into (n, 4) rows that one drawLines or
drawRects call paints. The rows are cached per (data version, range, step, scale), so a
frame that changes nothing recomputes nothing, and history outside the view costs nothing.
"""

from __future__ import annotations

from collections.abc import Hashable

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from terminal.ui.chart import geometry
from terminal.ui.chart.geometry import F64, Candles
from terminal.ui.chart.primitives import draw_lines, draw_rects
from terminal.ui.chart.series import BarSeries
from terminal.ui.chart.style import ChartStyle

Window = tuple[int, int, int]  # first, last, step


def colour_of(spec: str) -> QColor:
    """"#rrggbb" or "#rrggbbaa" (alpha last, as in CSS; Qt alone would read ARGB)."""
    colour: QColor = pg.mkColor(spec)
    return colour


def cosmetic_pen(colour: str, width: float = 1.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine
                 ) -> QPen:
    pen = QPen(colour_of(colour))
    pen.setCosmetic(True)
    pen.setWidthF(width)
    pen.setStyle(style)
    return pen


class ViewportItem(pg.GraphicsObject):  # type: ignore[misc]
    """An item whose bounds are the view it sits in: it draws what is visible, so it never
    needs the extent of the whole history (which would cost a scan per update)."""

    def __init__(self) -> None:
        super().__init__()
        self._bounds: QRectF | None = None

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()
        self._bounds = None

    def boundingRect(self) -> QRectF:
        if self._bounds is None:
            vb = self.getViewBox()
            self._bounds = QRectF() if vb is None else QRectF(vb.viewRect())
        return self._bounds

    def window(self, n: int) -> Window | None:
        """(first, last, step) of the bars in view, or None if none are."""
        vb = self.getViewBox()
        if vb is None or n == 0:
            return None
        (x0, x1), _ = vb.viewRange()
        span = geometry.visible_span(x0, x1, n)
        if span is None:
            return None
        width = max(float(vb.width()), 1.0)
        return span[0], span[1], geometry.lod_step((x1 - x0) / width)


class CandleItem(ViewportItem):
    """Candles (or one high-low line per bucket when bars outnumber pixels)."""

    def __init__(self, series: BarSeries, style: ChartStyle) -> None:
        super().__init__()
        self.series = series
        self.log = False
        self._key: Hashable = None
        self._geom: Candles | None = None
        self.set_style(style)

    def set_style(self, style: ChartStyle) -> None:
        self._up_pen = cosmetic_pen(style.up)
        self._down_pen = cosmetic_pen(style.down)
        self._up_brush = QBrush(colour_of(style.up))
        self._down_brush = QBrush(colour_of(style.down))
        self.update()

    def geometry(self) -> tuple[Window, Candles] | None:
        """The rows painted for the current view (computed once per change)."""
        s = self.series
        win = self.window(len(s))
        if win is None:
            return None
        key = (s.version, *win, self.log)
        if key != self._key or self._geom is None:
            first, last, step = win
            self._geom = geometry.candles(s.open, s.high, s.low, s.close, first, last, step,
                                          log=self.log)
            self._key = key
        return win, self._geom

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        found = self.geometry()
        if found is None:
            return
        g = found[1]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for pen, brush, wicks, bodies in ((self._up_pen, self._up_brush, g.up_wicks, g.up_bodies),
                                          (self._down_pen, self._down_brush, g.down_wicks,
                                           g.down_bodies)):
            painter.setPen(pen)
            draw_lines(painter, wicks)
            if bodies.shape[0]:
                painter.setBrush(brush)
                draw_rects(painter, bodies)


class VolumeItem(ViewportItem):
    """Volume columns coloured like their candle; per bucket the largest volume."""

    def __init__(self, series: BarSeries, style: ChartStyle) -> None:
        super().__init__()
        self.series = series
        self._key: Hashable = None
        self._rects: tuple[F64, F64] | None = None
        self.set_style(style)

    def set_style(self, style: ChartStyle) -> None:
        self._up_brush = QBrush(colour_of(style.up_volume))
        self._down_brush = QBrush(colour_of(style.down_volume))
        self.update()

    def geometry(self) -> tuple[F64, F64] | None:
        s = self.series
        win = self.window(len(s))
        if win is None:
            return None
        key = (s.version, *win)
        if key != self._key or self._rects is None:
            self._rects = geometry.volume_bars(s.volume, s.open, s.close, *win)
            self._key = key
        return self._rects

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        rects = self.geometry()
        if rects is None:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        for brush, rows in ((self._up_brush, rects[0]), (self._down_brush, rects[1])):
            painter.setBrush(brush)
            draw_rects(painter, rows)


class LineItem(ViewportItem):
    """An indicator line aligned with the bars (values[i] belongs to bar i). A NaN breaks
    the line around itself only; with more bars than pixels it is a min/max envelope."""

    def __init__(self, values: F64, colour: str, width: float = 1.5) -> None:
        super().__init__()
        self.values = values
        self.colour = colour
        self.log = False
        self.version = 0
        self._key: Hashable = None
        self._lines: F64 | None = None
        self._pen = cosmetic_pen(colour, width)

    def set_values(self, values: F64) -> None:
        self.values = values
        self.version += 1
        self.update()

    def set_colour(self, colour: str) -> None:
        self.colour = colour
        self._pen = cosmetic_pen(colour, self._pen.widthF())
        self.update()

    def geometry(self) -> F64 | None:
        win = self.window(self.values.shape[0])
        if win is None:
            return None
        key = (self.version, *win, self.log)
        if key != self._key or self._lines is None:
            self._lines = geometry.polyline(self.values, *win, log=self.log)
            self._key = key
        return self._lines

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        lines = self.geometry()
        if lines is None:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(self._pen)
        draw_lines(painter, lines)

    def value_range(self, first: int, last: int) -> tuple[float, float] | None:
        """Finite (min, max) of the values of bars first..last (for the y auto-range)."""
        chunk = self.values[max(first, 0): last + 1]
        if self.log:
            chunk = geometry.to_log(chunk)
        return geometry.finite_range(chunk)
