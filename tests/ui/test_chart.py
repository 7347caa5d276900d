"""The candlestick chart on real OHLCV files (../shared/data/ohlcv, see PROVENANCE.md)."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage

from plugins.replay.formats import open_recording
from terminal.model.market import Bar
from terminal.ui.chart.chart_widget import ChartWidget
from terminal.ui.chart.formatting import decimals_in, format_price, format_volume
from terminal.ui.chart.ticks import index_ticks
from tests.data_paths import SHARED_DATA

OHLCV = SHARED_DATA / "ohlcv"
EURUSD = OHLCV / "backtesting.py__EURUSD.csv"  # hourly FX, weekend gaps
ORCL = OHLCV / "backtrader__orcl-1995-2014.txt"  # daily, 9/11 closure gap
GOOG = OHLCV / "backtesting.py__GOOG.csv"
BTCUSD = OHLCV / "backtesting.py__BTCUSD.csv"  # monthly, 3.8 → 108,364
ADABTC = OHLCV / "nautilus__ADABTC-1m-2021-11-27.csv"  # ~2.85e-5, 8 decimals
FESX_1M = OHLCV / "backtrader__2006-01-02-volume-min-001.txt"  # 30,889 one-minute bars
SCRATCH = Path("/work/scratch")
NS = 1_000_000_000

pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(),
                                reason=f"shared data not found at {SHARED_DATA}")


@cache
def bars_of(path: Path) -> tuple[Bar, ...]:
    events, _report = open_recording(path)
    bars = tuple(e for _, e in events if isinstance(e, Bar))
    assert bars, f"no bars read from {path.name}"
    return bars


def columns(bars: tuple[Bar, ...]) -> list[np.ndarray]:
    ts = np.array([b.ts for b in bars], dtype=np.int64)
    return [ts, *(np.array([getattr(b, f) for b in bars], dtype=np.float64)
                  for f in ("open", "high", "low", "close", "volume"))]


def make_chart(qtbot, path: Path, decimals: int, label: str | None = None) -> ChartWidget:
    chart = ChartWidget()
    qtbot.addWidget(chart)
    chart.resize(1000, 640)
    chart.show()
    qtbot.waitExposed(chart)
    chart.set_instrument(label or path.stem, decimals)
    chart.set_bars(*columns(bars_of(path)))
    assert chart.refresh()
    return chart


def utc(ts_ns: int) -> datetime:
    return datetime.fromtimestamp(ts_ns / NS, tz=UTC)


def view_to_widget(chart: ChartWidget, x: float, y: float) -> QPoint:
    scene = chart.price.vb.mapViewToScene(QPointF(x, y))
    return chart.graphics.mapTo(chart, chart.graphics.mapFromScene(scene))


def hover(qtbot, chart: ChartWidget, x: float, y: float) -> None:
    """Move the mouse onto price-pane point (x, y) of the chart's graphics view."""
    viewport = chart.graphics.viewport()
    target = viewport.mapFrom(chart, view_to_widget(chart, x, y))
    qtbot.mouseMove(viewport, QPoint(target.x() + 1, target.y()))  # a real move, not a no-op
    qtbot.mouseMove(viewport, target)
    qtbot.wait(20)


