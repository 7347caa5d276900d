"""Performance statistics of an equity curve and its trades (numba, cached).

Conventions:

- Returns are simple per-bar returns of the equity, `e[i] / e[i-1] - 1`, for i >= 1.
- Periods per year come from the bar interval: a year of 365.25 days over the median gap
  between timestamps (525,960 for minute bars, 365.25 for daily bars). Markets that trade
  in sessions should pass their own figure (252 for daily stock bars).
- The risk-free rate is 0. Standard deviations are sample ones (ddof = 1).
- Volatility = std(r) * sqrt(periods per year); Sharpe = mean(r) / std(r) * sqrt(ppy);
  Sortino = mean(r) / downside deviation * sqrt(ppy), the downside deviation being
  sqrt(sum(min(r, 0)^2) / (N - 1)) over all N returns.
- Total return = e[-1] / e[0] - 1. CAGR compounds it over calendar time:
  (e[-1] / e[0]) ** (1 / years) - 1 with years = (ts[-1] - ts[0]) / 365.25 days; -1 when
  the equity ends at or below zero.
- Drawdown at bar i = e[i] / max(e[:i+1]) - 1 (0 or negative); the max drawdown is its
  minimum. A drawdown lasts from its peak bar to the bar that first gets back to the peak,
  or to the last bar if none does; the longest is given in bars and, separately, in
  nanoseconds of calendar time. Calmar = CAGR / |max drawdown|.
- Trade figures count closed trades only (exit index >= 0): win rate = share with pnl > 0,
  profit factor = gross profit / gross loss (inf with profits and no losses, NaN with
  neither). Exposure = share of bars with a non-zero position.
- A figure with nothing to measure (too few bars, zero deviation) is NaN.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from terminal.kernels._window import F64, contiguous

I64 = npt.NDArray[np.int64]

NS_PER_YEAR = 365.25 * 86_400 * 1_000_000_000

(S_TOTAL_RETURN, S_CAGR, S_VOLATILITY, S_SHARPE, S_SORTINO, S_MAX_DRAWDOWN, S_DD_BARS,
 S_DD_NS, S_CALMAR, S_WIN_RATE, S_PROFIT_FACTOR, S_EXPOSURE, S_TRADES) = range(13)
N_STATS = 13

# the trades array's columns used here (terminal.kernels.backtest's layout)
_EXIT_INDEX = 1
_PNL = 5


@njit(cache=True, nogil=True)
def drawdown_run(equity: F64, out: F64) -> None:  # pragma: no cover
    peak = -math.inf
    for i in range(equity.shape[0]):
        e = equity[i]
        if e > peak:
            peak = e
        out[i] = e / peak - 1.0


@njit(cache=True, nogil=True)
def stats_run(ts: I64, equity: F64, position: F64, trades: F64, periods_per_year: float,
              out: F64) -> None:  # pragma: no cover
    """The figures in the module notes into `out` (N_STATS long, indices S_*)."""
    for k in range(N_STATS):
        out[k] = math.nan
    out[S_DD_BARS] = out[S_DD_NS] = out[S_TRADES] = 0.0
    n = equity.shape[0]
    if n == 0:
        return
    first = equity[0]
    last = equity[n - 1]
    out[S_TOTAL_RETURN] = last / first - 1.0
    years = (ts[n - 1] - ts[0]) / NS_PER_YEAR
    if years > 0.0:
        growth = last / first
        out[S_CAGR] = growth ** (1.0 / years) - 1.0 if growth > 0.0 else -1.0

    m = n - 1
    if m >= 2:
        total = 0.0
        for i in range(1, n):
            total += equity[i] / equity[i - 1] - 1.0
        mean = total / m
        squares = 0.0
        downside = 0.0
        for i in range(1, n):
            r = equity[i] / equity[i - 1] - 1.0
            squares += (r - mean) * (r - mean)
            if r < 0.0:
                downside += r * r
        std = math.sqrt(squares / (m - 1))
        root = math.sqrt(periods_per_year)
        out[S_VOLATILITY] = std * root
        if std > 0.0:
            out[S_SHARPE] = mean / std * root
        if downside > 0.0:
            out[S_SORTINO] = mean / math.sqrt(downside / (m - 1)) * root

    peak = equity[0]
    peak_at = 0
    under = False
    worst = 0.0
    longest_bars = 0
    longest_ns = 0
    for i in range(n):
        e = equity[i]
        if e >= peak:
            if under:
                if i - peak_at > longest_bars:
                    longest_bars = i - peak_at
                if ts[i] - ts[peak_at] > longest_ns:
                    longest_ns = ts[i] - ts[peak_at]
                under = False
            peak = e
            peak_at = i
        else:
            under = True
            dd = e / peak - 1.0
            if dd < worst:
                worst = dd
    if under:
        if n - 1 - peak_at > longest_bars:
            longest_bars = n - 1 - peak_at
        if ts[n - 1] - ts[peak_at] > longest_ns:
            longest_ns = ts[n - 1] - ts[peak_at]
    out[S_MAX_DRAWDOWN] = worst
    out[S_DD_BARS] = longest_bars
    out[S_DD_NS] = longest_ns
    if worst < 0.0:
        out[S_CALMAR] = out[S_CAGR] / -worst

    held = 0
    for i in range(n):
        if position[i] != 0.0:
            held += 1
    out[S_EXPOSURE] = held / n

    closed = 0
    wins = 0
    profit = 0.0
    loss = 0.0
    for k in range(trades.shape[0]):
        if trades[k, _EXIT_INDEX] < 0.0:
            continue
        closed += 1
        pnl = trades[k, _PNL]
        if pnl > 0.0:
            wins += 1
            profit += pnl
        elif pnl < 0.0:
            loss -= pnl
    out[S_TRADES] = closed
    if closed > 0:
        out[S_WIN_RATE] = wins / closed
    if loss > 0.0:
        out[S_PROFIT_FACTOR] = profit / loss
    elif profit > 0.0:
        out[S_PROFIT_FACTOR] = math.inf


@njit(cache=True, nogil=True)
def median_interval(ts: I64) -> float:  # pragma: no cover
    # numpy's partition slows down badly on the many equal gaps of regular bars; numba's
    # median does not
    return float(np.median(np.diff(ts).astype(np.float64)))


class Stats(NamedTuple):
    total_return: float
    cagr: float
    volatility: float
    sharpe: float
    sortino: float
    max_drawdown: float
    max_drawdown_bars: int
    max_drawdown_ns: int
    calmar: float
    win_rate: float
    profit_factor: float
    exposure: float
    trades: int

    @classmethod
    def from_row(cls, row: F64) -> Stats:
        whole = (S_DD_BARS, S_DD_NS, S_TRADES)
        values: list[float | int] = [int(x) if k in whole else float(x)
                                     for k, x in enumerate(row)]
        return cls(*values)  # type: ignore[arg-type]


def periods_per_year(ts: I64) -> float:
    """A year of 365.25 days over the median bar interval."""
    if len(ts) < 2:
        return math.nan
    return NS_PER_YEAR / median_interval(np.ascontiguousarray(ts, dtype=np.int64))


def drawdown(equity: F64) -> F64:
    """The drawdown curve: equity over its running peak, minus one."""
    out = np.empty(len(equity))
    drawdown_run(contiguous(equity), out)
    return out


def stats(ts: I64, equity: F64, position: F64, trades: F64,
          per_year: float | None = None) -> Stats:
    """The figures in the module notes for one run (`trades` as the backtest kernel makes)."""
    t = np.ascontiguousarray(ts, dtype=np.int64)
    if not (len(t) == len(equity) == len(position)):
        raise ValueError("ts, equity and position must have the same length")
    ppy = periods_per_year(t) if per_year is None else per_year
    row = np.empty(N_STATS)
    rows = np.ascontiguousarray(trades, dtype=np.float64).reshape(-1, 7)
    stats_run(t, contiguous(equity), contiguous(position), rows, float(ppy), row)
    return Stats.from_row(row)
