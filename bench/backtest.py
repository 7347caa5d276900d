"""The moving-average-cross backtest on 1e6 bars against backtrader, timed in the same run.

The bars are the real minute file (freqtrade UNITTEST_BTC-1m) tiled to a million, the
timestamps continuing a minute after each copy ends. Both sides run the same rules: SMA(10)
over SMA(30) of the closes, long SIZE units above and short SIZE below, market orders filled
at the next bar's open (backtrader's cheat-on-open off), a 10 bps fee on notional and 5 bps
of slippage against the trader on every fill (backtrader's percentage slippage on opens,
not capped at the bar's range). The trade counts must be equal and are printed.

backtrader takes minutes on a million bars, so it runs on the first BT_BARS of them, our
kernel runs on those too for the trade-count check, and the figure compares bars per
second: our rate on 1e6 bars over backtrader's on BT_BARS. Ours is the best of several runs
after numba has compiled (or loaded) the kernels; backtrader's is one run (data preloaded,
indicators vectorised, no observers: its fastest setup).
"""

from __future__ import annotations

import time

import backtrader as btr
import numpy as np
import pandas as pd

from bench.common import SHARED_DATA, best_of, report
from plugins.replay.formats import open_recording
from terminal.kernels import backtest, performance
from terminal.model.market import Bar

N_BARS = 1_000_000
BT_BARS = 100_000
SOURCE = SHARED_DATA / "ohlcv" / "freqtrade__UNITTEST_BTC-1m.json"
FAST, SLOW = 10, 30
FEE_BPS, SLIP_BPS = 10.0, 5.0
SIZE = 1e6  # units of a 0.0016 price
CASH = 1e9  # backtrader refuses orders its cash does not cover; never the case here
MINUTE = 60_000_000_000


def tiled_bars(n: int = N_BARS) -> dict[str, np.ndarray]:
    events, _ = open_recording(SOURCE)
    bars = [(ts, e.open, e.high, e.low, e.close, e.volume) for ts, e in events
            if isinstance(e, Bar)]
    ts = np.array([b[0] for b in bars], dtype=np.int64)
    values = np.array([b[1:] for b in bars], dtype=np.float64)
    reps = -(-n // len(ts))
    span = int(ts[-1] - ts[0]) + MINUTE
    stamps = (ts[None, :] + span * np.arange(reps, dtype=np.int64)[:, None]).ravel()[:n]
    tiled = np.tile(values, (reps, 1))[:n]
    out: dict[str, np.ndarray] = {name: np.ascontiguousarray(tiled[:, k])
           for k, name in enumerate(("open", "high", "low", "close", "volume"))}
    out["ts"] = stamps.astype(np.int64)
    return out


def ours(b: dict[str, np.ndarray]) -> tuple[backtest.BacktestResult, performance.Stats]:
    r = backtest.ma_cross_backtest(b["open"], b["close"], FAST, SLOW, SIZE, True, FEE_BPS,
                                   SLIP_BPS, CASH)
    return r, performance.stats(b["ts"], r.equity, r.position, r.trades)


class Cross(btr.Strategy):  # type: ignore[misc]
    def __init__(self) -> None:
        self.fast = btr.indicators.SMA(self.data.close, period=FAST)
        self.slow = btr.indicators.SMA(self.data.close, period=SLOW)

    def next(self) -> None:
        f, s = self.fast[0], self.slow[0]
        band = backtest.TIE * abs(s)  # the kernel's tie rule
        if f - s > band:
            self.order_target_size(target=SIZE)
        elif s - f > band:
            self.order_target_size(target=-SIZE)


def backtrader_run(b: dict[str, np.ndarray], n: int) -> tuple[int, float]:
    """backtrader's closed-trade count and final account value on the first n bars."""
    frame = pd.DataFrame({k: b[k][:n] for k in ("open", "high", "low", "close", "volume")},
                         index=pd.to_datetime(b["ts"][:n]))
    cerebro = btr.Cerebro(stdstats=False)
    cerebro.adddata(btr.feeds.PandasData(dataname=frame))
    cerebro.addstrategy(Cross)
    cerebro.broker.setcash(CASH)
    cerebro.broker.setcommission(commission=FEE_BPS * 1e-4)
    cerebro.broker.set_slippage_perc(SLIP_BPS * 1e-4, slip_open=True, slip_match=True,
                                     slip_out=True)
    cerebro.addanalyzer(btr.analyzers.TradeAnalyzer, _name="trades")
    strategy = cerebro.run()[0]
    closed = strategy.analyzers.trades.get_analysis().get("total", {}).get("closed", 0)
    return int(closed), float(cerebro.broker.getvalue())


def main() -> None:
    bars = tiled_bars()
    head = {k: v[:BT_BARS] for k, v in bars.items()}
    ours(head)  # compile or load the kernels
    small, small_stats = ours(head)
    start = time.perf_counter()
    bt_trades, bt_value = backtrader_run(bars, BT_BARS)
    bt_seconds = time.perf_counter() - start
    assert small_stats.trades == bt_trades, (small_stats.trades, bt_trades)
    # same fills, fees and slippage: the same profit (the open trade marked at the last close)
    pnl, bt_pnl = small.equity[-1] - CASH, bt_value - CASH
    assert abs(pnl - bt_pnl) <= 1e-6 * abs(bt_pnl), (pnl, bt_pnl)

    seconds = best_of(5, lambda: ours(bars))
    _, stats = ours(bars)
    print(f"MA cross backtest: backtrader on the first {BT_BARS:,} bars (a million takes "
          f"minutes), ours on {N_BARS:,}; compared per bar")
    print(f"{'':44} trades on {BT_BARS:,} bars: ours {small_stats.trades:,}, "
          f"backtrader {bt_trades:,} (equal); profit: ours {pnl:,.4f}, backtrader "
          f"{bt_pnl:,.4f}; ours on {N_BARS:,} bars: {stats.trades:,} trades")
    report("MA cross backtest + stats, bars/s", N_BARS / seconds, BT_BARS / bt_seconds,
           "bars/s", "backtrader", target=50.0)
    print(f"{'':44} ours {seconds * 1e3:,.1f} ms for {N_BARS:,} bars; backtrader "
          f"{bt_seconds:,.1f} s for {BT_BARS:,} bars")

    pairs = [(f, s) for f in (5, 10, 20, 30) for s in (50, 100, 200, 400)]
    sweep = best_of(3, lambda: backtest.ma_cross_sweep(
        bars["ts"], bars["open"], bars["close"], pairs, fee_bps=FEE_BPS, slip_bps=SLIP_BPS,
        cash=CASH))
    singles = best_of(3, lambda: [ours_pair(bars, p) for p in pairs])
    work = len(pairs) * N_BARS
    report(f"MA cross sweep, {len(pairs)} pairs, bar-runs/s", work / sweep, work / singles,
           "bar-runs/s", "one call per pair")
    print(f"{'':44} sweep {sweep * 1e3:,.0f} ms, one call per pair {singles * 1e3:,.0f} ms")


def ours_pair(b: dict[str, np.ndarray], pair: tuple[int, int]) -> performance.Stats:
    r = backtest.ma_cross_backtest(b["open"], b["close"], pair[0], pair[1], SIZE, True,
                                   FEE_BPS, SLIP_BPS, CASH)
    return performance.stats(b["ts"], r.equity, r.position, r.trades)


if __name__ == "__main__":
    main()