# time axis over gaps ---------------------------------------------------------------------
def test_weekend_gap_collapses_and_labels_name_their_own_bar(qtbot):
    chart = make_chart(qtbot, EURUSD, 5)
    ts = chart.series.ts
    gaps = np.flatnonzero(np.diff(ts) > 24 * 3600 * NS) + 1  # first bar after a weekend
    assert gaps.shape[0] > 30
    after = int(gaps[10])
    # bar index, not time, is the x axis: the bar after the gap sits right next to Friday's
    chart.price.vb.setXRange(after - 40, after + 40, padding=0)
    chart.refresh()
    _win, geom = chart.candles.geometry()
    xs = np.concatenate([geom.up_wicks[:, 0], geom.down_wicks[:, 0]])
    assert {after - 1, after} <= set(xs.astype(int).tolist())
    axis = chart.price.time_axis
    levels = axis.tickValues(after - 40, after + 40, 800)
    ticks = levels[0][1]
    assert ticks and all(float(t).is_integer() for t in ticks)
    for t, text in zip(ticks, axis.tickStrings(ticks, 1.0, levels[0][0]), strict=True):
        assert text == utc(int(ts[int(t)])).strftime(axis.fmt), (t, text)
    axis.fmt = "%a %Y-%m-%d %H:%M"
    friday, reopen = axis.label_at(after - 1), axis.label_at(after)
    assert friday.startswith("Fri"), friday
    assert reopen.startswith(("Sun", "Mon")), reopen  # never an interpolated Saturday
    assert reopen == utc(int(ts[after])).strftime(axis.fmt)
    labels = [axis.label_at(i) for i in range(len(ts))]
    assert not any(label.startswith("Sat") for label in labels)


def test_nine_eleven_closure_is_one_step_on_the_daily_axis(qtbot):
    chart = make_chart(qtbot, ORCL, 2)
    ts = chart.series.ts
    before = chart.series.index_at(int(datetime(2001, 9, 10, tzinfo=UTC).timestamp()) * NS)
    assert utc(int(ts[before])).date().isoformat() == "2001-09-10"
    assert utc(int(ts[before + 1])).date().isoformat() == "2001-09-17"
    chart.price.vb.setXRange(before - 20, before + 20, padding=0)
    chart.refresh()
    axis = chart.volume.time_axis  # the bottom pane carries the visible time axis
    assert axis.isVisible() and not chart.price.time_axis.isVisible()
    axis.tickValues(before - 20, before + 20, 800)
    assert axis.fmt == "%d %b"
    assert axis.label_at(before + 1) == "17 Sep"
    assert axis.label_at(before) == "10 Sep"


def test_index_ticks_stay_inside_the_data_and_apart():
    step, ticks = index_ticks(-10.0, 5005.0, 900.0, 5000)
    assert ticks[0] >= 0 and ticks[-1] <= 4999
    assert step * 900.0 / 5015.0 >= 90.0  # at least 90 px between labels
    assert all(t % step == 0 for t in ticks)


# precision -------------------------------------------------------------------------------
def test_tiny_prices_format_with_eight_decimals(qtbot):
    chart = make_chart(qtbot, ADABTC, 8)
    last = chart.series
    text = chart.readout_text()
    assert f"C {format_price(float(last.close[-1]), 8)}" in text
    assert "C 0.00002865" in text and "e-" not in text  # the file's last close
    _, (y0, y1) = chart.price.vb.viewRange()
    levels = chart.price_axis.tickValues(y0, y1, chart.price.vb.height())
    values = [v for _spacing, vs in levels for v in vs]
    values = sorted({round(v, 12) for v in values})  # levels repeat some ticks
    labels = chart.price_axis.tickStrings(values, 1.0, levels[0][0])
    assert len(labels) >= 3
    for label in labels:
        assert re.fullmatch(r"0\.0000\d{4}", label), label
    assert len(set(labels)) == len(labels)  # 8 decimals tell every tick apart


def test_huge_prices_format_with_thousands_and_instrument_decimals(qtbot):
    chart = make_chart(qtbot, BTCUSD, 2)
    high = chart.series.high
    peak = int(np.argmax(high))
    assert high[peak] == 108364.0
    hover(qtbot, chart, peak, float(high[peak]))
    assert chart._hover == peak
    assert "H 108,364.00" in chart.readout_text()
    assert chart.price.vline.isVisible() and chart.hline.isVisible()
    _, (y0, y1) = chart.price.vb.viewRange()
    levels = chart.price_axis.tickValues(y0, y1, chart.price.vb.height())
    labels = chart.price_axis.tickStrings([v for _s, vs in levels for v in vs], 1.0, 1.0)
    assert any("," in label for label in labels)
    for label in labels:
        assert re.fullmatch(r"\d{1,3}(,\d{3})*\.\d{2}", label), label
    assert format_price(108364.0, 2) == "108,364.00"
    assert format_price(2.853e-05, 8) == "0.00002853"
    assert format_price(-0.0000001, 2) == "0.00"
    assert format_volume(22_351_900) == "22.35M"


