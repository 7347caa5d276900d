"""What the CLI and the window share: the bars a backtest reads and how its figures read."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from terminal.model.ids import InstrumentId
from terminal.model.market import Bar
from terminal.services.bar_resample import BarArrays, resample
from terminal.services.timeframes import STORED_INTERVALS_NS

STAT_ROWS = (("total_return", "Total return", "pct"), ("cagr", "CAGR", "pct"),
             ("volatility", "Volatility", "pct"), ("sharpe", "Sharpe", "num"),
             ("sortino", "Sortino", "num"), ("max_drawdown", "Max drawdown", "pct"),
             ("max_drawdown_bars", "Max drawdown bars", "int"),
             ("max_drawdown_ns", "Max drawdown days", "days"), ("calmar", "Calmar", "num"),
             ("win_rate", "Win rate", "pct"), ("profit_factor", "Profit factor", "num"),
             ("exposure", "Exposure", "pct"), ("trades", "Trades", "int"))


def format_stat(value: float | int, kind: str) -> str:
    """A figure as the stats table shows it; `kind` is a STAT_ROWS kind."""
    if isinstance(value, float) and math.isnan(value):
        return "-"
    if kind == "pct":
        return f"{value * 100:.2f}%"
    if kind == "int":
        return str(int(value))
    if kind == "days":
        return f"{value / 86_400e9:.1f}"
    return f"{value:.4f}"


def bar_arrays(bars: list[Bar]) -> BarArrays:
    return BarArrays(np.array([b.ts for b in bars], dtype=np.int64),
                     *(np.array([getattr(b, k) for b in bars], dtype=np.float64)
                       for k in ("open", "high", "low", "close", "volume")))


def stored_bars(db: Any, iid: InstrumentId, interval_ns: int) -> BarArrays:
    """The closed bars stored in `db` (a terminal.persistence Database) for `iid` at
    `interval_ns`, oldest first."""
    return bar_arrays([b for b in db.bars.range(iid, interval_ns) if b.closed])


def bars_for(db: Any, iid: InstrumentId, interval_ns: int,
             stored_intervals_ns: tuple[int, ...] = STORED_INTERVALS_NS) -> BarArrays:
    """Stored bars at the interval, or rolled up from the longest shorter stored interval
    that divides it (as the chart shows them): 15m from stored 1m bars."""
    bars = stored_bars(db, iid, interval_ns)
    if len(bars.ts):
        return bars
    for source in sorted((i for i in stored_intervals_ns
                          if i < interval_ns and interval_ns % i == 0), reverse=True):
        fine = stored_bars(db, iid, source)
        if len(fine.ts):
            return resample(fine, interval_ns)
    return bars
