"""Trade and signal markers: triangles a fixed number of pixels wide at (bar time, price).

A marker is placed on the bar holding its time (the last bar opened at or before it), so
a fill inside a bar sits on that bar even after a gap. Buys point up at the price from
below, sells point down at it from above, signals point right at it from the left.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QPainter, QPainterPath
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from terminal.ui.chart import geometry
from terminal.ui.chart.geometry import F64
from terminal.ui.chart.items import ViewportItem, colour_of
from terminal.ui.chart.series import BarSeries
from terminal.ui.chart.style import ChartStyle

KINDS = ("buy", "sell", "signal")
I64 = npt.NDArray[np.int64]

# unit triangles (tip first) in pixels, y down; scaled by the style's marker size
_SHAPES: dict[str, tuple[tuple[float, float], ...]] = {
    "buy": ((0.0, 0.0), (-1.0, 2.0), (1.0, 2.0)),
    "sell": ((0.0, 0.0), (-1.0, -2.0), (1.0, -2.0)),
    "signal": ((-0.6, 0.0), (-2.6, -1.0), (-2.6, 1.0)),
}


@dataclass(frozen=True)
class Marker:
    ts: int
    price: float
    kind: str


def triangles_path(x: F64, y: F64, kind: str, size: float) -> QPainterPath:
    """One path holding a triangle per point (device coordinates), built in one go."""
    shape = np.array(_SHAPES[kind]) * size
    k = x.shape[0]
    px = (x[:, None] + np.append(shape[:, 0], shape[0, 0])[None, :]).ravel()
    py = (y[:, None] + np.append(shape[:, 1], shape[0, 1])[None, :]).ravel()
    connect = np.tile(np.array([1, 1, 1, 0], dtype=np.int32), k)
    path: QPainterPath = pg.arrayToQPath(px, py, connect=connect, finiteCheck=False)
    path.setFillRule(Qt.FillRule.WindingFill)
    return path


class MarkerItem(ViewportItem):
    def __init__(self, series: BarSeries, style: ChartStyle) -> None:
        super().__init__()
        self.series = series
        self.log = False
        self.markers: list[Marker] = []
        self.version = 0
        self._key: Hashable = None
        self._index: I64 = np.empty(0, dtype=np.int64)
        self._price: F64 = np.empty(0)
        self._kind: npt.NDArray[np.str_] = np.empty(0, dtype="<U6")
        self.set_style(style)

    def set_style(self, style: ChartStyle) -> None:
        self.size = style.marker_px / 2.0
        self._brushes = {"buy": QBrush(colour_of(style.buy)), "sell": QBrush(colour_of(style.sell)),
                         "signal": QBrush(colour_of(style.signal))}
        self.update()

    def add(self, marker: Marker) -> None:
        if marker.kind not in KINDS:
            raise ValueError(f"marker kind must be one of {KINDS}, got {marker.kind!r}")
        self.markers.append(marker)
        self.version += 1

    def clear(self) -> None:
        self.markers.clear()
        self.version += 1

    def placed(self) -> tuple[I64, F64, npt.NDArray[np.str_]]:
        """(bar index, y in axis units, kind) of every marker; index -1 = before history."""
        key = (self.version, self.series.version, self.log)
        if key != self._key:
            stamps = np.array([m.ts for m in self.markers], dtype=np.int64)
            self._index = np.searchsorted(self.series.ts, stamps, side="right").astype(
                np.int64) - 1
            prices = np.array([m.price for m in self.markers], dtype=np.float64)
            self._price = geometry.to_log(prices) if self.log else prices
            self._kind = np.array([m.kind for m in self.markers], dtype="<U6")
            self._key = key
        return self._index, self._price, self._kind

    def visible(self) -> dict[str, tuple[I64, F64]]:
        """Per kind, (bar index, y) of the markers inside the visible x range."""
        index, price, kind = self.placed()
        vb = self.getViewBox()
        if vb is None or index.shape[0] == 0:
            return {}
        (x0, x1), _ = vb.viewRange()
        shown = (index >= 0) & (index >= x0 - 0.5) & (index <= x1 + 0.5) & np.isfinite(price)
        return {k: (index[shown & (kind == k)], price[shown & (kind == k)]) for k in KINDS
                if bool(np.any(shown & (kind == k)))}

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        groups = self.visible()
        if not groups:
            return
        t = painter.transform()
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        for kind, (index, y) in groups.items():
            x = index.astype(np.float64)
            dx = t.m11() * x + t.m21() * y + t.dx()
            dy = t.m12() * x + t.m22() * y + t.dy()
            painter.fillPath(triangles_path(dx, dy, kind, self.size), self._brushes[kind])
        painter.restore()