def test_crosshair_readout_shows_the_bar_under_the_mouse(qtbot):
    chart = make_chart(qtbot, EURUSD, 5)
    first, last = chart.visible_range()
    i = (first + last) // 2
    s = chart.series
    hover(qtbot, chart, i + 0.2, float(s.close[i]))
    text = chart.readout_text()
    assert utc(int(s.ts[i])).strftime("%Y-%m-%d %H:%M") in text
    for name, col in (("O", s.open), ("H", s.high), ("L", s.low), ("C", s.close)):
        assert f"{name} {format_price(float(col[i]), 5)}" in text
    assert chart.price.vline.value() == i


# drawing ---------------------------------------------------------------------------------
def test_nan_bar_is_skipped_and_the_rest_still_drawn(qtbot):
    ts, o, h, low, c, v = columns(bars_of(GOOG))
    hole = len(ts) - 30
    for col in (o, h, low, c):
        col[hole] = np.nan
    chart = make_chart(qtbot, GOOG, 2)
    chart.set_bars(ts, o, h, low, c, v)
    chart.refresh()
    (first, last, step), geom = chart.candles.geometry()
    assert step == 1 and first <= hole <= last
    drawn = np.concatenate([geom.up_wicks[:, 0], geom.down_wicks[:, 0]]).astype(int)
    assert hole not in drawn
    assert len(drawn) == last - first  # every other visible bar is drawn
    assert {hole - 1, hole + 1} <= set(drawn.tolist())
    assert len(geom.up_bodies) + len(geom.down_bodies) == last - first
    _, (y0, y1) = chart.price.vb.viewRange()
    assert math.isfinite(y0) and math.isfinite(y1)
    # an overlay with a NaN run breaks around it and keeps both sides
    clean = columns(bars_of(GOOG))[4]
    sma = np.convolve(clean, np.ones(5) / 5, mode="full")[: len(c)]
    sma[:4] = np.nan
    sma[hole - 2: hole + 3] = np.nan
    chart.set_overlay("SMA5", sma)
    chart.refresh()
    lines = chart.overlays["SMA5"].geometry()
    assert lines is not None
    starts = set(lines[:, 0].astype(int).tolist())
    assert hole - 4 in starts and hole + 3 in starts
    assert not any(hole - 3 <= x <= hole + 2 for x in starts)


def test_upsert_edits_forming_bar_in_place_and_appends_new_bar(qtbot):
    chart = make_chart(qtbot, EURUSD, 5)
    s = chart.series
    n = len(s)
    paints = []
    original = chart.candles.paint
    chart.candles.paint = lambda *a: (paints.append(1), original(*a))[1]
    qtbot.wait(30)
    last = bars_of(EURUSD)[-1]
    forming = replace(last, close=last.close + 0.0007, high=last.high + 0.0007, closed=False)
    capacity = s.capacity
    chart.upsert_bar(forming)
    chart.upsert_bar(replace(forming, volume=last.volume + 10))
    assert len(s) == n
    assert s.close[-1] == pytest.approx(last.close + 0.0007)
    assert s.volume[-1] == last.volume + 10
    assert s.capacity == capacity and s.edits == 2
    painted = len(paints)
    qtbot.wait(30)
    assert len(paints) == painted, "an upsert alone must not repaint"
    assert chart.refresh()
    assert not chart.refresh(), "nothing changed: no second draw"
    assert format_price(last.close + 0.0007, 5) in chart.readout_text()
    # a new bar appends and the view follows the newest bar
    chart.upsert_bar(replace(last, ts=last.ts + 3600 * NS, open=1.3, high=1.31, low=1.29,
                             close=1.305))
    assert len(s) == n + 1 and s.close[-1] == 1.305 and s.close[-2] == forming.close
    assert chart.refresh()
    assert chart.visible_range()[1] == n
    # an older bar never rewrites history
    chart.upsert_bar(replace(last, ts=last.ts - 3600 * NS, close=9.0))
    assert len(s) == n + 1 and 9.0 not in s.close


