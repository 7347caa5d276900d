"""The candlestick chart: price pane, volume pane and indicator sub-panes on one bar-index
x axis, a toolbar, a crosshair read-out, markers and alert lines.

Setters only record (an upsert writes one row of the BarSeries); `refresh`, called by the
main window's frame timer, redraws when a version changed. Bar i sits at x = i, so nights
and weekends collapse; the time axis labels each tick with its own bar's time.
"""

from __future__ import annotations

import math
from itertools import count

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFontMetrics, QKeyEvent
from PySide6.QtWidgets import QLabel, QMenu, QVBoxLayout, QWidget

from terminal.model.market import Bar
from terminal.ui.chart import geometry
from terminal.ui.chart.axes import PriceAxis, ValueAxis
from terminal.ui.chart.formatting import clamp_decimals, format_price, format_volume
from terminal.ui.chart.items import CandleItem, LineItem, VolumeItem, cosmetic_pen
from terminal.ui.chart.markers import Marker, MarkerItem
from terminal.ui.chart.panes import Pane, make_pane
from terminal.ui.chart.readout import plain, readout_fields
from terminal.ui.chart.series import BarSeries
from terminal.ui.chart.style import DARK, ChartStyle
from terminal.ui.chart.toolbar import ChartToolbar

DEFAULT_VISIBLE = 150  # bars shown after set_bars and Home
MIN_VISIBLE = 30  # a short history still gets candles of a sane width
RIGHT_MARGIN = 5  # empty bar slots right of the last bar
PAN_FRACTION = 0.1
ZOOM_FACTOR = 1.25
Y_PAD = 0.06
PRICE_STRETCH, VOLUME_STRETCH, SUBPANE_STRETCH = 6, 1, 2
BAR_FIELDS = {"O", "H", "L", "C", "V"}
ZOOM_IN_KEYS = {Qt.Key.Key_Plus, Qt.Key.Key_Equal}
ZOOM_OUT_KEYS = {Qt.Key.Key_Minus, Qt.Key.Key_Underscore}


