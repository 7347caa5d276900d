"""Chart frame cost: our ChartWidget against finplot, rendered offscreen in the same run.

Data: the 30,889 real one-minute bars of ohlcv/backtrader__2006-01-02-volume-min-001.txt,
tiled end to end (prices repeat, timestamps continue minute by minute) to 100k and 1M bars.

(a) full view: all 100k bars in view; both charts (candles + volume) render their
    GraphicsLayoutWidget (1200x680) into a QImage with their caches invalidated, i.e. the
    cost of drawing a new view. Also the cached repaint.
(b) last-candle update + frame: edit the forming bar, refresh, and let the event loop paint
    what changed (offscreen). Ours with 100k and 1M bars of history; finplot's live update
    (update_data with the whole frame, as its examples do) with 100k.
(c) cold start to the first painted chart, in a fresh interpreter (after one warm-up run),
    for ours and for finplot, each loading the same real file (EURUSD, 5000 bars).

Run alone with `python -m bench.chart_frame`.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from bench.common import REPO_ROOT, SHARED_DATA

SOURCE = SHARED_DATA / "ohlcv" / "backtrader__2006-01-02-volume-min-001.txt"
COLD_SOURCE = SHARED_DATA / "ohlcv" / "backtesting.py__EURUSD.csv"
SIZE = (1200, 680)
MINUTE_NS = 60_000_000_000


@dataclass
class Tiled:
    ts: np.ndarray
    o: np.ndarray
    h: np.ndarray
    low: np.ndarray
    c: np.ndarray
    v: np.ndarray


def load_tiled(n: int) -> Tiled:
    from plugins.replay.formats import open_recording
    from terminal.model.market import Bar

    events, _report = open_recording(SOURCE)
    bars = [e for _, e in events if isinstance(e, Bar)]
    reps = -(-n // len(bars))
    cols = [np.tile(np.array([getattr(b, f) for b in bars], dtype=np.float64), reps)[:n]
            for f in ("open", "high", "low", "close", "volume")]
    ts = bars[0].ts + np.arange(n, dtype=np.int64) * MINUTE_NS
    return Tiled(ts, *cols)


def median_ms(reps: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def line(name: str, ours: float, ref: float | None, target: str) -> None:
    ratio = f"{ours / ref:6.2f}x finplot" if ref else "     —        "
    ref_txt = f", finplot {ref:7.2f} ms" if ref else ""
    print(f"{name:46} {ratio}  (ours {ours:7.2f} ms{ref_txt})  target {target}")


# ours -----------------------------------------------------------------------------------
def our_chart(data: Tiled):  # -> ChartWidget
    from terminal.ui.chart.chart_widget import ChartWidget

    chart = ChartWidget()
    chart.resize(SIZE[0], SIZE[1] + chart.toolbar.sizeHint().height())
    chart.set_instrument("FESX tiled", 1)
    chart.set_bars(data.ts, data.o, data.h, data.low, data.c, data.v)
    chart.show()
    chart.refresh()
    return chart


def our_full_view(app, data: Tiled) -> tuple[float, float]:
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QWidget

    chart = our_chart(data)
    n = len(data.ts)
    chart.price.vb.setXRange(-1, n + 4, padding=0)
    chart.refresh()
    app.processEvents()
    image = QImage(chart.graphics.size(), QImage.Format.Format_ARGB32_Premultiplied)

    def fresh() -> None:
        for item in chart._items():
            item._key = None
        for pane in chart._panes():
            pane.grid.invalidate()
        QWidget.render(chart.graphics, image)

    fresh()
    uncached = median_ms(15, fresh)
    cached = median_ms(15, lambda: QWidget.render(chart.graphics, image))
    chart.close()
    return uncached, cached


def our_update(app, data: Tiled) -> float:
    from terminal.model.ids import InstrumentId
    from terminal.model.market import Bar

    chart = our_chart(data)
    app.processEvents()
    last = len(data.ts) - 1
    bar = Bar(InstrumentId("BENCH", "FESX"), MINUTE_NS, int(data.ts[last]), float(data.o[last]),
              float(data.h[last]), float(data.low[last]), float(data.c[last]),
              float(data.v[last]), closed=False)
    k = [0]

    def tick() -> None:
        k[0] += 1
        close = bar.low + (bar.high - bar.low) * ((k[0] % 7) / 6)
        chart.upsert_bar(replace(bar, close=close, volume=bar.volume + k[0]))
        chart.refresh()
        app.processEvents()

    tick()
    result = median_ms(60, tick)
    assert len(chart.series) == len(data.ts), "an edit of the forming bar must not append"
    chart.close()
    return result


# finplot ---------------------------------------------------------------------------------
def finplot_frame(data: Tiled):
    import finplot as fplt
    import pandas as pd

    df = pd.DataFrame({"time": data.ts // 1_000_000, "open": data.o, "close": data.c,
                       "high": data.h, "low": data.low, "volume": data.v})
    ax = fplt.create_plot("finplot", init_zoom_periods=len(df) + 10, maximize=False)
    candles = fplt.candlestick_ochl(df[["time", "open", "close", "high", "low"]], ax=ax)
    volume = fplt.volume_ocv(df[["time", "open", "close", "volume"]], ax=ax.overlay())
    win = ax.vb.win
    win.resize(*SIZE)
    fplt.refresh()
    win.show()
    return fplt, df, win, candles, volume


def finplot_full_view(app, data: Tiled) -> tuple[float, float]:
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QWidget

    fplt, _df, win, candles, volume = finplot_frame(data)
    app.processEvents()
    image = QImage(win.size(), QImage.Format.Format_ARGB32_Premultiplied)

    def fresh() -> None:
        candles.dirty = True
        volume.dirty = True
        QWidget.render(win, image)

    fresh()
    uncached = median_ms(15, fresh)
    cached = median_ms(15, lambda: QWidget.render(win, image))
    fplt.close()
    return uncached, cached


def finplot_update(app, data: Tiled) -> float:
    fplt, df, _win, candles, _volume = finplot_frame(data)
    app.processEvents()
    last = len(df) - 1
    high, low = float(df.at[last, "high"]), float(df.at[last, "low"])
    k = [0]

    def tick() -> None:
        k[0] += 1
        df.at[last, "close"] = low + (high - low) * ((k[0] % 7) / 6)
        candles.update_data(df[["time", "open", "close", "high", "low"]])
        app.processEvents()

    tick()
    result = median_ms(15, tick)
    fplt.close()
    return result


# cold start ------------------------------------------------------------------------------
COLD_OURS = """
import os, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
import numpy as np
from pathlib import Path
from PySide6.QtWidgets import QApplication
from plugins.replay.formats import open_recording
from terminal.model.market import Bar
from terminal.ui.chart.chart_widget import ChartWidget
app = QApplication([])
events, _ = open_recording(Path({src!r}))
bars = [e for _, e in events if isinstance(e, Bar)]
w = ChartWidget()
w.resize(1200, 700)
w.set_instrument("EURUSD", 5)
w.set_bars(np.array([b.ts for b in bars], dtype=np.int64),
           *[np.array([getattr(b, f) for b in bars]) for f in ("open", "high", "low", "close",
                                                             "volume")])
