"""The signal engine's indicator kernels against TA-Lib on the real OHLCV files, in one run
and resumed one bar (or a few bars) at a time, plus the NaN and zero-volume cases."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import talib

from plugins.replay.formats import open_recording
from terminal.kernels import directional, momentum, trend, volatility, volume
from terminal.kernels.indicators import ema, rsi
from terminal.services.running_indicator import RunningIndicator
from tests.data_paths import SHARED_DATA

OHLCV = SHARED_DATA / "ohlcv"
FILES = [
    "backtesting.py__GOOG.csv",
    "backtesting.py__EURUSD.csv",
    "backtesting.py__BTCUSD.csv",
    "backtrader__2006-01-02-volume-min-001.txt",  # 5,736 flat bars
    "backtrader__2006-day-001.txt",  # volume 0 throughout
    "backtrader__orcl-1995-2014.txt",
    "freqtrade__UNITTEST_BTC-1m.json",  # prices around 0.002
    "nautilus__fxcm_usdjpy-m1-bid-2013.csv",  # no volume (NaN)
]


@dataclass(frozen=True)
class Bars:
    ts: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray


@functools.cache
def load(name: str) -> Bars:
    events, report = open_recording(OHLCV / name)
    rows = [(ts, e.high, e.low, e.close, e.volume) for ts, e in events
            if type(e).__name__ == "Bar"]
    assert report.bad_rows == 0 and len(rows) > 100
    cols = list(zip(*rows, strict=True))
    return Bars(np.array(cols[0], dtype=np.int64),
                *(np.array(c, dtype=np.float64) for c in cols[1:]))


@dataclass(frozen=True)
class Spec:
    """One indicator: ours in one run, TA-Lib's, and the resumable kernel to stream."""

    batch: Callable[[Bars], tuple[np.ndarray, ...]]
    reference: Callable[[Bars], tuple[np.ndarray, ...]]
    inputs: Callable[[Bars], tuple[np.ndarray, ...]]
    run: Callable[..., None]  # run(*input pieces, *output pieces, state)
    state: Callable[[], np.ndarray]
    atol: float = 1e-12  # 1e-9 for the oscillators (0..100, z), where noise sits near 0