def test_many_bars_use_level_of_detail_and_cost_only_the_view(qtbot):
    chart = make_chart(qtbot, FESX_1M, 1)
    n = len(chart.series)
    assert n == 30889
    assert chart.visible_range() == (n - 150 + 4, n - 1)
    (_f, _l, step), geom = chart.candles.geometry()
    assert step == 1 and len(geom.up_bodies) + len(geom.down_bodies) <= 150
    chart.price.vb.setXRange(-1, n + 4, padding=0)
    chart.refresh()
    assert chart.visible_range() == (0, n - 1)
    (_first, _last, step), geom = chart.candles.geometry()
    width = chart.price.vb.width()
    assert step >= n / width and step & (step - 1) == 0  # a power of two
    assert len(geom.up_bodies) == len(geom.down_bodies) == 0  # high-low lines only
    lines = len(geom.up_wicks) + len(geom.down_wicks)
    assert lines <= width + 2 and lines >= 0.4 * width
    # each bucket line spans its bars' extremes
    top = float(np.max(np.concatenate([geom.up_wicks[:, 3], geom.down_wicks[:, 3]])))
    assert top == float(np.nanmax(chart.series.high))


def test_y_range_follows_the_visible_bars(qtbot):
    chart = make_chart(qtbot, ORCL, 2)
    s = chart.series

    def check() -> None:
        first, last = chart.visible_range()
        lo, hi = float(s.low[first:last + 1].min()), float(s.high[first:last + 1].max())
        _, (y0, y1) = chart.price.vb.viewRange()
        assert y0 <= lo and y1 >= hi
        assert y0 >= 0  # padding never shows negative prices
        assert (y1 - y0) <= (hi - lo) * 1.2
        vmax = float(s.volume[first:last + 1].max())
        _, (v0, v1) = chart.volume.vb.viewRange()
        assert v0 == 0 and vmax <= v1 <= vmax * 1.2

    check()
    _, latest = chart.price.vb.viewRange()
    bubble = s.index_at(int(datetime(2000, 3, 1, tzinfo=UTC).timestamp()) * NS)
    chart.price.vb.setXRange(bubble - 60, bubble + 60, padding=0)  # like a mouse pan
    check()
    _, then = chart.price.vb.viewRange()
    assert then != latest


def test_log_scale_toggle(qtbot):
    chart = make_chart(qtbot, BTCUSD, 2)
    n = len(chart.series)
    chart.price.vb.setXRange(-1, n, padding=0)
    chart.refresh()
    _, (y0, y1) = chart.price.vb.viewRange()
    assert y1 > 100_000
    chart.toolbar.log.click()  # the toolbar button drives it
    assert chart.log and chart.price_axis.log
    chart.refresh()
    _, (y0, y1) = chart.price.vb.viewRange()
    assert y0 <= math.log10(3.8) < math.log10(108364) <= y1 < 6
    _win, geom = chart.candles.geometry()
    assert float(np.max(np.concatenate([geom.up_wicks[:, 3], geom.down_wicks[:, 3]]))) == (
        pytest.approx(math.log10(108364)))
    levels = chart.price_axis.tickValues(y0, y1, chart.price.vb.height())
    labels = chart.price_axis.tickStrings([v for _s, vs in levels for v in vs], 1.0, 1.0)
    assert {"10.00", "100.00", "1,000.00", "10,000.00", "100,000.00"} <= set(labels)
    chart.set_log_scale(False)
    assert not chart.toolbar.log.isChecked()
    _, (y0, y1) = chart.price.vb.viewRange()
    assert y1 > 100_000