w.show()
w.refresh()
image = w.grab()
assert not image.isNull()
print("painted", flush=True)
"""

COLD_FINPLOT = """
import os
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
import pandas as pd
import finplot as fplt
df = pd.read_csv({src!r})
df.columns = ["time", "Open", "High", "Low", "Close", "Volume"]
df["time"] = pd.to_datetime(df["time"])
ax = fplt.create_plot("EURUSD", maximize=False)
fplt.candlestick_ochl(df[["time", "Open", "Close", "High", "Low"]], ax=ax)
fplt.volume_ocv(df[["time", "Open", "Close", "Volume"]], ax=ax.overlay())
fplt.refresh()
win = ax.vb.win
win.resize(1200, 700)
win.show()
image = win.grab()
assert not image.isNull()
print("painted", flush=True)
"""


def cold_start(script: str, runs: int = 3) -> float:
    """Best wall time (ms) from spawning the interpreter to its 'painted' line."""
    code = script.format(src=str(COLD_SOURCE))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, check=True,
                   capture_output=True, timeout=120)  # warm-up: .pyc and caches
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO_ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        first = proc.stdout.readline()
        elapsed = time.perf_counter() - start
        proc.wait(timeout=60)
        if first.strip() != "painted":
            raise RuntimeError(f"cold start run failed (exit {proc.returncode})")
        best = min(best, elapsed)
    return best * 1e3


def main() -> None:
    from PySide6.QtWidgets import QApplication

    print("== chart frame: ChartWidget vs finplot 1.9.7 (offscreen raster) ==")
    print(f"   data: {SOURCE.name} (30,889 real 1-min bars) tiled to 100k / 1M bars; "
          f"plot {SIZE[0]}x{SIZE[1]} px")
    app = QApplication.instance() or QApplication([])
    d100k = load_tiled(100_000)
    ours_new, ours_cached = our_full_view(app, d100k)
    ref_new, ref_cached = finplot_full_view(app, d100k)
    line("(a) full view 100k candles, new view", ours_new, ref_new, "<= 3x")
    line("(a) full view 100k candles, cached repaint", ours_cached, ref_cached, "<= 3x")
    upd_100k = our_update(app, d100k)
    ref_upd = finplot_update(app, d100k)
    line("(b) last-candle update + frame, 100k history", upd_100k, ref_upd, "<= 5 ms")
    d1m = load_tiled(1_000_000)
    upd_1m = our_update(app, d1m)
    line("(b) last-candle update + frame, 1M history", upd_1m, None, "<= 5 ms")
    print(f"{'':46} 1M/100k history: {upd_1m / upd_100k:.2f}x (independent of history: ~1)")
    ours_cold = cold_start(COLD_OURS)
    ref_cold = cold_start(COLD_FINPLOT)
    line("(c) cold start to first painted chart (5000 bars)", ours_cold, ref_cold,
         "(no target; best of 3)")


if __name__ == "__main__":
    main()
