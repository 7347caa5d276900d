"""Indicator kernels and bar roll-up against pandas on the real 1-minute BTC file."""

import math

import numpy as np
import pandas as pd
import pytest

from plugins.replay.formats import open_recording
from terminal.kernels.indicators import ema, rsi
from terminal.model.ids import InstrumentId
from terminal.model.market import Bar
from terminal.services.bar_resample import BarArrays, LiveRollup, resample
from terminal.services.running_indicator import RunningIndicator
from tests.data_paths import SHARED_DATA

BTC_1M = SHARED_DATA / "ohlcv" / "freqtrade__UNITTEST_BTC-1m.json"


@pytest.fixture(scope="module")
def bars() -> BarArrays:
    events, report = open_recording(BTC_1M)
    rows = [(ts, e.open, e.high, e.low, e.close, e.volume) for ts, e in events
            if type(e).__name__ == "Bar"]
    assert report.bad_rows == 0 and len(rows) == 13681
    cols = list(zip(*rows, strict=True))
    return BarArrays(np.array(cols[0], dtype=np.int64),
                     *(np.array(c, dtype=np.float64) for c in cols[1:]))


def test_ema_matches_pandas(bars):
    for span in (1, 20, 200):
        ours = ema(bars.close, span)
        theirs = pd.Series(bars.close).ewm(span=span, adjust=False, min_periods=span).mean()
        np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=1e-12, equal_nan=True)


def test_a_nan_close_breaks_the_line_once(bars):
    close = bars.close[:300].copy()
    close[100] = math.nan
    out = ema(close, 20)
    assert math.isnan(out[100])
    assert np.isfinite(out[19:100]).all() and np.isfinite(out[101:]).all()
    # the bar after the gap continues from the state before it
    expected = out[99] + 2 / 21 * (close[101] - out[99])
    assert out[101] == pytest.approx(expected, rel=1e-12)


def test_rsi_matches_wilder_via_pandas(bars):
    close = pd.Series(bars.close)
    change = close.diff()
    up, down = change.clip(lower=0), (-change).clip(lower=0)
    period = 14
    avg_up = np.full(len(close), np.nan)
    avg_down = np.full(len(close), np.nan)
    avg_up[period] = up[1:period + 1].mean()
    avg_down[period] = down[1:period + 1].mean()
    for i in range(period + 1, len(close)):
        avg_up[i] = (avg_up[i - 1] * (period - 1) + up[i]) / period
        avg_down[i] = (avg_down[i - 1] * (period - 1) + down[i]) / period
    total = avg_up + avg_down
    expected = np.where(total == 0, 50.0, 100 * avg_up / np.where(total == 0, 1, total))
    np.testing.assert_allclose(rsi(bars.close, period), expected, rtol=1e-9, equal_nan=True)
    assert np.nanmin(expected) >= 0 and np.nanmax(expected) <= 100


@pytest.mark.parametrize("minutes", [5, 15, 60, 240])
def test_resample_matches_pandas_and_keeps_gaps(bars, minutes):
    interval = minutes * 60_000_000_000
    ours = resample(bars, interval)
    frame = pd.DataFrame({"open": bars.open, "high": bars.high, "low": bars.low,
                          "close": bars.close, "volume": bars.volume},
                         index=pd.to_datetime(bars.ts, utc=True))
    theirs = frame.resample(f"{minutes}min").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    ).dropna(subset=["open"])
    assert len(ours.ts) == len(theirs)
    np.testing.assert_array_equal(ours.ts, theirs.index.as_unit("ns").asi8)
    for name in ("open", "high", "low", "close", "volume"):
        np.testing.assert_allclose(getattr(ours, name), theirs[name].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("make, full", [
    (lambda: RunningIndicator.ema(20), lambda v: ema(v, 20)),
    (lambda: RunningIndicator.rsi(14), lambda v: rsi(v, 14)),
])
def test_running_indicator_equals_a_full_recompute_through_live_edits(bars, make, full):
    """The real closes arrive as a live chart sees them: history first, then bars that are
    edited several times while forming (one of them NaN for a while) and then appended."""
    history, live = bars.close[:13000], bars.close[13000:13400]
    running = make()
    out = running.reset(history)
    np.testing.assert_array_equal(out, full(history))
    series = list(history)
    rng = np.random.default_rng(7)
    for k, final in enumerate(live):
        series.append(final * (1 + rng.normal(0, 1e-3)))  # the forming bar opens
        for _ in range(3):  # ... and ticks
            series[-1] = math.nan if k == 5 else final * (1 + rng.normal(0, 1e-3))
            out = running.update(np.array(series))
        series[-1] = final
        out = running.update(np.array(series))
        if k % 50 == 0 or k == len(live) - 1:
            np.testing.assert_allclose(out, full(np.array(series)), rtol=0, atol=1e-9,
                                       equal_nan=True)
    # a replaced, shorter history starts over
    np.testing.assert_array_equal(running.update(history[:100]), full(history[:100]))


def test_live_rollup_counts_a_redelivered_bar_once():
    """The same capture played again: its bars are stored already, and the live ones that
    come again replace their stored twins instead of being added to them."""
    iid = InstrumentId("BINANCE", "NKNUSDT")
    minute, five = 60_000_000_000, 300_000_000_000
    stored = [Bar(iid, minute, 5 * minute, 1.0, 2.0, 0.5, 1.5, 10.0),
              Bar(iid, minute, 6 * minute, 1.5, 1.6, 1.4, 1.6, 20.0)]
    long_bar = Bar(iid, five, 5 * minute, 1.0, 2.0, 0.5, 1.6, 30.0)
    rollup = LiveRollup(five)
    rollup.seed(long_bar, stored[-1].ts, stored)
    again = Bar(iid, minute, 6 * minute, 1.5, 1.7, 1.4, 1.65, 20.0, closed=False)
    shown = rollup.with_forming(again)
    assert shown is not None and shown.volume == 30.0 and shown.high == 2.0 and shown.close == 1.65
    assert rollup.on_closed(stored[0]) is not None  # the first minute again: still 30
    closed = rollup.on_closed(Bar(iid, minute, 6 * minute, 1.5, 1.7, 1.4, 1.65, 20.0))
    assert closed is not None and closed.volume == 30.0
    new = rollup.with_forming(Bar(iid, minute, 7 * minute, 1.65, 1.8, 1.6, 1.8, 5.0,
                                  closed=False))
    assert new is not None and new.volume == 35.0 and new.high == 2.0
    assert rollup.with_forming(Bar(iid, minute, 0, 1.0, 1.0, 1.0, 1.0, 1.0)) is None  # older
    same = LiveRollup(minute)  # chart and source at one interval: the live bar replaces
    same.seed(stored[-1], stored[-1].ts)
    shown = same.with_forming(Bar(iid, minute, 6 * minute, 1.5, 1.6, 1.4, 1.6, 20.0))
    assert shown is not None and shown.volume == 20.0
