"""Cumulative depth of both sides as step curves around the mid price (pyqtgraph)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QVBoxLayout, QWidget

from terminal.ui.ladder import style
from terminal.ui.ladder.grid import Book, BookSide, FloatArray, Levels
from terminal.ui.ladder.overlay import StaleOverlay


def step_curve(side: BookSide, levels: int) -> tuple[FloatArray, FloatArray]:
    """(x, y) of a side's cumulative depth, from its best price outwards: the depth at a
    price is everything at least as good, so it steps up at each level."""
    prices = side.prices[:levels]
    cumulative = np.cumsum(side.sizes[:levels])
    x = np.repeat(prices, 2)
    y = np.empty(len(x))
    y[1::2] = cumulative
    y[0::2] = np.concatenate([[0.0], cumulative[:-1]])
    return x, y


class DepthChart(QWidget):
    """Setters record; `refresh` (frame timer) redraws only when something changed."""

    def __init__(self, parent: QWidget | None = None, *, levels: int = 100) -> None:
        super().__init__(parent)
        self.levels = levels
        self._book = Book.of([], [])
        self._usable = True
        self._reason: str | None = None
        self._dirty = True
        self._left_width = 0
        self._shown: tuple[float, float, float] | None = None  # mid, half width, top in view
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        # no grid: pyqtgraph draws it through the axes, which made a repaint cost 3x
        for name in ("left", "bottom"):
            self.plot.getAxis(name).enableAutoSIPrefix(False)  # prices read as quoted
        self.bids = self.plot.plot([], [])
        self.asks = self.plot.plot([], [])
        self.mid = pg.InfiniteLine(angle=90, movable=False)
        self.plot.addItem(self.mid)
        self.overlay = StaleOverlay(self.plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self._colour(usable=True)
        self._coloured_usable = True

    def set_book(self, bids: Levels, asks: Levels) -> None:
        """Levels best first. While stale, an empty book keeps the last curves (greyed)."""
        if not self._usable and not bids and not asks:
            return
        self._book = Book.of(bids, asks)
        self._dirty = True

    def clear(self) -> None:
        """Forget the levels shown (another instrument is chosen)."""
        self._book = Book.of([], [])
        self._shown = None
        self._dirty = True

    def set_status(self, usable: bool, reason: str | None) -> None:
        if (usable, reason) != (self._usable, self._reason):
            self._usable, self._reason = usable, reason
            self._dirty = True

    def refresh(self) -> bool:
        if not self._dirty:
            return False
        self._dirty = False
        book = self._book
        if self._usable != self._coloured_usable:  # restyling curves is costly: on change only
            self._colour(self._usable)
            self._coloured_usable = self._usable
        bid_x, bid_y = step_curve(book.bids, self.levels)
        ask_x, ask_y = step_curve(book.asks, self.levels)
        self.bids.setData(bid_x, bid_y)
        self.asks.setData(ask_x, ask_y)
        mid = (book.best_bid + book.best_ask) / 2
        self.mid.setVisible(not math.isnan(mid))
        if not math.isnan(mid):
            self.mid.setValue(mid)
            # symmetric about the mid, wide enough for the deeper of the two shown sides
            half = max(abs(mid - bid_x[-1]), abs(ask_x[-1] - mid))
            top = max(bid_y[-1], ask_y[-1])
            self._set_ranges(mid, half, top)
        if self._usable:
            self.overlay.hide()
        else:
            self.overlay.show_reason(self._reason)
        return True

    def _set_ranges(self, mid: float, half: float, top: float) -> None:
        """Move the axes only when the book has moved off them: a new range redraws both
        axes' ticks and labels, the costliest part of a frame."""
        shown = self._shown
        if shown is None or abs(mid - shown[0]) > 0.1 * shown[1] \
                or not 0.8 * shown[1] <= half <= 1.25 * shown[1]:
            self.plot.setXRange(mid - half, mid + half, padding=0.02)
            shown = (mid, half, shown[2] if shown is not None else math.nan)
        if math.isnan(shown[2]) or top > shown[2] or top < 0.6 * shown[2]:
            self.plot.setYRange(0, top, padding=0.05)
            self._fit_left_axis(top)
            shown = (shown[0], shown[1], top)
        self._shown = shown

    def _fit_left_axis(self, top: float) -> None:
        # pyqtgraph widens the axis only after a paint, and drops labels that do not fit
        axis = self.plot.getAxis("left")
        width = QFontMetrics(axis.style.get("tickFont") or self.font()).horizontalAdvance(
            f"{top * 1.05:,.0f}0") + 12
        if width != self._left_width:
            self._left_width = width
            axis.setWidth(width)

    def _colour(self, usable: bool) -> None:
        grey = style.STALE_TEXT
        for curve, line, fill in ((self.bids, style.BID_TEXT, style.BID_BAR),
                                  (self.asks, style.ASK_TEXT, style.ASK_BAR)):
            curve.setPen(pg.mkPen(line if usable else grey, width=2))
            curve.setFillLevel(0.0)
            curve.setBrush(pg.mkBrush(fill if usable else style.STALE_BAR))
        self.mid.setPen(pg.mkPen(grey, style=Qt.PenStyle.DashLine))
