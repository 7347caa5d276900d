"""The built-in strategies on real OHLCV files, against an independent computation:
TA-Lib for the indicators, pandas and plain loops for the rules."""

import math

import numpy as np
import pandas as pd
import pytest
import talib

from plugins.replay.formats import open_recording
from terminal.core.errors import ConfigError
from terminal.model.ids import InstrumentId
from terminal.model.market import Bar
from terminal.model.orders import Side
from terminal.services.bar_resample import BarArrays
from terminal.services.signals import (
    BarHistory,
    BollingerBreakout,
    BollingerParams,
    MacdParams,
    MacdTrend,
    MaCrossParams,
    MovingAverageCross,
    RsiMeanReversion,
    RsiReversionParams,
    run_on_bars,
)
from tests.data_paths import SHARED_DATA

FILES = {"btc_1m": ("freqtrade__UNITTEST_BTC-1m.json", "1m"),
         "goog_1d": ("backtesting.py__GOOG.csv", "1d"),
         "eurusd_1h": ("backtesting.py__EURUSD.csv", "1h")}
IID = InstrumentId("REPLAY", "TEST")


def load(name: str) -> BarArrays:
    events, report = open_recording(SHARED_DATA / "ohlcv" / name)
    rows = [(ts, e.open, e.high, e.low, e.close, e.volume) for ts, e in events
            if type(e).__name__ == "Bar"]
    assert report.bad_rows == 0 and len(rows) > 1000
    cols = list(zip(*rows, strict=True))
    return BarArrays(np.array(cols[0], dtype=np.int64),
                     *(np.array(c, dtype=np.float64) for c in cols[1:]))


@pytest.fixture(scope="module", params=list(FILES))
def data(request) -> tuple[BarArrays, str]:
    name, timeframe = FILES[request.param]
    return load(name), timeframe


def crosses(diff: np.ndarray) -> list[tuple[int, Side]]:
    """Where a difference changes sign; a 0 keeps the sign before it; the first sign is
    no cross."""
    sign = pd.Series(np.sign(diff)).replace(0.0, np.nan).ffill()
    before = sign.shift()
    at = np.flatnonzero((sign != before) & before.notna() & sign.notna())
    return [(int(i), Side.BUY if sign[i] > 0 else Side.SELL) for i in at]


def got(signals, bars: BarArrays) -> list[tuple[int, Side]]:
    index = {int(t): i for i, t in enumerate(bars.ts)}
    return [(index[s.bar_ts], s.side) for s in signals]


@pytest.mark.parametrize("average", ["sma", "ema"])
def test_ma_cross(data, average):
    bars, timeframe = data
    strategy = MovingAverageCross(IID, timeframe, MaCrossParams(10, 30, average))
    signals = run_on_bars(strategy, bars)
    ma = talib.SMA if average == "sma" else talib.EMA
    expected = crosses(ma(bars.close, 10) - ma(bars.close, 30))
    assert len(expected) > 20
    assert got(signals, bars) == expected
    assert all(0.0 <= s.strength <= 1.0 and s.strategy_id == "ma_cross" for s in signals)
    assert signals[0].ts == signals[0].bar_ts + strategy.interval_ns
    assert signals[0].price == bars.close[got(signals[:1], bars)[0][0]]


def rsi_rule(rsi: np.ndarray, rearm_buy: float = 30, rearm_sell: float = 70):
    expected = []
    buy_armed = sell_armed = True
    for i, value in enumerate(rsi):
        if math.isnan(value):
            continue
        buy_armed = buy_armed or value >= rearm_buy
        sell_armed = sell_armed or value <= rearm_sell
        if value < 30 and buy_armed:
            expected.append((i, Side.BUY))
            buy_armed = False
        elif value > 70 and sell_armed:
            expected.append((i, Side.SELL))
            sell_armed = False
    return expected


def test_rsi_reversion(data):
    bars, timeframe = data
    signals = run_on_bars(RsiMeanReversion(IID, timeframe, RsiReversionParams(14)), bars)
    expected = rsi_rule(talib.RSI(bars.close, 14))
    assert len(expected) > 10
    assert got(signals, bars) == expected


