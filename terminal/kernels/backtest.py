"""Backtest loop for position-target signals over OHLC arrays (numba, cached).

Rules of `simulate`:

- `target[i]` is the position (signed quantity in units: -1/0/+1 or any size) wanted after
  seeing bar i's close. A NaN target means "no new decision": the last one stands. The
  position starts flat.
- Orders fill at the next valid open: at bar j > i the position moves to the latest target
  if `open[j]` is finite. A NaN open gets no fill; the order waits for the next finite open,
  and a newer target decided meanwhile replaces it. The last bar's target is never filled.
- Slippage moves the fill price against the trader: buys at `open * (1 + slip)`, sells at
  `open * (1 - slip)`. The fee is `fee * |qty| * fill_price`, paid from cash. Rates are
  fractions here; the Python wrappers take basis points.
- Cash is not checked: a position may cost more than the cash (no margin model).
- `equity[i] = cash + position * mark` after bar i's fill, the mark being the last finite
  close (a NaN close keeps the previous mark). `position[i]` is the position held over bar i.
- A trade runs from leaving flat to being flat again; a target on the other side closes
  the trade and opens a new one on the same fill. Adds and partial exits stay inside the
  trade: its prices are quantity-weighted averages, `qty` is the signed total entered, and
  `pnl` is its net cash flow (fees included). A trade still open after the last bar is the
  last row, with exit index -1, a NaN exit price and its pnl marked at the last close.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit, prange

from terminal.kernels import performance
from terminal.kernels._window import F64, contiguous
from terminal.kernels.trend import sma

I64 = npt.NDArray[np.int64]

# columns of the trades array
T_ENTRY_INDEX, T_EXIT_INDEX, T_QTY, T_ENTRY_PRICE, T_EXIT_PRICE, T_PNL, T_FEES = range(7)
TRADE_FIELDS = 7

BPS = 1e-4
TIE = 1e-12


@njit(cache=True, nogil=True)
def max_trades(target: F64) -> int:  # pragma: no cover
    """An upper bound on the trades `target` can make: one per change of decision, plus one."""
    count = 1
    last = 0.0
    for i in range(target.shape[0]):
        t = target[i]
        if not math.isnan(t) and t != last:
            count += 1
            last = t
    return count


@njit(cache=True, nogil=True)
def simulate(open_: F64, close: F64, target: F64, fee: float, slip: float, cash0: float,
             equity: F64, position: F64, trades: F64) -> int:  # pragma: no cover
    """Run the rules in the module notes; fills `equity`, `position` and `trades` (rows of
    TRADE_FIELDS, at least `max_trades(target)` of them); the number of trade rows."""
    cash = cash0
    pos = 0.0
    desired = 0.0
    mark = math.nan
    n_trades = 0
    entry_index = 0
    entered = 0.0      # quantity entered in the open trade (absolute)
    entry_value = 0.0  # its notional at fill prices
    exited = 0.0
    exit_value = 0.0
    flow = 0.0         # the open trade's net cash flow
    fees = 0.0
    side = 0.0
    for i in range(open_.shape[0]):
        o = open_[i]
        if desired != pos and not math.isnan(o):
            buy = desired > pos
            price = o * (1.0 + slip) if buy else o * (1.0 - slip)
            flips = pos != 0.0 and (desired == 0.0 or (desired > 0.0) != (pos > 0.0))
            if flips or (pos != 0.0 and abs(desired) < abs(pos)):
                # the closing part: all of it on a flip, the difference on a reduction
                q = -pos if flips else desired - pos
                cost = q * price
                fee_paid = abs(cost) * fee
                cash -= cost + fee_paid
                flow -= cost + fee_paid
                fees += fee_paid
                exited += abs(q)
                exit_value += abs(cost)
                if flips:
                    row = trades[n_trades]
                    row[T_ENTRY_INDEX] = entry_index
                    row[T_EXIT_INDEX] = i
                    row[T_QTY] = side * entered
                    row[T_ENTRY_PRICE] = entry_value / entered
                    row[T_EXIT_PRICE] = exit_value / exited
                    row[T_PNL] = flow
                    row[T_FEES] = fees
                    n_trades += 1
                    pos = 0.0
            if desired != 0.0 and (pos == 0.0 or abs(desired) > abs(pos)):
                if pos == 0.0:
                    entry_index = i
                    entered = entry_value = exited = exit_value = flow = fees = 0.0
                    side = 1.0 if desired > 0.0 else -1.0
                q = desired - pos
                cost = q * price
                fee_paid = abs(cost) * fee
                cash -= cost + fee_paid
                flow -= cost + fee_paid
                fees += fee_paid
                entered += abs(q)
                entry_value += abs(cost)
            pos = desired
        c = close[i]
        if not math.isnan(c):
            mark = c
        equity[i] = cash + pos * mark if pos != 0.0 else cash
        position[i] = pos
        t = target[i]
        if not math.isnan(t):
            desired = t
    if pos != 0.0:
        row = trades[n_trades]
        row[T_ENTRY_INDEX] = entry_index
        row[T_EXIT_INDEX] = -1
        row[T_QTY] = side * entered
        row[T_ENTRY_PRICE] = entry_value / entered
        row[T_EXIT_PRICE] = math.nan
        row[T_PNL] = flow + pos * mark
        row[T_FEES] = fees
        n_trades += 1
    return n_trades


@njit(cache=True, nogil=True)
def cross_targets(fast: F64, slow: F64, size: float, short: bool,
                  out: F64) -> None:  # pragma: no cover
    """Moving-average cross: long `size` while fast > slow, short `size` (or flat) while
    fast < slow; NaN (no new decision) on a tie or while either average warms up.

    Averages within TIE (relative) of each other are a tie: on flat stretches the two are
    equal in exact arithmetic, and the order of the summation (ours, pandas', another
    backtester's) must not decide a cross there."""
    for i in range(fast.shape[0]):
        f = fast[i]
        s = slow[i]
        band = TIE * abs(s)
        if f - s > band:
            out[i] = size
        elif s - f > band:
            out[i] = -size if short else 0.0
        else:
            out[i] = math.nan


class BacktestResult(NamedTuple):
    equity: F64
    position: F64
    trades: F64  # rows of TRADE_FIELDS; see the module notes


def backtest(open_: F64, close: F64, target: F64, fee_bps: float = 0.0, slip_bps: float = 0.0,
             cash: float = 10_000.0) -> BacktestResult:
    """One run of the rules in the module notes; fees and slippage in basis points."""
    if not (len(open_) == len(close) == len(target)):
        raise ValueError("open, close and target must have the same length")
    o, c, t = contiguous(open_), contiguous(close), contiguous(target)
    n = len(o)
    equity = np.empty(n)
    position = np.empty(n)
    trades = np.empty((max_trades(t), TRADE_FIELDS))
    count = simulate(o, c, t, fee_bps * BPS, slip_bps * BPS, cash, equity, position, trades)
    return BacktestResult(equity, position, trades[:count].copy())


def ma_cross_backtest(open_: F64, close: F64, fast: int, slow: int, size: float = 1.0,
                      short: bool = True, fee_bps: float = 0.0, slip_bps: float = 0.0,
                      cash: float = 10_000.0) -> BacktestResult:
    """The moving-average cross (SMA of the closes) through `backtest`."""
    c = contiguous(close)
    target = np.empty(len(c))
    cross_targets(sma(c, fast), sma(c, slow), size, short, target)
    return backtest(open_, c, target, fee_bps, slip_bps, cash)


@njit(cache=True, nogil=True, parallel=True)
def _sweep(ts: I64, open_: F64, close: F64, averages: F64, fast_rows: I64, slow_rows: I64,
           size: float, short: bool, fee: float, slip: float, cash0: float,
           periods_per_year: float, out: F64) -> None:  # pragma: no cover
    n = open_.shape[0]
    for k in prange(fast_rows.shape[0]):
        target = np.empty(n)
        cross_targets(averages[fast_rows[k]], averages[slow_rows[k]], size, short, target)
        equity = np.empty(n)
        position = np.empty(n)
        trades = np.empty((max_trades(target), TRADE_FIELDS))
        count = simulate(open_, close, target, fee, slip, cash0, equity, position, trades)
        performance.stats_run(ts, equity, position, trades[:count], periods_per_year, out[k])


def ma_cross_sweep(ts: I64, open_: F64, close: F64, pairs: list[tuple[int, int]] | I64,
                   size: float = 1.0, short: bool = True, fee_bps: float = 0.0,
                   slip_bps: float = 0.0, cash: float = 10_000.0,
                   periods_per_year: float | None = None) -> F64:
    """Stats of the moving-average cross for many (fast, slow) pairs in one call, the pairs
    run in parallel: row k holds `performance.stats_run`'s figures for `pairs[k]`, the same
    as `performance.stats` of `ma_cross_backtest` with that pair (columns: S_* there)."""
    grid = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    c = contiguous(close)
    periods = sorted({int(p) for p in grid.ravel()})
    row_of = {p: r for r, p in enumerate(periods)}
    averages = np.empty((len(periods), len(c)))
    for r, p in enumerate(periods):
        averages[r] = sma(c, p)
    fast_rows = np.array([row_of[int(p)] for p in grid[:, 0]], dtype=np.int64)
    slow_rows = np.array([row_of[int(p)] for p in grid[:, 1]], dtype=np.int64)
    ppy = performance.periods_per_year(ts) if periods_per_year is None else periods_per_year
    out = np.empty((len(grid), performance.N_STATS))
    _sweep(np.ascontiguousarray(ts, dtype=np.int64), contiguous(open_), c, averages,
           fast_rows, slow_rows, float(size), bool(short), fee_bps * BPS, slip_bps * BPS,
           float(cash), float(ppy), out)
    return out
