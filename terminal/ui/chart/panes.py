"""One pane of the chart: a PlotItem sharing the bar-index x axis, a right value axis,
a time axis (shown on the bottom pane only) and a crosshair line."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6.QtCore import Qt

from terminal.ui.chart.axes import TimeAxis
from terminal.ui.chart.grid import GridItem
from terminal.ui.chart.items import LineItem, cosmetic_pen
from terminal.ui.chart.series import BarSeries
from terminal.ui.chart.style import ChartStyle


@dataclass
class Pane:
    name: str
    plot: pg.PlotItem
    value_axis: pg.AxisItem
    time_axis: TimeAxis
    vline: pg.InfiniteLine
    grid: GridItem
    lines: dict[str, LineItem] = field(default_factory=dict)

    @property
    def vb(self) -> pg.ViewBox:
        return self.plot.getViewBox()

    def set_style(self, style: ChartStyle) -> None:
        for axis in (self.value_axis, self.time_axis):
            axis.setPen(pg.mkPen(style.grid))
            axis.setTextPen(pg.mkPen(style.text))
        self.vline.setPen(cosmetic_pen(style.crosshair, 1.0, Qt.PenStyle.DashLine))
        self.grid.set_colour(style.grid)

    def show_time_axis(self, on: bool) -> None:
        if on:
            self.plot.showAxis("bottom")
        else:
            self.plot.hideAxis("bottom")


def make_pane(name: str, value_axis: pg.AxisItem, series: BarSeries, style: ChartStyle,
              link_to: pg.ViewBox | None) -> Pane:
    time_axis = TimeAxis(series)
    plot = pg.PlotItem(axisItems={"right": value_axis, "bottom": time_axis})
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.hideAxis("left")
    plot.showAxis("right")
    plot.hideAxis("bottom")
    plot.disableAutoRange()
    plot.layout.setContentsMargins(0, 0, 0, 0)
    for axis in (value_axis, time_axis):
        axis.setPen(pg.mkPen(style.grid))
        axis.setTextPen(pg.mkPen(style.text))
    vb = plot.getViewBox()
    vb.setMouseEnabled(x=True, y=False)
    vb.setDefaultPadding(0.0)
    if link_to is not None:
        plot.setXLink(link_to)
    vline = pg.InfiniteLine(angle=90, movable=False,
                            pen=cosmetic_pen(style.crosshair, 1.0, Qt.PenStyle.DashLine))
    grid = GridItem(time_axis, value_axis, style.grid)
    plot.addItem(grid, ignoreBounds=True)
    vline.setVisible(False)
    vline.setZValue(50)
    plot.addItem(vline, ignoreBounds=True)
    return Pane(name, plot, value_axis, time_axis, vline, grid)
