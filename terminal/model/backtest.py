"""A finished backtest: its settings, curves, trades and figures (what is stored and shown)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class BacktestTrade:
    """From leaving flat to flat again (the kernel's rule). A trade still open at the end has
    exit index -1, exit_ts None and a NaN exit price; its pnl is marked at the last close."""

    entry_index: int
    exit_index: int
    entry_ts: int
    exit_ts: int | None
    qty: float
    entry_price: float
    exit_price: float
    pnl: float
    fees: float

    def same_as(self, other: BacktestTrade) -> bool:
        return all(_same(getattr(self, f.name), getattr(other, f.name)) for f in fields(self))


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """`ts` are the bars' open times; `equity[i]` and `position[i]` are after bar i's fill;
    `drawdown[i]` = equity over its running peak, minus one. `stats` holds the performance
    figures by name (terminal.kernels.performance.Stats fields)."""

    strategy: str
    strategy_id: str
    instrument_id: str
    timeframe: str
    params: dict[str, Any]
    fee_bps: float
    slippage_bps: float
    size: float
    long_only: bool
    cash: float
    ts: I64
    equity: F64
    position: F64
    drawdown: F64
    trades: tuple[BacktestTrade, ...]
    stats: dict[str, float | int]
    signals: int
    created_ns: int = 0
    id: int | None = field(default=None)

    @property
    def bars(self) -> int:
        return len(self.ts)

    def same_as(self, other: BacktestResult, *, ignore_id: bool = True) -> bool:
        """Equal field by field (arrays element-wise, NaN equal to NaN)."""
        for f in fields(self):
            if ignore_id and f.name in ("id", "created_ns"):
                continue
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray):
                if not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
                    return False
            elif f.name == "trades":
                if len(a) != len(b) or not all(x.same_as(y) for x, y in zip(a, b, strict=True)):
                    return False
            elif f.name == "stats":
                if a.keys() != b.keys() or not all(_same(a[k], b[k]) for k in a):
                    return False
            elif a != b:
                return False
        return True


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b
