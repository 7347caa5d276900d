"""The backtester on a real daily series, checked against an independent pandas computation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from terminal.model.orders import Side
from terminal.model.signals import Signal
from terminal.services.backtest import (
    STRATEGIES,
    ParamError,
    export_csv,
    parse_params,
    run_backtest,
    targets_from_signals,
)
from terminal.services.bar_resample import BarArrays
from terminal.services.signals import MaCrossParams, MovingAverageCross, RsiMeanReversion
from tests.data_paths import SHARED_DATA

GOOG = SHARED_DATA / "ohlcv" / "backtesting.py__GOOG.csv"
pytestmark = pytest.mark.skipif(not GOOG.is_file(), reason="shared data missing")


def goog() -> tuple[pd.DataFrame, BarArrays]:
    df = pd.read_csv(GOOG, index_col=0, parse_dates=True)
    ts = df.index.as_unit("ns").asi8.astype(np.int64)
    return df, BarArrays(ts, *(df[c].to_numpy(np.float64)
                               for c in ("Open", "High", "Low", "Close", "Volume")))


def reference(df: pd.DataFrame, fast: int, slow: int, fee_bps: float, slip_bps: float,
              long_only: bool, cash: float = 10_000.0) -> tuple[np.ndarray, int]:
    """Equity per bar and closed trades: crosses of rolling means decide at the close, the
    position moves at the next open, fees on the traded notional."""
    diff = (df.Close.rolling(fast).mean() - df.Close.rolling(slow).mean()).to_numpy()
    side = np.sign(np.where(np.isnan(diff), 0.0, diff))
    wanted = np.full(len(df), np.nan)
    last = 0.0
    for i, s in enumerate(side):
        if s != 0.0:
            if last != 0.0 and s != last:
                wanted[i] = 1.0 if s > 0 else (0.0 if long_only else -1.0)
            last = s
    fee, slip = fee_bps / 1e4, slip_bps / 1e4
    pos, desired, closed = 0.0, 0.0, 0
    equity = np.empty(len(df))
    for j, (o, c) in enumerate(zip(df.Open, df.Close, strict=True)):
        if desired != pos:
            price = o * (1 + slip) if desired > pos else o * (1 - slip)
            q = desired - pos
            cash -= q * price + abs(q * price) * fee
            if pos != 0.0 and (desired == 0.0 or (desired > 0) != (pos > 0)):
                closed += 1
            pos = desired
        equity[j] = cash + pos * c
        if not math.isnan(wanted[j]):
            desired = wanted[j]
    return equity, closed


@pytest.mark.parametrize("long_only", [False, True])
def test_ma_cross_matches_an_independent_pandas_backtest(long_only: bool) -> None:
    df, bars = goog()
    strategy = MovingAverageCross("REPLAY:GOOG", "1d", MaCrossParams(10, 30, "sma"))
    result = run_backtest(strategy, bars, fee_bps=10, slippage_bps=5, size=1.0,
                          long_only=long_only, progress=None)
    equity, closed = reference(df, 10, 30, 10, 5, long_only)
    np.testing.assert_allclose(result.equity, equity, rtol=1e-12)
    r = pd.Series(equity).pct_change().dropna()
    peak = np.maximum.accumulate(equity)
    s = result.stats
    assert s["total_return"] == pytest.approx(equity[-1] / equity[0] - 1, rel=1e-9)
    assert s["max_drawdown"] == pytest.approx((equity / peak - 1).min(), rel=1e-9)
    assert s["sharpe"] == pytest.approx(r.mean() / r.std() * math.sqrt(365.25), rel=1e-9)
    assert s["trades"] == closed > 20
    np.testing.assert_allclose(result.drawdown, equity / peak - 1, atol=1e-12)
    assert (result.position >= 0).all() if long_only else (result.position < 0).any()
    assert result.params == {"fast": 10, "slow": 30, "average": "sma",
                             "full_strength_gap": 0.01}
    assert (result.fee_bps, result.slippage_bps, result.long_only) == (10, 5, long_only)


def test_progress_is_reported_in_steps_up_to_one() -> None:
    _, bars = goog()
    seen: list[float] = []
    run_backtest(RsiMeanReversion("REPLAY:GOOG", "1d"), bars, progress=seen.append)
    assert 2 <= len(seen) <= 120
    assert seen == sorted(seen) and seen[-1] == 1.0 and 0 < seen[0] < 1


def test_targets_follow_signals_and_keep_the_last_decision() -> None:
    ts = np.arange(5, dtype=np.int64) * 60
    def sig(side: Side, k: int) -> Signal:
        return Signal(MovingAverageCross("X:Y").instrument_id, side, 1.0, "", 0, "s",
                      int(ts[k]), 1.0)
    signals = [sig(Side.BUY, 1), sig(Side.SELL, 3)]
    np.testing.assert_array_equal(targets_from_signals(ts, signals, 2.0, False),
                                  [np.nan, 2.0, np.nan, -2.0, np.nan])
    np.testing.assert_array_equal(targets_from_signals(ts, signals, 2.0, True),
                                  [np.nan, 2.0, np.nan, 0.0, np.nan])


def test_params_text_is_parsed_and_bad_names_are_named() -> None:
    spec = STRATEGIES["ma-cross"]
    assert parse_params(spec, "fast=5, slow=20,kind=ema") == MaCrossParams(5, 20, "ema")
    with pytest.raises(ParamError, match="'speed'"):
        parse_params(spec, "speed=1")
    with pytest.raises(ParamError, match="slow='x'"):
        parse_params(spec, "slow=x")
    with pytest.raises(ParamError, match="kind='wma'"):
        parse_params(spec, "kind=wma")
    with pytest.raises(ParamError, match="fast=40 slow=30"):
        parse_params(spec, "fast=40")
    assert parse_params(STRATEGIES["rsi"], "period=10,rearm_buy=none").rearm_buy is None


def test_csv_export_writes_trades_and_equity(tmp_path: Path) -> None:
    _, bars = goog()
    result = run_backtest(MovingAverageCross("REPLAY:GOOG", "1d"), bars, 10, 5)
    trades_csv, equity_csv = export_csv(result, tmp_path / "out")
    trades = pd.read_csv(trades_csv)
    equity = pd.read_csv(equity_csv)
    assert len(trades) == len(result.trades)
    np.testing.assert_array_equal(trades.pnl.to_numpy(), [t.pnl for t in result.trades])
    np.testing.assert_array_equal(equity.equity.to_numpy(), result.equity)
    assert equity.time[0] == "2004-08-19T00:00:00Z"