def test_markers_and_alert_lines(qtbot):
    chart = make_chart(qtbot, EURUSD, 5)
    s = chart.series
    first, _last = chart.visible_range()
    i = first + 30
    inside = int(s.ts[i]) + 20 * 60 * NS  # a fill 20 minutes into bar i
    chart.add_marker(inside, float(s.low[i]), "buy")
    chart.add_marker(int(s.ts[i + 10]), float(s.high[i + 10]), "sell")
    chart.add_marker(int(s.ts[i + 20]), float(s.close[i + 20]), "signal")
    with pytest.raises(ValueError):
        chart.add_marker(int(s.ts[i]), 1.0, "hold")
    chart.set_alert_line(1.2315)
    assert chart.refresh()
    shown = chart.markers.visible()
    assert shown["buy"][0].tolist() == [i]
    assert shown["sell"][0].tolist() == [i + 10]
    assert shown["signal"][0].tolist() == [i + 20]
    assert chart.alert_prices() == [1.2315]
    (_price, line), = chart.alerts.values()
    assert line in chart.price.plot.items and line.label.format == "1.23150"
    assert line.pen.style() == Qt.PenStyle.DashLine
    # the buy triangle is painted just below its price, in the buy colour
    image = chart.grab().toImage()
    tip = view_to_widget(chart, i, float(s.low[i]))
    colour = image.pixelColor(tip.x(), tip.y() + 7)
    assert colour.name() == QColor(chart.style_.buy).name()
    second = chart.add_alert_line(1.25)
    assert sorted(chart.alert_prices()) == [1.2315, 1.25]
    chart.remove_alert_line(second)
    chart.set_alert_line(None)
    assert chart.alert_prices() == [] and line not in chart.price.plot.items


def test_alt_click_adds_an_alert_line_at_the_price_and_removes_it_again(qtbot):
    chart = make_chart(qtbot, EURUSD, 5)
    first, last = chart.visible_range()
    i = (first + last) // 2
    price = float(chart.series.close[i])
    viewport = chart.graphics.viewport()
    target = viewport.mapFrom(chart, view_to_widget(chart, i, price))
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, target)
    assert chart.alert_prices() == []  # a plain click is no alert
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.AltModifier, target)
    (alert,) = chart.alert_prices()
    pixel = abs(chart.price.vb.viewPixelSize()[1])
    assert abs(alert - price) <= 2 * pixel  # where the click was, rounded to the precision
    assert alert == round(alert, chart.decimals)
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.AltModifier, target)
    assert chart.alert_prices() == []


def test_timeframe_combobox_emits(qtbot):
    chart = ChartWidget()
    qtbot.addWidget(chart)
    with qtbot.waitSignal(chart.timeframe_changed, timeout=1000) as blocker:
        chart.toolbar.timeframe.setCurrentText("4h")
    assert blocker.args == ["4h"]
    assert [chart.toolbar.timeframe.itemText(k) for k in range(6)] == [
        "1m", "5m", "15m", "1h", "4h", "1d"]
    with qtbot.assertNotEmitted(chart.timeframe_changed):
        chart.set_timeframe("1d")
    assert chart.timeframe() == "1d"


def test_keys_pan_zoom_and_home(qtbot):
    chart = make_chart(qtbot, EURUSD, 5)
    home = chart.visible_range()
    qtbot.keyClick(chart, Qt.Key.Key_Left)
    panned = chart.visible_range()
    assert panned[1] < home[1] and panned[0] < home[0]
    qtbot.keyClick(chart.graphics, Qt.Key.Key_Right)  # the view itself takes keys too
    qtbot.keyClick(chart.graphics, Qt.Key.Key_Left)
    assert chart.visible_range() == panned
    qtbot.keyClick(chart, Qt.Key.Key_Plus)
    zoomed = chart.visible_range()
    assert zoomed[1] - zoomed[0] < panned[1] - panned[0]
    qtbot.keyClick(chart, Qt.Key.Key_Minus)
    qtbot.keyClick(chart, Qt.Key.Key_Minus)
    assert chart.visible_range()[1] - chart.visible_range()[0] > zoomed[1] - zoomed[0]
    qtbot.keyClick(chart, Qt.Key.Key_Home)
    assert chart.visible_range() == home


