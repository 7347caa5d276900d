"""Grid lines at the axes' tick positions, drawn in one drawLines call.

pyqtgraph's own grid is part of each axis picture and costs ~3 ms per pane per frame here
(alpha-blended full-length lines replayed from a QPicture); this item costs ~0.1 ms.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from terminal.ui.chart.geometry import F64
from terminal.ui.chart.items import ViewportItem, cosmetic_pen
from terminal.ui.chart.primitives import draw_lines


class GridItem(ViewportItem):
    def __init__(self, x_axis: pg.AxisItem, y_axis: pg.AxisItem, colour: str) -> None:
        super().__init__()
        self.x_axis = x_axis
        self.y_axis = y_axis
        self._pen = cosmetic_pen(colour)
        self.generation = 0  # bumped by invalidate(): the ticks changed at the same range
        self._key: tuple[float, ...] = ()
        self._rows = np.empty((0, 4))
        self.setZValue(-100)

    def set_colour(self, colour: str) -> None:
        self._pen = cosmetic_pen(colour)
        self.update()

    def invalidate(self) -> None:
        self.generation += 1
        self.update()

    def rows(self) -> F64:
        """The grid lines for the current view, recomputed only when the view changed."""
        vb = self.getViewBox()
        if vb is None:
            return np.empty((0, 4))
        (x0, x1), (y0, y1) = vb.viewRange()
        width, height = float(vb.width()), float(vb.height())
        key = (x0, x1, y0, y1, width, height, self.generation)
        if key == self._key:
            return self._rows
        xs = [v for _spacing, values in self.x_axis.tickValues(x0, x1, width)[:1]
              for v in values]
        ys = [v for _spacing, values in self.y_axis.tickValues(y0, y1, height)[:2]
              for v in values]
        rows = np.empty((len(xs) + len(ys), 4))
        rows[: len(xs), 0] = rows[: len(xs), 2] = xs
        rows[: len(xs), 1] = y0
        rows[: len(xs), 3] = y1
        rows[len(xs):, 1] = rows[len(xs):, 3] = ys
        rows[len(xs):, 0] = x0
        rows[len(xs):, 2] = x1
        self._key, self._rows = key, rows
        return rows

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(self._pen)
        draw_lines(painter, self.rows())
