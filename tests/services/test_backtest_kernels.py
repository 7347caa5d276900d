"""The backtest loop and its statistics on real bars, against computations written here with
pandas/numpy: a hand-rolled simulation of the same rules, and the stats from their
definitions."""

import math

import numpy as np
import pandas as pd
import pytest

from plugins.replay.formats import open_recording
from terminal.kernels import backtest as bt
from terminal.kernels import performance as pf
from tests.data_paths import SHARED_DATA

GOOG = SHARED_DATA / "ohlcv" / "backtesting.py__GOOG.csv"
BTC_1M = SHARED_DATA / "ohlcv" / "freqtrade__UNITTEST_BTC-1m.json"
YEAR_NS = 365.25 * 86_400e9


def load(path):
    events, report = open_recording(path)
    rows = [(ts, e.open, e.close) for ts, e in events if type(e).__name__ == "Bar"]
    assert report.bad_rows == 0
    ts, o, c = zip(*rows, strict=True)
    return (np.array(ts, dtype=np.int64), np.array(o, dtype=np.float64),
            np.array(c, dtype=np.float64))


@pytest.fixture(scope="module")
def goog():
    data = load(GOOG)
    assert len(data[0]) == 2148
    return data


@pytest.fixture(scope="module")
def btc():
    data = load(BTC_1M)
    assert len(data[0]) == 13681
    return data


def pandas_cross(close, fast, slow, size, short):
    s = pd.Series(close)
    f, sl = s.rolling(fast).mean(), s.rolling(slow).mean()
    band = 1e-12 * sl.abs()  # a tie within summation noise: flat windows are common here
    return np.where(f - sl > band, size, np.where(sl - f > band, -size if short else 0.0, np.nan))


def pandas_sim(opens, closes, targets, fee_bps, slip_bps, cash):
    """Full moves between -size, 0, +size at the next bar's open, written out step by step."""
    frame = pd.DataFrame({"open": opens, "close": closes,
                          "want": pd.Series(targets).ffill().fillna(0.0).shift(1).fillna(0.0)})
    fee, slip = fee_bps / 1e4, slip_bps / 1e4
    pos, trades, equity, held = 0.0, [], [], []
    current = None
    for i, row in enumerate(frame.itertuples()):
        if row.want != pos:
            price = row.open * (1 + slip) if row.want > pos else row.open * (1 - slip)
            if pos != 0:
                exit_fee = abs(pos) * price * fee
                cash += pos * price - exit_fee
                current.update(exit=i, exit_price=price, fees=current["fees"] + exit_fee,
                               pnl=pos * (price - current["entry_price"]) - current["fees"]
                               - exit_fee)
                trades.append(current)
                current = None
            if row.want != 0:
                entry_fee = abs(row.want) * price * fee
                cash -= row.want * price + entry_fee
                current = {"entry": i, "qty": row.want, "entry_price": price, "fees": entry_fee}
            pos = row.want
        equity.append(cash + pos * row.close)
        held.append(pos)
    return pd.DataFrame(trades), np.array(equity), np.array(held), current


@pytest.mark.parametrize(("fast", "slow", "short", "fee", "slip"),
                         [(10, 30, True, 10.0, 5.0), (5, 60, False, 2.5, 0.0),
                          (20, 50, True, 0.0, 0.0)])