def test_rsi_subpane_under_the_volume(qtbot):
    chart = make_chart(qtbot, ORCL, 2)
    close = chart.series.close
    delta = np.diff(close, prepend=close[0])
    gain = np.convolve(np.clip(delta, 0, None), np.ones(14) / 14)[: len(close)]
    loss = np.convolve(np.clip(-delta, 0, None), np.ones(14) / 14)[: len(close)]
    rsi = 100 - 100 / (1 + gain / np.where(loss == 0, np.nan, loss))
    rsi[:14] = np.nan
    chart.set_subpane_series("RSI", "RSI14", rsi)
    chart.refresh()
    pane = chart.subpanes["RSI"]
    assert chart.graphics.ci.getItem(2, 0) is pane.plot  # row 0 price, 1 volume, 2 RSI
    assert pane.time_axis.isVisible() and not chart.volume.time_axis.isVisible()
    first, last = chart.visible_range()
    _, (y0, y1) = pane.vb.viewRange()
    assert y0 <= np.nanmin(rsi[first:last + 1]) and y1 >= np.nanmax(rsi[first:last + 1])
    assert y0 >= 0 and y1 <= 105
    assert pane.lines["RSI14"].geometry().shape[0] >= last - first - 2


def test_grab_renders_candles_in_both_colours(qtbot):
    chart = make_chart(qtbot, EURUSD, 5, "EURUSD 1h")
    close = chart.series.close
    ema = np.array(close, copy=True)
    for k in range(1, len(ema)):
        ema[k] = ema[k - 1] + (close[k] - ema[k - 1]) * 2 / 21
    chart.set_overlay("EMA20", ema)
    chart.refresh()
    pixmap = chart.grab()
    assert not pixmap.isNull() and pixmap.width() == 1000
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB32)
    if SCRATCH.is_dir():
        pixmap.save(str(SCRATCH / "chart.png"))
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(height,
                                                                    image.bytesPerLine())
    rgb = data[:, : width * 4].reshape(height, width, 4)[:, :, 2::-1]  # BGRA → RGB

    def count(colour: str) -> int:
        c = QColor(colour)
        return int(np.all(rgb == (c.red(), c.green(), c.blue()), axis=2).sum())

    assert count(chart.style_.up) > 500
    assert count(chart.style_.down) > 500
    assert count(chart.style_.background) > width * height // 3
    assert chart.toolbar.title.text() == "EURUSD 1h"
    title = chart.toolbar.title
    assert title.width() >= title.fontMetrics().horizontalAdvance("EURUSD 1h")


def test_empty_history_then_live_bars(qtbot):
    chart = ChartWidget()
    qtbot.addWidget(chart)
    chart.resize(800, 500)
    chart.show()
    chart.set_instrument("BINANCE:ADABTC", 8)
    empty = np.empty(0)
    chart.set_bars(np.empty(0, dtype=np.int64), empty, empty, empty, empty, empty)
    chart.refresh()
    assert chart.visible_range() == (0, -1) and chart.readout_text() == ""
    assert not chart.grab().isNull()
    for bar in bars_of(ADABTC)[:3]:
        chart.upsert_bar(bar)
        chart.upsert_bar(replace(bar, close=bar.high))
    assert chart.refresh()
    assert len(chart.series) == 3 and chart.series.close[-1] == bars_of(ADABTC)[2].high
    assert chart.visible_range() == (0, 2)
    assert chart.interval_ns == 60 * NS
    _, (y0, y1) = chart.price.vb.viewRange()
    assert y0 <= min(b.low for b in bars_of(ADABTC)[:3]) and y1 < 0.0001


def test_decimals_of_prices_without_metadata():
    assert decimals_in([806.19, 797.8, 801.0]) == 2
    assert decimals_in([0.00270002, 0.0027]) == 8
    assert decimals_in([108364.0, 108365.0]) == 0
    assert decimals_in([float("nan"), 1.5]) == 1
    assert decimals_in([]) == 8 and decimals_in([1 / 3]) == 8