def test_rsi_rearm_level_holds_back_repeats(data):
    bars, timeframe = data
    plain = run_on_bars(RsiMeanReversion(IID, timeframe), bars)
    strict = run_on_bars(RsiMeanReversion(IID, timeframe, RsiReversionParams(
        rearm_buy=50, rearm_sell=50)), bars)
    assert 0 < len(strict) < len(plain)
    assert got(strict, bars) == rsi_rule(talib.RSI(bars.close, 14), 50, 50)


def test_bollinger_breakout(data):
    bars, timeframe = data
    signals = run_on_bars(BollingerBreakout(IID, timeframe, BollingerParams(20, 2.0)), bars)
    upper, _, lower = talib.BBANDS(bars.close, 20, 2.0, 2.0, 0)
    expected = []
    before = 0
    for i, (c, up, lo) in enumerate(zip(bars.close, upper, lower, strict=True)):
        if math.isnan(up):
            continue
        outside = 0 if up <= lo else 1 if c > up else -1 if c < lo else 0
        if outside and outside != before:
            expected.append((i, Side.BUY if outside > 0 else Side.SELL))
        before = outside
    assert len(expected) > 20
    assert got(signals, bars) == expected


def test_macd_trend(data):
    bars, timeframe = data
    signals = run_on_bars(MacdTrend(IID, timeframe, MacdParams(12, 26, 9)), bars)
    _, _, hist = talib.MACD(bars.close, 12, 26, 9)
    expected = crosses(hist)
    assert len(expected) > 20
    assert got(signals, bars) == expected


def test_warm_up_gives_no_signal(data):
    bars, timeframe = data
    short = BarArrays(*(a[:29] for a in bars))
    assert run_on_bars(MovingAverageCross(IID, timeframe, MaCrossParams(10, 30)), short) == []
    assert run_on_bars(MacdTrend(IID, timeframe), short) == []


def test_an_instance_runs_twice_the_same(data):
    bars, timeframe = data
    strategy = MacdTrend(IID, timeframe)
    assert run_on_bars(strategy, bars) == run_on_bars(strategy, bars)


STRATEGIES = [
    lambda: MovingAverageCross(IID, "1m", MaCrossParams(3, 5)),
    lambda: MovingAverageCross(IID, "1m", MaCrossParams(3, 5, "ema")),
    lambda: RsiMeanReversion(IID, "1m", RsiReversionParams(5)),
    lambda: BollingerBreakout(IID, "1m", BollingerParams(5)),
    lambda: MacdTrend(IID, "1m", MacdParams(3, 6, 3)),
]


@pytest.mark.parametrize("make", STRATEGIES)
def test_nan_and_flat_bars_do_not_crash(make):
    bars = load(FILES["btc_1m"][0])
    close = bars.close[:400].copy()
    close[50:60] = math.nan  # a gap
    close[100:200] = close[99]  # a long flat stretch
    close[300] = math.nan
    n = len(close)
    flat = BarArrays(bars.ts[:n], close, close, close, close, np.zeros(n))
    strategy = make()
    signals = run_on_bars(strategy, flat)
    for s in signals:
        assert math.isfinite(s.price) and 0.0 <= s.strength <= 1.0
        i = int(np.flatnonzero(flat.ts == s.bar_ts)[0])
        assert not 110 < i < 200  # once the windows are flat, no more signals
    # a bar of NaNs straight into on_bar (volume too)
    history = BarHistory(4)
    nan_bar = Bar(IID, 60_000_000_000, 0, math.nan, math.nan, math.nan, math.nan, math.nan)
    history.append(nan_bar)
    assert strategy.on_bar(nan_bar, history) is None


def test_parameters_are_checked():
    with pytest.raises(ValueError):
        MaCrossParams(30, 10)
    with pytest.raises(ValueError):
        RsiReversionParams(oversold=80, overbought=20)
    with pytest.raises(ValueError):
        MovingAverageCross(IID, "1m", strategy_id="x" * 24)  # too long for an order source
    with pytest.raises(ConfigError):
        MovingAverageCross(IID, "7x")