def test_ma_cross_trades_match_a_pandas_simulation(btc, fast, slow, short, fee, slip):
    _, o, c = btc
    size, cash = 1e6, 10_000.0  # a million units of a 0.0016 price
    ours = bt.ma_cross_backtest(o, c, fast, slow, size, short, fee, slip, cash)
    trades, equity, held, still_open = pandas_sim(o, c, pandas_cross(c, fast, slow, size, short),
                                                  fee, slip, cash)
    closed = ours.trades[ours.trades[:, bt.T_EXIT_INDEX] >= 0]
    assert len(closed) == len(trades) > 100
    np.testing.assert_array_equal(closed[:, bt.T_ENTRY_INDEX], trades["entry"])
    np.testing.assert_array_equal(closed[:, bt.T_EXIT_INDEX], trades["exit"])
    np.testing.assert_array_equal(closed[:, bt.T_QTY], trades["qty"])
    np.testing.assert_allclose(closed[:, bt.T_ENTRY_PRICE], trades["entry_price"], rtol=1e-14)
    np.testing.assert_allclose(closed[:, bt.T_EXIT_PRICE], trades["exit_price"], rtol=1e-14)
    np.testing.assert_allclose(closed[:, bt.T_FEES], trades["fees"], rtol=1e-12)
    np.testing.assert_allclose(closed[:, bt.T_PNL], trades["pnl"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.equity, equity, rtol=1e-12)
    np.testing.assert_array_equal(ours.position, held)
    assert (still_open is None) == (len(ours.trades) == len(closed))
    # what the trades made and paid is what the account made
    marked = ours.trades[:, bt.T_PNL].sum()
    assert ours.equity[-1] - cash == pytest.approx(marked, rel=1e-9, abs=1e-9)


def test_a_nan_open_delays_the_fill_to_the_next_valid_open(goog):
    _, o, c = goog
    target = np.full(len(c), np.nan)
    target[100] = 1.0   # fills at 101's open... which is missing, and 102's, so at 103
    target[200] = 0.0   # fills at 201
    target[300] = -2.0
    target[301] = 1.0   # decided before the delayed fill: it replaces -2
    opens = o.copy()
    opens[[101, 102, 301]] = np.nan
    r = bt.backtest(opens, c, target, fee_bps=0.0, slip_bps=0.0, cash=1_000.0)
    assert r.position[102] == 0.0 and r.position[103] == 1.0 and r.position[201] == 0.0
    assert r.position[301] == 0.0 and r.position[302] == 1.0
    first = r.trades[0]
    assert first[bt.T_ENTRY_INDEX] == 103 and first[bt.T_ENTRY_PRICE] == o[103]
    assert first[bt.T_PNL] == pytest.approx(o[201] - o[103], rel=1e-12)
    last = r.trades[-1]
    assert last[bt.T_EXIT_INDEX] == -1 and math.isnan(last[bt.T_EXIT_PRICE])
    assert last[bt.T_PNL] == pytest.approx(c[-1] - o[302], rel=1e-12)


def test_sizes_add_reduce_and_flip_inside_the_accounting(goog):
    _, o, c = goog
    target = np.full(len(c), np.nan)
    for at, size in [(50, 2.0), (60, 5.0), (70, 1.0), (80, -3.0), (90, -1.0), (100, 0.0)]:
        target[at] = size
    r = bt.backtest(o, c, target, fee_bps=7.0, slip_bps=3.0, cash=5_000.0)
    assert len(r.trades) == 2
    long, short = r.trades
    buy, sell = o * (1 + 3e-4), o * (1 - 3e-4)
    # long: 2 at 51, 3 more at 61, 4 out at 71, 1 out at 81 (the flip)
    assert long[bt.T_QTY] == 5.0
    assert long[bt.T_ENTRY_PRICE] == pytest.approx((2 * buy[51] + 3 * buy[61]) / 5, rel=1e-12)
    assert long[bt.T_EXIT_PRICE] == pytest.approx((4 * sell[71] + sell[81]) / 5, rel=1e-12)
    notional = 2 * buy[51] + 3 * buy[61] + 4 * sell[71] + sell[81]
    assert long[bt.T_FEES] == pytest.approx(notional * 7e-4, rel=1e-12)
    gross = 4 * sell[71] + sell[81] - 2 * buy[51] - 3 * buy[61]
    assert long[bt.T_PNL] == pytest.approx(gross - long[bt.T_FEES], rel=1e-12)
    assert short[bt.T_ENTRY_INDEX] == 81 and short[bt.T_EXIT_INDEX] == 101
    assert short[bt.T_QTY] == -3.0
    assert r.equity[-1] - 5_000.0 == pytest.approx(r.trades[:, bt.T_PNL].sum(), rel=1e-12)


def pandas_stats(ts, equity, position, trade_pnl, per_year):
    e = pd.Series(equity, index=pd.to_datetime(ts, utc=True))
    r = e.pct_change().dropna()
    years = (e.index[-1] - e.index[0]) / pd.Timedelta(days=365.25)
    cagr = (e.iloc[-1] / e.iloc[0]) ** (1 / years) - 1
    down = np.sqrt((r.clip(upper=0) ** 2).sum() / (len(r) - 1))
    dd = e / e.cummax() - 1
    peaks = np.flatnonzero(e.to_numpy() >= e.cummax().to_numpy())
    ends = np.append(peaks[1:], len(e) - 1) if dd.iloc[-1] < 0 else peaks[1:]
    starts = peaks[:len(ends)]
    dipped = ends - starts > 1
    if len(dipped):
        dipped[-1] |= dd.iloc[-1] < 0
    ends, starts = ends[dipped], starts[dipped]
    wins, losses = trade_pnl[trade_pnl > 0], trade_pnl[trade_pnl < 0]
    return {
        "total_return": e.iloc[-1] / e.iloc[0] - 1,
        "cagr": cagr,
        "volatility": r.std() * np.sqrt(per_year),
        "sharpe": r.mean() / r.std() * np.sqrt(per_year),
        "sortino": r.mean() / down * np.sqrt(per_year),
        "max_drawdown": dd.min(),
        "max_drawdown_bars": int((ends - starts).max(initial=0)),
        "max_drawdown_ns": int((ts[ends] - ts[starts]).max(initial=0)),
        "calmar": cagr / abs(dd.min()),
        "win_rate": len(wins) / len(trade_pnl),
        "profit_factor": wins.sum() / -losses.sum(),
        "exposure": float((pd.Series(position) != 0).mean()),
        "trades": len(trade_pnl),
    }, dd.to_numpy()


@pytest.mark.parametrize(("name", "fast", "slow", "short"),
                         [("goog", 5, 20, False), ("btc", 10, 30, True)])
def test_stats_match_their_definitions(request, name, fast, slow, short):
    ts, o, c = request.getfixturevalue(name)
    size = 10.0 if name == "goog" else 1e6
    r = bt.ma_cross_backtest(o, c, fast, slow, size, short, fee_bps=5.0, slip_bps=2.0,
                             cash=20_000.0)
    per_year = YEAR_NS / np.median(np.diff(ts))
    assert pf.periods_per_year(ts) == pytest.approx(per_year, rel=1e-15)
    ours = pf.stats(ts, r.equity, r.position, r.trades)
    trades, *_ = pandas_sim(o, c, pandas_cross(c, fast, slow, size, short), 5.0, 2.0, 20_000.0)
    expected, dd = pandas_stats(ts, r.equity, r.position, trades["pnl"].to_numpy(), per_year)
    for field, value in expected.items():
        assert getattr(ours, field) == pytest.approx(value, rel=1e-9), field
    assert ours.trades > 20 and ours.max_drawdown < 0 and ours.max_drawdown_bars > 0
    np.testing.assert_allclose(pf.drawdown(r.equity), dd, rtol=1e-12, atol=1e-15)
    # an explicit figure is used as given: 252 sessions a year for the daily stock
    if name == "goog":
        sessions = pf.stats(ts, r.equity, r.position, r.trades, per_year=252.0)
        assert sessions.sharpe == pytest.approx(ours.sharpe * math.sqrt(252 / per_year))


def test_stats_with_nothing_to_measure_are_nan(goog):
    ts, _, c = goog
    flat = np.full(len(c), 1_000.0)
    s = pf.stats(ts, flat, np.zeros(len(c)), np.empty((0, bt.TRADE_FIELDS)))
    assert s.total_return == 0.0 and s.max_drawdown == 0.0 and s.trades == 0
    assert s.exposure == 0.0 and s.max_drawdown_bars == 0
    for value in (s.sharpe, s.sortino, s.calmar, s.win_rate, s.profit_factor):
        assert math.isnan(value)
    empty = pf.stats(ts[:0], flat[:0], flat[:0], np.empty((0, bt.TRADE_FIELDS)))
    assert empty.trades == 0 and math.isnan(empty.total_return)


def test_the_sweep_equals_single_runs(btc):
    ts, o, c = btc
    pairs = [(5, 20), (10, 30), (10, 60), (20, 50), (3, 200), (30, 10)]
    for short in (True, False):
        rows = bt.ma_cross_sweep(ts, o, c, pairs, size=1e6, short=short, fee_bps=10.0,
                                 slip_bps=5.0, cash=10_000.0)
        assert rows.shape == (len(pairs), pf.N_STATS)
        for (fast, slow), row in zip(pairs, rows, strict=True):
            single = bt.ma_cross_backtest(o, c, fast, slow, 1e6, short, 10.0, 5.0, 10_000.0)
            stats = pf.stats(ts, single.equity, single.position, single.trades)
            assert pf.Stats.from_row(row) == stats
            assert stats.trades > 10
