"""Indicator kernels and bar roll-up against pandas on the real 1-minute BTC file."""

import math

import numpy as np
import pandas as pd
import pytest

from plugins.replay.formats import open_recording
from terminal.kernels.indicators import ema, rsi
from terminal.services.bar_resample import BarArrays, resample
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
