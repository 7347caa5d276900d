"""A backtest's trades and equity curve as CSV files (times as ISO 8601 UTC and as ns)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from terminal.model.backtest import BacktestResult

TRADE_COLUMNS = ("entry_time", "exit_time", "entry_ts_ns", "exit_ts_ns", "entry_index",
                 "exit_index", "qty", "entry_price", "exit_price", "pnl", "fees")
EQUITY_COLUMNS = ("time", "ts_ns", "equity", "position", "drawdown")


def _iso(ts_ns: int) -> str:
    return datetime.fromtimestamp(ts_ns / 1e9, UTC).isoformat().replace("+00:00", "Z")


def _num(x: float) -> str:
    return repr(float(x))  # shortest text that reads back to the same float


def write_trades(result: BacktestResult, path: Path) -> None:
    """One row per trade; an open trade has empty exit fields."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(TRADE_COLUMNS)
        for t in result.trades:
            still_open = t.exit_ts is None
            out.writerow([_iso(t.entry_ts), "" if t.exit_ts is None else _iso(t.exit_ts),
                          t.entry_ts, "" if t.exit_ts is None else t.exit_ts, t.entry_index,
                          t.exit_index, _num(t.qty), _num(t.entry_price),
                          "" if still_open else _num(t.exit_price), _num(t.pnl),
                          _num(t.fees)])


def write_equity(result: BacktestResult, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(EQUITY_COLUMNS)
        for ts, e, p, d in zip(result.ts.tolist(), result.equity.tolist(),
                               result.position.tolist(), result.drawdown.tolist(), strict=True):
            out.writerow([_iso(ts), ts, repr(e), repr(p), repr(d)])


def export_csv(result: BacktestResult, folder: Path, stem: str = "backtest") -> list[Path]:
    """`<stem>_trades.csv` and `<stem>_equity.csv` in `folder` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    trades, equity = folder / f"{stem}_trades.csv", folder / f"{stem}_equity.csv"
    write_trades(result, trades)
    write_equity(result, equity)
    return [trades, equity]