class ChartWidget(QWidget):
    timeframe_changed = Signal(str)
    alert_requested = Signal(float)  # right-click "Alert at <price>" on the price pane

    def __init__(self, parent: QWidget | None = None, style: ChartStyle = DARK) -> None:
        super().__init__(parent)
        self.setObjectName("chart")
        self.style_ = style
        self.series = BarSeries()
        self.label = ""
        self.decimals = 2
        self.interval_ns = 0
        self.log = False
        self._look = 0  # bumped by anything that changes the picture but not the data
        self._drawn: tuple[int, ...] | None = None
        self._drawn_len = 0
        self._drawn_edits = 0
        self._hover: int | None = None
        self._axis_key: tuple[int, ...] = ()
        self._axis_width = 80
        self._colours = count()
        self._alert_ids = count(1)
        self.alerts: dict[int, tuple[float, pg.InfiniteLine]] = {}

        self.toolbar = ChartToolbar(style, self)
        self.toolbar.timeframe_changed.connect(self.timeframe_changed)
        self.toolbar.log_toggled.connect(self.set_log_scale)
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground(style.background)
        self.graphics.ci.layout.setSpacing(0)
        self.graphics.ci.layout.setContentsMargins(0, 0, 0, 0)
        self.graphics.installEventFilter(self)
        self.setFocusProxy(self.graphics)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.graphics, 1)

        self.price_axis = PriceAxis()
        self.price = make_pane("price", self.price_axis, self.series, style, None)
        self.volume = make_pane("volume", ValueAxis(format_volume), self.series, style,
                                self.price.vb)
        self.subpanes: dict[str, Pane] = {}
        self._add_pane(self.price, 0, PRICE_STRETCH)
        self._add_pane(self.volume, 1, VOLUME_STRETCH)
        self._place_time_axis()
        self.candles = CandleItem(self.series, style)
        self.volume_bars = VolumeItem(self.series, style)
        self.markers = MarkerItem(self.series, style)
        self.overlays: dict[str, LineItem] = {}
        self.price.plot.addItem(self.candles)
        self.price.plot.addItem(self.markers)
        self.markers.setZValue(20)
        self.volume.plot.addItem(self.volume_bars)
        self.hline = pg.InfiniteLine(angle=0, movable=False,
                                     pen=cosmetic_pen(style.crosshair, 1.0, Qt.PenStyle.DashLine))
        self.hline.setVisible(False)
        self.hline.setZValue(50)
        self.price.plot.addItem(self.hline, ignoreBounds=True)
        self._readout_lines = 1
        self.readout = QLabel(self.graphics)
        self.readout.setObjectName("chartReadout")
        self.readout.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.readout.setStyleSheet(f"color: {style.text}; background: transparent;")
        self._place_readout()
        self.price.vb.setMenuEnabled(False)  # right-click offers an alert instead
        self.price.vb.sigXRangeChanged.connect(self._on_x_range)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse)
        self.graphics.scene().sigMouseClicked.connect(self._on_click)
        self._fit_axis_width()
        self.show_latest()

    # public API ---------------------------------------------------------------------------
    def set_instrument(self, label: str, decimals: int) -> None:
        """Title and price precision. A new instrument drops the old one's markers, alert
        lines and overlays (they were about other prices)."""
        if label != self.label:
            self.clear_markers()
            for line_id in list(self.alerts):
                self.remove_alert_line(line_id)
            for name in list(self.overlays):
                self.remove_overlay(name)
        self.label = label
        self.decimals = clamp_decimals(decimals)
        self.price_axis.decimals = self.decimals
        self.toolbar.set_title(label)
        for price, line in self.alerts.values():
            line.label.setFormat(format_price(price, self.decimals))
        self._fit_axis_width()
        self._invalidate_axes()
        self._look += 1

    def set_bars(self, ts: npt.ArrayLike, open: npt.ArrayLike, high: npt.ArrayLike,
                 low: npt.ArrayLike, close: npt.ArrayLike,
                 volume: npt.ArrayLike | None = None) -> None:
        """Replace the history (int64 ns open times, float columns) and show the latest."""
        self.series.replace(ts, open, high, low, close, volume)
        stamps = self.series.ts[-513:]
        diffs = np.diff(stamps)
        self.interval_ns = int(np.median(diffs)) if diffs.shape[0] else 0
        for pane in self._panes():
            pane.time_axis.interval_ns = self.interval_ns
        self._drawn_len = len(self.series)
        self._update_limits()
        self.show_latest()

    def upsert_bar(self, bar: Bar) -> None:
        """The forming bar edits the last row in place, a newer bar appends: O(1), no
        drawing (the next refresh draws)."""
        self.series.upsert(bar.ts, bar.open, bar.high, bar.low, bar.close, bar.volume)
        if bar.interval_ns > 0 and bar.interval_ns != self.interval_ns:
            self.interval_ns = bar.interval_ns
            for pane in self._panes():
                pane.time_axis.interval_ns = bar.interval_ns

    def refresh(self) -> bool:
        """One frame: redraw if anything changed since the last one. True if it drew.

        When the only change is an edit of the last bar and the y ranges stay put, only
        that bar's slot is repainted."""
        state = self._state()
        if state == self._drawn:
            return False
        s = self.series
        n = len(s)
        last_only = (self._drawn is not None and n == self._drawn_len
                     and state[1:] == self._drawn[1:]
                     and state[0] - self._drawn[0] == s.edits - self._drawn_edits)
        grown = n - self._drawn_len
        if grown != 0:
            (x0, x1), _ = self.price.vb.viewRange()
            following = grown > 0 and x0 <= self._drawn_len - 1 <= x1
            self._drawn_len = n
            self._update_limits()
            self._invalidate_axes()
            if following:  # keep the newest bar in view as the chart grows
                self.price.vb.setXRange(x0 + grown, x1 + grown, padding=0)
        before = (self.price.vb.viewRange(), self.volume.vb.viewRange())
        self._fit_y()
        self._fit_axis_width()
        if last_only and before == (self.price.vb.viewRange(), self.volume.vb.viewRange()):
            self._update_last_slot(n - 1)
        else:
            for item in self._items():
                item.update()
        if self._hover is None:
            self._show_readout(n - 1)
        self._drawn = self._state()
        self._drawn_edits = s.edits
        return True

    def _update_last_slot(self, i: int) -> None:
        """Repaint only the slot (or level-of-detail bucket) holding bar i."""
        win = self.candles.window(i + 1)
        if win is None or not win[0] <= i <= win[1]:
            return
        step = win[2]
        start = (i // step) * step
        for item, vb in ((self.candles, self.price.vb), (self.volume_bars, self.volume.vb)):
            _, (y0, y1) = vb.viewRange()
            item.update(QRectF(start - 0.5, y0, step + 1.0, y1 - y0))

    def set_style(self, style: ChartStyle) -> None:
        """Recolour everything (a theme change); data, view and overlays stay."""
        self.style_ = style
        self.graphics.setBackground(style.background)
        self.toolbar.set_style(style)
        for pane in self._panes():
            pane.set_style(style)
        for item in (self.candles, self.volume_bars, self.markers):
            item.set_style(style)
        self.hline.setPen(cosmetic_pen(style.crosshair, 1.0, Qt.PenStyle.DashLine))
        self.readout.setStyleSheet(f"color: {style.text}; background: transparent;")
        self._look += 1
        self._drawn = None  # the next refresh redraws
        self.refresh()

    def set_log_scale(self, on: bool) -> None:
        if on == self.log:
            return
        self.log = on
        self.toolbar.set_log_checked(on)
        self.price_axis.log = on
        for item in (self.candles, self.markers, *self.overlays.values()):
            item.log = on
            item.update()
        for price, line in self.alerts.values():
            line.setPos(self._y(price))
        self._invalidate_axes()
        self._fit_y()
        self._look += 1

    def set_overlay(self, name: str, values: npt.ArrayLike, color: str | None = None) -> None:
        """An indicator line on the price pane; values[i] belongs to bar i. NaN breaks it.
        A float64 array is kept as given, not copied (a live indicator's output view)."""
        data = np.asarray(values, dtype=np.float64).ravel()
        item = self.overlays.get(name)
        if item is None:
            item = LineItem(data, color or self._next_colour())
            item.log = self.log
            item.setZValue(10)
            self.overlays[name] = item
            self.price.plot.addItem(item)
        else:
            item.set_values(data)
            if color is not None:
                item.set_colour(color)
        self._look += 1

    def remove_overlay(self, name: str) -> None:
        item = self.overlays.pop(name, None)
        if item is not None:
            self.price.plot.removeItem(item)
            self._look += 1

    def add_subpane(self, name: str) -> None:
        """An indicator pane below the volume (idempotent)."""
        if name in self.subpanes:
            return
        pane = make_pane(name, ValueAxis(format_volume), self.series, self.style_,
                         self.price.vb)
        pane.time_axis.interval_ns = self.interval_ns
        self.subpanes[name] = pane
        self._add_pane(pane, 1 + len(self.subpanes), SUBPANE_STRETCH)
        self._place_time_axis()
        self._fit_axis_width()
        self._look += 1

    def add_subpane_levels(self, pane: str, levels: tuple[float, ...]) -> None:
        """Dotted horizontal guides in a sub-pane (RSI 30 and 70)."""
        self.add_subpane(pane)
        target = self.subpanes[pane]
        for level in levels:
            guide = pg.InfiniteLine(pos=level, angle=0, movable=False,
                                    pen=cosmetic_pen(self.style_.crosshair, 1.0,
                                                     Qt.PenStyle.DotLine))
            target.plot.addItem(guide, ignoreBounds=True)
        self._look += 1

    def set_subpane_series(self, pane: str, name: str, values: npt.ArrayLike,
                           color: str | None = None) -> None:
        """A line in sub-pane `pane` (created if missing); values[i] belongs to bar i."""
        self.add_subpane(pane)
        target = self.subpanes[pane]
        data = np.asarray(values, dtype=np.float64).ravel()
        item = target.lines.get(name)
        if item is None:
            item = LineItem(data, color or self._next_colour())
            target.lines[name] = item
            target.plot.addItem(item)
        else:
            item.set_values(data)
            if color is not None:
                item.set_colour(color)
        self._look += 1

    def add_marker(self, ts_ns: int, price: float, kind: str) -> None:
        """A "buy"/"sell" fill or a "signal" at a time and price, drawn as a triangle."""
        self.markers.add(Marker(int(ts_ns), float(price), kind))

    def clear_markers(self) -> None:
        self.markers.clear()

    def set_alert_line(self, price: float | None) -> None:
        """The one alert line (None removes it); see add_alert_line for several."""
        for line_id in list(self.alerts):
            self.remove_alert_line(line_id)
        if price is not None:
            self.add_alert_line(price)

    def add_alert_line(self, price: float) -> int:
        """A dashed horizontal line with its price label; returns its id."""
        line = pg.InfiniteLine(
            pos=self._y(price), angle=0, movable=False,
            pen=cosmetic_pen(self.style_.alert, 1.0, Qt.PenStyle.DashLine),
            label=format_price(price, self.decimals),
            labelOpts={"position": 0.96, "color": self.style_.alert,
                       "anchors": [(1, 1), (1, 1)]})
        line.setZValue(30)
        self.price.plot.addItem(line, ignoreBounds=True)
        line_id = next(self._alert_ids)
        self.alerts[line_id] = (float(price), line)
        self._look += 1
        return line_id

    def remove_alert_line(self, line_id: int) -> None:
        found = self.alerts.pop(line_id, None)
        if found is not None:
            self.price.plot.removeItem(found[1])
            self._look += 1

    def alert_prices(self) -> list[float]:
        return [price for price, _line in self.alerts.values()]

    def show_alerts(self, prices: list[float]) -> None:
        """Draw exactly these alert levels (the active alerts of the shown instrument)."""
        if sorted(self.alert_prices()) == sorted(prices):
            return
        self.set_alert_line(None)
        for price in prices:
            self.add_alert_line(price)

    def alert_menu(self, price: float) -> QMenu:
        """The price pane's context menu: "Alert at <price>" emits alert_requested."""
        menu = QMenu(self)
        menu.setObjectName("chartMenu")
        action = menu.addAction(f"Alert at {format_price(price, self.decimals)}")
        action.triggered.connect(lambda: self.alert_requested.emit(price))
        return menu

    def set_timeframe(self, timeframe: str) -> None:
        """Show `timeframe` in the combobox without emitting timeframe_changed."""
        self.toolbar.set_timeframe(timeframe)

    def timeframe(self) -> str:
        return self.toolbar.timeframe.currentText()

    def visible_range(self) -> tuple[int, int]:
        """(first, last) bar index in view; (0, -1) when no bar is."""
        (x0, x1), _ = self.price.vb.viewRange()
        span = geometry.visible_span(x0, x1, len(self.series))
        return span if span is not None else (0, -1)

    def readout_text(self) -> str:
        return self.readout.property("plain") or ""

    # view ---------------------------------------------------------------------------------
    def show_latest(self, bars: int = DEFAULT_VISIBLE) -> None:
        """Home: the newest `bars` bars with a small margin on the right."""
        x1 = len(self.series) - 1 + RIGHT_MARGIN
        x0 = min(max(-1.0, x1 - bars), x1 - MIN_VISIBLE)
        self.price.vb.setXRange(x0, x1, padding=0)

    def pan(self, fraction: float) -> None:
        (x0, x1), _ = self.price.vb.viewRange()
        shift = math.copysign(max(1.0, abs(fraction) * (x1 - x0)), fraction)
        self.price.vb.setXRange(x0 + shift, x1 + shift, padding=0)

    def zoom(self, factor: float) -> None:
        """factor > 1 zooms in; anchored on the right edge (where the newest bars are)."""
        (x0, x1), _ = self.price.vb.viewRange()
        width = max((x1 - x0) / factor, 5.0)
        self.price.vb.setXRange(x1 - width, x1, padding=0)

    def handle_key(self, key: int) -> bool:
        if key == Qt.Key.Key_Left:
            self.pan(-PAN_FRACTION)
        elif key == Qt.Key.Key_Right:
            self.pan(PAN_FRACTION)
        elif key in ZOOM_IN_KEYS:
            self.zoom(ZOOM_FACTOR)
        elif key in ZOOM_OUT_KEYS:
            self.zoom(1.0 / ZOOM_FACTOR)
        elif key == Qt.Key.Key_Home:
            self.show_latest()
        else:
            return False
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.handle_key(event.key()):
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.graphics:
            if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
                return self.handle_key(event.key())
            if event.type() == QEvent.Type.Leave:
                self._hide_crosshair()
            if event.type() == QEvent.Type.Resize:
                self._place_readout()
        return super().eventFilter(watched, event)

    # internals ----------------------------------------------------------------------------
    def _state(self) -> tuple[int, ...]:
        lines = sum(item.version for item in self._lines())
        return (self.series.version, self.markers.version, lines, self._look)

    def _panes(self) -> list[Pane]:
        return [self.price, self.volume, *self.subpanes.values()]

    def _lines(self) -> list[LineItem]:
        found = list(self.overlays.values())
        for pane in self.subpanes.values():
            found.extend(pane.lines.values())
        return found

    def _items(self) -> list[pg.GraphicsObject]:
        return [self.candles, self.volume_bars, self.markers, *self._lines()]

    def _add_pane(self, pane: Pane, row: int, stretch: int) -> None:
        self.graphics.addItem(pane.plot, row=row, col=0)
        self.graphics.ci.layout.setRowStretchFactor(row, stretch)

    def _place_time_axis(self) -> None:
        """Only the bottom pane shows the time axis."""
        panes = self._panes()
        for pane in panes:
            pane.show_time_axis(pane is panes[-1])

    def _next_colour(self) -> str:
        colours = self.style_.overlay_colours
        return colours[next(self._colours) % len(colours)]

    def _y(self, price: float) -> float:
        """A price in view units of the price pane (log10 in log mode)."""
        if not self.log:
            return price
        return math.log10(price) if price > 0 else math.nan

    def _update_limits(self) -> None:
        n = len(self.series)
        self.price.vb.setLimits(xMin=-1.0 - 2 * MIN_VISIBLE,
                                xMax=max(n, 1) - 1 + RIGHT_MARGIN + 2 * MIN_VISIBLE,
                                minXRange=5.0)

    def _invalidate_axes(self) -> None:
        for pane in self._panes():
            for axis in (pane.time_axis, pane.value_axis):
                axis.picture = None
                axis.update()
            pane.grid.invalidate()

    def _on_x_range(self, *_args: object) -> None:
        self._fit_y()

    def _fit_y(self) -> None:
        """Price, volume and sub-pane y ranges follow the bars in view."""
        first, last = self.visible_range()
        if last < first:
            return
        s = self.series
        sl = slice(first, last + 1)
        high, low = s.high[sl], s.low[sl]
        if self.log:
            high, low = geometry.to_log(high), geometry.to_log(low)
        bounds = [geometry.finite_range(low, high)]
        bounds += [item.value_range(first, last) for item in self.overlays.values()]
        _set_y(self.price.vb, bounds, Y_PAD, floor=None if self.log else 0.0)
        vmax = geometry.finite_range(s.volume[sl])
        top = vmax[1] if vmax is not None and vmax[1] > 0 else 1.0
        _set_y_range(self.volume.vb, 0.0, top * 1.1)
        for pane in self.subpanes.values():
            _set_y(pane.vb, [item.value_range(first, last) for item in pane.lines.values()],
                   Y_PAD)

    def _fit_axis_width(self) -> None:
        """One width for every right axis (so the panes line up), wide enough for the
        longest price label at this precision (10x the last high, for growth)."""
        s = self.series
        last = abs(float(s.high[-1])) if len(s) else 1.0
        sample = format_price(last * 10 if math.isfinite(last) else 1.0, self.decimals)
        key = (len(sample), self.decimals, len(self.subpanes))
        if key == self._axis_key:
            return
        self._axis_key = key
        width = self.price_axis.text_width([sample, format_volume(-999.99e6)]) + 12
        self._axis_width = width
        for pane in self._panes():
            pane.value_axis.setWidth(width)
        self._place_readout()

    def _on_mouse(self, pos: QPointF) -> None:
        pane = next((p for p in self._panes() if p.vb.sceneBoundingRect().contains(pos)), None)
        n = len(self.series)
        if pane is None or n == 0:
            self._hide_crosshair()
            return
        point = pane.vb.mapSceneToView(pos)
        i = min(max(round(point.x()), 0), n - 1)
        for p in self._panes():
            p.vline.setPos(i)
            p.vline.setVisible(True)
        self.hline.setVisible(pane is self.price)
        if pane is self.price:
            self.hline.setPos(point.y())
        self._hover = i
        self._show_readout(i)

    def _on_click(self, event: object) -> None:
        """Right-click on the price pane offers "Alert at <price>" (alert_requested); Alt+click
        adds a local alert line there, and Alt+click on a line's price removes it (within 3
        pixels)."""
        modifiers = getattr(event, "modifiers", lambda: Qt.KeyboardModifier.NoModifier)()
        right = getattr(event, "button", lambda: None)() == Qt.MouseButton.RightButton
        if not (right or modifiers & Qt.KeyboardModifier.AltModifier):
            return
        pos = event.scenePos()  # type: ignore[attr-defined]
        if not self.price.vb.sceneBoundingRect().contains(pos):
            return
        y = self.price.vb.mapSceneToView(pos).y()
        price = 10.0 ** y if self.log else y
        if right:
            self.alert_menu(round(price, self.decimals)).popup(
                event.screenPos().toPoint())  # type: ignore[attr-defined]
            return
        tolerance = abs(self.price.vb.mapSceneToView(pos + QPointF(0, 3)).y() - y)
        for line_id, (_p, line) in list(self.alerts.items()):
            if abs(line.value() - y) <= tolerance:
                self.remove_alert_line(line_id)
                return
        self.add_alert_line(round(price, self.decimals))

    def _place_readout(self) -> None:
        """Top left of the price pane, as wide as the pane without its axis (a repaint of
        the read-out then never touches the axis)."""
        width = self.graphics.width() - self._axis_width - 16
        height = QFontMetrics(self.readout.font()).height() * self._readout_lines + 4
        self.readout.setGeometry(8, 4, max(width, 50), height)

    def _hide_crosshair(self) -> None:
        for p in self._panes():
            p.vline.setVisible(False)
        self.hline.setVisible(False)
        self._hover = None
        self._show_readout(len(self.series) - 1)

    def _show_readout(self, i: int) -> None:
        overlays = {name: item.values for name, item in self.overlays.items()}
        fields = readout_fields(self.series, i, self.decimals, self.interval_ns, overlays)
        text = plain(fields)
        if text == self.readout.property("plain"):
            return
        self.readout.setProperty("plain", text)
        up = len(fields) > 4 and self.series.close[i] >= self.series.open[i]
        colour = self.style_.up if up else self.style_.down
        bar_parts, overlay_parts = [], []
        for name, value in fields:
            if not name:
                bar_parts.append(f"<span>{value}</span>")
            elif name in BAR_FIELDS:
                bar_parts.append(f"{name} <span style='color:{colour}'>{value}</span>")
            else:
                c = self._overlay_colour(name)
                overlay_parts.append(f"{name} <span style='color:{c}'>{value}</span>")
        lines = ["&nbsp;&nbsp;".join(bar_parts)]
        bar_text = "  ".join(f"{k} {v}" if k else v for k, v in fields
                             if not k or k in BAR_FIELDS)
        room = self.graphics.width() - self._axis_width - 16
        if QFontMetrics(self.readout.font()).horizontalAdvance(bar_text) > room:
            half = (len(bar_parts) + 1) // 2  # a narrow chart: two lines rather than cut
            lines = ["&nbsp;&nbsp;".join(bar_parts[:half]),
                     "&nbsp;&nbsp;".join(bar_parts[half:])]
        if overlay_parts:  # a line of their own: a narrow chart would cut them off
            lines.append("&nbsp;&nbsp;".join(overlay_parts))
        if len(lines) != self._readout_lines:
            self._readout_lines = len(lines)
            self._place_readout()
        self.readout.setText("<br>".join(lines))

    def _overlay_colour(self, name: str) -> str:
        item = self.overlays.get(name)
        return item.colour if item is not None else self.style_.text


def _set_y(vb: pg.ViewBox, bounds: list[tuple[float, float] | None], pad: float,
           floor: float | None = None) -> None:
    """Fit vb's y range to the union of `bounds` plus padding; the padding never takes the
    range below `floor` unless the data itself goes there (prices are not negative)."""
    found = [b for b in bounds if b is not None]
    if not found:
        return
    lo = min(b[0] for b in found)
    hi = max(b[1] for b in found)
    span = hi - lo
    if span <= 0:
        span = abs(hi) * 0.01 or 1.0
    bottom = lo - span * pad
    if floor is not None and lo >= floor:
        bottom = max(bottom, floor)
    _set_y_range(vb, bottom, hi + span * pad)


def _set_y_range(vb: pg.ViewBox, lo: float, hi: float) -> None:
    """setYRange unless the range is already that (a no-op setRange still costs)."""
    _, (y0, y1) = vb.viewRange()
    if (y0, y1) != (lo, hi):
        vb.setYRange(lo, hi, padding=0)