def _zscore_reference(b: Bars) -> tuple[np.ndarray]:
    dev = talib.STDDEV(b.close, 20, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (b.close - talib.SMA(b.close, 20)) / dev
    return (np.where(dev > 0, z, np.nan),)


SPECS: dict[str, Spec] = {
    "sma": Spec(lambda b: (trend.sma(b.close, 30),), lambda b: (talib.SMA(b.close, 30),),
                lambda b: (b.close,), lambda x, o, s: trend.sma_run(x, 30, o, s),
                lambda: trend.sma_state(30)),
    "wma": Spec(lambda b: (trend.wma(b.close, 30),), lambda b: (talib.WMA(b.close, 30),),
                lambda b: (b.close,), lambda x, o, s: trend.wma_run(x, 30, o, s),
                lambda: trend.wma_state(30)),
    "ema_talib": Spec(lambda b: (ema(b.close, 30, seed="sma"),),
                      lambda b: (talib.EMA(b.close, 30),), lambda b: (b.close,),
                      lambda x, o, s: trend.ema_talib_run(x, 30, o, s), trend.ema_talib_state),
    "macd": Spec(lambda b: tuple(trend.macd(b.close)), lambda b: talib.MACD(b.close, 12, 26, 9),
                 lambda b: (b.close,),
                 lambda x, o1, o2, o3, s: trend.macd_run(x, 12, 26, 9, o1, o2, o3, s),
                 trend.macd_state),
    "bbands": Spec(lambda b: tuple(volatility.bbands(b.close)),
                   lambda b: talib.BBANDS(b.close, 5, 2.0, 2.0, 0), lambda b: (b.close,),
                   lambda x, u, m, lo, s: volatility.bbands_run(x, 5, 2.0, 2.0, u, m, lo, s),
                   lambda: volatility.moments_state(5)),
    "zscore": Spec(lambda b: (volatility.zscore(b.close, 20),), _zscore_reference,
                   lambda b: (b.close,), lambda x, o, s: volatility.zscore_run(x, 20, o, s),
                   lambda: volatility.moments_state(20), atol=1e-9),
    "atr": Spec(lambda b: (volatility.atr(b.high, b.low, b.close),),
                lambda b: (talib.ATR(b.high, b.low, b.close, 14),),
                lambda b: (b.high, b.low, b.close),
                lambda h, lo, c, o, s: volatility.atr_run(h, lo, c, 14, o, s),
                volatility.atr_state),
    "stoch": Spec(lambda b: tuple(momentum.stoch(b.high, b.low, b.close)),
                  lambda b: talib.STOCH(b.high, b.low, b.close, 5, 3, 0, 3, 0),
                  lambda b: (b.high, b.low, b.close),
                  lambda h, lo, c, k, d, s: momentum.stoch_run(h, lo, c, 5, 3, 3, k, d, s),
                  momentum.stoch_state, atol=1e-9),
    "adx": Spec(lambda b: tuple(directional.adx(b.high, b.low, b.close)),
                lambda b: (talib.ADX(b.high, b.low, b.close, 14),
                           talib.PLUS_DI(b.high, b.low, b.close, 14),
                           talib.MINUS_DI(b.high, b.low, b.close, 14)),
                lambda b: (b.high, b.low, b.close),
                lambda h, lo, c, a, p, m, s: directional.adx_run(h, lo, c, 14, a, p, m, s),
                directional.adx_state, atol=1e-9),
    "obv": Spec(lambda b: (volume.obv(b.close, b.volume),),
                lambda b: (talib.OBV(b.close, b.volume),), lambda b: (b.close, b.volume),
                volume.obv_run, volume.obv_state),
}


def stream(spec: Spec, inputs: tuple[np.ndarray, ...], n_out: int,
           one_by_one: int = 1500) -> tuple[np.ndarray, ...]:
    """The kernel over the series one bar at a time for `one_by_one` bars, then in pieces
    of random length, each call continuing from the state the last one left."""
    n = len(inputs[0])
    outs = tuple(np.full(n, -1.0) for _ in range(n_out))
    state = spec.state()
    rng = np.random.default_rng(3)
    i = 0
    while i < n:
        j = i + 1 if i < one_by_one else min(n, i + int(rng.integers(1, 400)))
        spec.run(*(x[i:j] for x in inputs), *(o[i:j] for o in outs), state)
        i = j
    return outs


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("indicator", sorted(SPECS))
def test_matches_talib_in_one_run_and_streamed(indicator: str, name: str) -> None:
    spec = SPECS[indicator]
    bars = load(name)
    ours = spec.batch(bars)
    theirs = spec.reference(bars)
    assert len(ours) == len(theirs)
    for mine, ref in zip(ours, theirs, strict=True):
        shown = ~np.isnan(ref)
        if indicator != "zscore":  # TA-Lib's z-score is undefined where its deviation is 0
            assert np.isnan(mine[:np.argmax(shown)]).all() or indicator in ("macd", "stoch")
            assert not np.isnan(mine[shown]).any()
        np.testing.assert_allclose(mine[shown], ref[shown], rtol=1e-9, atol=spec.atol)
    streamed = stream(spec, spec.inputs(bars), len(ours))
    for mine, piecewise in zip(ours, streamed, strict=True):
        np.testing.assert_array_equal(piecewise, mine)


@pytest.mark.parametrize("indicator", sorted(SPECS))
def test_a_nan_bar_is_skipped_not_a_reset(indicator: str) -> None:
    """NaN inputs give NaN at their bars and leave the state as it was: the other bars
    equal the indicator of the series with those bars taken out."""
    spec = SPECS[indicator]
    bars = load("backtesting.py__GOOG.csv")
    inputs = spec.inputs(bars)
    holes = np.zeros(len(inputs[0]), dtype=bool)
    holes[[40, 41, 300, 301, 302, 303, 900]] = True
    holed = tuple(np.where(holes, np.nan, x) for x in inputs)
    n_out = len(spec.batch(bars))
    with_holes = stream(spec, holed, n_out, one_by_one=0)
    without = stream(spec, tuple(x[~holes] for x in inputs), n_out, one_by_one=0)
    for got, expected in zip(with_holes, without, strict=True):
        assert np.isnan(got[holes]).all()
        np.testing.assert_array_equal(got[~holes], expected)
        assert np.isfinite(got[-1000:]).all()


def test_zscore_is_zero_on_flat_windows_and_the_bands_close() -> None:
    bars = load("backtrader__2006-01-02-volume-min-001.txt")
    flat = np.zeros(len(bars.close), dtype=bool)
    windows = np.lib.stride_tricks.sliding_window_view(bars.close, 5)
    flat[4:] = (windows == windows[:, :1]).all(axis=1)
    assert flat.sum() > 1000
    z = volatility.zscore(bars.close, 5)
    assert (z[flat] == 0.0).all() and (z[4:][~flat[4:]] != 0.0).any()
    bands = volatility.bbands(bars.close, 5)
    assert (bands.upper[flat] == bands.middle[flat]).all()
    assert (bands.lower[flat] == bands.middle[flat]).all()
    assert (bands.upper[4:][~flat[4:]] > bands.middle[4:][~flat[4:]]).all()


def test_zscore_and_bands_match_pandas_population_std() -> None:
    close = load("freqtrade__UNITTEST_BTC-1m.json").close
    roll = pd.Series(close).rolling(20)
    mean, std = roll.mean().to_numpy(), roll.std(ddof=0).to_numpy()
    np.testing.assert_allclose(volatility.bbands(close, 20, 2.0, 2.0).upper, mean + 2 * std,
                               rtol=1e-9, equal_nan=True)
    keep = std > 1e-9 * np.abs(close)
    np.testing.assert_allclose(volatility.zscore(close, 20)[keep],
                               ((close - mean) / std)[keep], rtol=1e-6, atol=1e-6)


def test_ema_seeds() -> None:
    close = load("backtrader__orcl-1995-2014.txt").close
    np.testing.assert_array_equal(ema(close, 20), ema(close, 20, seed="first"))
    np.testing.assert_allclose(ema(close, 20, seed="sma"), talib.EMA(close, 20), rtol=1e-14)
    with pytest.raises(ValueError, match="seed"):
        ema(close, 20, seed="median")  # type: ignore[arg-type]


def _pandas_vwap(b: Bars, keys: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame({"pv": (b.high + b.low + b.close) / 3.0 * b.volume, "v": b.volume})
    sums = frame.groupby(keys).cumsum()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (sums["pv"] / sums["v"]).to_numpy()
    return np.where(sums["v"].to_numpy() > 0, out, np.nan)


@pytest.mark.parametrize("name", ["freqtrade__UNITTEST_BTC-1m.json",
                                  "backtrader__2006-01-02-volume-min-001.txt",
                                  "backtesting.py__EURUSD.csv"])
def test_vwap_resets_each_utc_day_and_streams(name: str) -> None:
    b = load(name)
    days = b.ts // volume.NS_PER_DAY
    assert len(np.unique(days)) > 1
    ours = volume.vwap(b.high, b.low, b.close, b.volume, ts=b.ts)
    np.testing.assert_allclose(ours, _pandas_vwap(b, days), rtol=1e-12, equal_nan=True)
    # each day's first bar is its own typical price
    first = np.flatnonzero(np.diff(days, prepend=days[0] - 1))
    np.testing.assert_allclose(ours[first], ((b.high + b.low + b.close) / 3.0)[first],
                               rtol=1e-12)
    spec = Spec(lambda _b: (ours,), lambda _b: (ours,), lambda _b: (), volume.vwap_run,
                volume.vwap_state)
    piecewise = stream(spec, (b.high, b.low, b.close, b.volume,
                              volume.utc_day_sessions(b.ts)), 1)
    np.testing.assert_array_equal(piecewise[0], ours)


def test_vwap_with_given_session_boundaries() -> None:
    b = load("backtrader__2006-01-02-volume-min-001.txt")
    starts = np.zeros(len(b.close), dtype=bool)
    starts[::390] = True
    ours = volume.vwap(b.high, b.low, b.close, b.volume, session_starts=starts)
    np.testing.assert_allclose(ours, _pandas_vwap(b, np.cumsum(starts)), rtol=1e-12)
    with pytest.raises(ValueError):
        volume.vwap(b.high, b.low, b.close, b.volume)


def test_zero_volume_file_cases_5() -> None:
    """CASES 5: volume 0 on every row. OBV stays 0 (as TA-Lib); VWAP is NaN, never a
    division by zero, because no session ever trades."""
    b = load("backtrader__2006-day-001.txt")
    assert (b.volume == 0).all()
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(volume.obv(b.close, b.volume), np.zeros(len(b.close)))
        vw = volume.vwap(b.high, b.low, b.close, b.volume, ts=b.ts)
    assert np.isnan(vw).all()


def test_zero_volume_stretch_inside_a_session() -> None:
    price = np.array([10.0, 11.0, 12.0, 13.0, 14.0, 15.0])
    vol = np.array([0.0, 0.0, 2.0, 0.0, 1.0, 0.0])
    out = volume.vwap(price, price, price, vol, session_starts=[True, False, False, False,
                                                                  False, False])
    np.testing.assert_array_equal(out[:2], [np.nan, np.nan])
    np.testing.assert_allclose(out[2:], [12.0, 12.0, (24.0 + 14.0) / 3, (24.0 + 14.0) / 3])


def test_nan_cases_6() -> None:
    """CASES 6 (a): RSI(14) of nine closes is all warm-up; SMA(5) of it is all NaN.
    (b) twenty closes, the sixth NaN, SMA(3): NaN there, finite again right after (the
    window is the last three finite closes)."""
    nine = load("backtesting.py__GOOG.csv").close[:9]
    warm = rsi(nine, 14)
    assert np.isnan(warm).all()
    assert np.isnan(trend.sma(warm, 5)).all()
    closes = load("backtesting.py__GOOG.csv").close[:20].copy()
    closes[5] = math.nan
    out = trend.sma(closes, 3)
    assert np.isnan(out[:2]).all() and np.isfinite(out[2:5]).all()
    assert math.isnan(out[5])
    assert np.isfinite(out[6:]).all()
    assert out[6] == pytest.approx((closes[3] + closes[4] + closes[6]) / 3, rel=1e-12)


@pytest.mark.parametrize("bad", [
    lambda c: trend.sma(c, 0), lambda c: trend.wma(c, 0), lambda c: trend.macd(c, 1),
    lambda c: volatility.bbands(c, 0), lambda c: volatility.zscore(c, 0),
    lambda c: volatility.atr(c, c, c, 0), lambda c: momentum.stoch(c, c, c, 0),
    lambda c: directional.adx(c, c, c, 1),
])
def test_periods_are_checked(bad: Callable[[np.ndarray], object]) -> None:
    with pytest.raises(ValueError):
        bad(np.arange(50.0))


def test_macd_swaps_fast_and_slow_like_talib() -> None:
    close = load("backtrader__orcl-1995-2014.txt").close
    swapped = trend.macd(close, 26, 12, 9)
    np.testing.assert_array_equal(swapped.hist, trend.macd(close).hist)


@pytest.mark.parametrize("make, full", [
    (lambda: RunningIndicator.sma(30), lambda v: trend.sma(v, 30)),
    (lambda: RunningIndicator.wma(30), lambda v: trend.wma(v, 30)),
    (lambda: RunningIndicator.ema_talib(30), lambda v: trend.ema_talib(v, 30)),
    (lambda: RunningIndicator.zscore(20), lambda v: volatility.zscore(v, 20)),
])
def test_running_windowed_indicators_follow_live_edits(
        make: Callable[[], RunningIndicator], full: Callable[[np.ndarray], np.ndarray]) -> None:
    """History, then forming bars edited a few times (once to NaN) and then kept: the
    running output equals a recompute of the whole series after every edit."""
    close = load("backtesting.py__GOOG.csv").close
    running = make()
    np.testing.assert_array_equal(running.reset(close[:2000]), full(close[:2000]))
    series = list(close[:2000])
    rng = np.random.default_rng(11)
    for k, final in enumerate(close[2000:2100]):
        series.append(final)
        for _ in range(3):
            series[-1] = math.nan if k == 7 else final * (1 + rng.normal(0, 1e-3))
            np.testing.assert_array_equal(running.update(np.array(series)),
                                          full(np.array(series)))
        series[-1] = final
        np.testing.assert_array_equal(running.update(np.array(series)), full(np.array(series)))
    with pytest.raises(ValueError):
        RunningIndicator.sma(0)
