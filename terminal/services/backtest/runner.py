"""Run a strategy over bars through the backtest kernel.

Signals become position targets by one rule: a BUY signal on bar i sets the target to
`+size`, a SELL signal to `-size` (or to 0, flat, when `long_only`), both decided at bar i's
close; bars without a signal keep the last target (NaN for the kernel). The position starts
flat. The kernel fills each target at the next valid open with fee and slippage (see
terminal.kernels.backtest), so a strategy is "always in" after its first signal unless
long-only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict

import numpy as np

from terminal.kernels import backtest as kernel
from terminal.kernels import performance
from terminal.model.backtest import F64, I64, BacktestResult, BacktestTrade
from terminal.model.orders import Side
from terminal.model.signals import Signal
from terminal.services.bar_resample import BarArrays
from terminal.services.signals.arrays import run_on_bars
from terminal.services.signals.base import AnyStrategy

DEFAULT_CASH = 10_000.0
# the strategy pass is the slow part (Python per bar): it gets this share of the progress
STRATEGY_SHARE = 0.9
MIN_STEPS = 100  # at least this many progress reports over a long run


def targets_from_signals(ts: I64, signals: list[Signal], size: float,
                         long_only: bool) -> F64:
    """Per-bar targets by the rule in the module notes (NaN = no new decision)."""
    target = np.full(len(ts), np.nan)
    if not signals:
        return target
    where = np.searchsorted(ts, np.array([s.bar_ts for s in signals], dtype=np.int64))
    for k, s in zip(where.tolist(), signals, strict=True):
        if k >= len(ts) or ts[k] != s.bar_ts:
            raise ValueError(f"signal for a bar at {s.bar_ts} that is not among the bars")
        if s.side is Side.BUY:
            target[k] = size
        else:
            target[k] = 0.0 if long_only else -size
    return target


def run_backtest(strategy: AnyStrategy, bars: BarArrays, fee_bps: float = 0.0,
                 slippage_bps: float = 0.0, size: float = 1.0, long_only: bool = False,
                 progress: Callable[[float], None] | None = None, *,
                 cash: float = DEFAULT_CASH, strategy_name: str | None = None) -> BacktestResult:
    """Backtest `strategy` over `bars` (ascending open times). `progress` gets the fraction
    done, 0..1, every few thousand bars and 1.0 at the end."""
    if not size > 0:
        raise ValueError(f"size must be positive, not {size}")
    if not (fee_bps >= 0 and slippage_bps >= 0):
        raise ValueError("fee and slippage must be zero or more basis points")
    n = len(bars.ts)
    if n and np.any(np.diff(bars.ts) <= 0):
        raise ValueError("bar times must be strictly ascending")
    every = max(1_000, n // MIN_STEPS)

    def on_bars(done: int) -> None:
        if progress is not None:
            progress(STRATEGY_SHARE * done / n)

    signals = run_on_bars(strategy, bars, on_bars if progress is not None else None, every)
    target = targets_from_signals(bars.ts, signals, size, long_only)
    run = kernel.backtest(bars.open, bars.close, target, fee_bps, slippage_bps, cash)
    stats = performance.stats(bars.ts, run.equity, run.position, run.trades)
    drawdown = performance.drawdown(run.equity)
    if progress is not None:
        progress(1.0)
    return BacktestResult(
        strategy=strategy_name or strategy.name, strategy_id=strategy.strategy_id,
        instrument_id=str(strategy.instrument_id), timeframe=strategy.timeframe,
        params=asdict(strategy.params), fee_bps=float(fee_bps),
        slippage_bps=float(slippage_bps), size=float(size), long_only=bool(long_only),
        cash=float(cash), ts=np.ascontiguousarray(bars.ts, dtype=np.int64),
        equity=run.equity, position=run.position, drawdown=drawdown,
        trades=_trades(bars.ts, run.trades), stats=dict(stats._asdict()),
        signals=len(signals), created_ns=time.time_ns())


def _trades(ts: I64, rows: F64) -> tuple[BacktestTrade, ...]:
    out = []
    for row in rows:
        entry, exit_ = int(row[kernel.T_ENTRY_INDEX]), int(row[kernel.T_EXIT_INDEX])
        out.append(BacktestTrade(
            entry, exit_, int(ts[entry]), int(ts[exit_]) if exit_ >= 0 else None,
            float(row[kernel.T_QTY]), float(row[kernel.T_ENTRY_PRICE]),
            float(row[kernel.T_EXIT_PRICE]), float(row[kernel.T_PNL]),
            float(row[kernel.T_FEES])))
    return tuple(out)
