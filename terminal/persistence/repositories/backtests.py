"""Backtest results: stored whole (run row, trade rows, curves) and read back equal.

The curves column is zlib-compressed: a 16-byte header (b"TTBT", a format version and the
bar count) followed by the bars' times (int64) and equity, position and drawdown (float64),
all little-endian.
"""

from __future__ import annotations

import math
import struct
import zlib
from typing import Any

import numpy as np
from sqlalchemy import delete, select

from terminal.core.errors import PersistenceError
from terminal.model.backtest import BacktestResult, BacktestTrade
from terminal.persistence.gateway import Gateway
from terminal.persistence.schema import BacktestRow, BacktestTradeRow, table

TABLE = table(BacktestRow)
TRADES = table(BacktestTradeRow)
MAGIC = b"TTBT"
VERSION = 1
_HEADER = struct.Struct("<4sIQ")  # magic, version, bar count


class BacktestRepository:
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def save(self, result: BacktestResult) -> int:
        """Store a result in one transaction; its new id."""
        n = len(result.ts)
        row = {"created_ns": result.created_ns, "strategy": result.strategy,
               "strategy_id": result.strategy_id, "instrument_id": result.instrument_id,
               "timeframe": result.timeframe, "params": _json_safe(result.params),
               "fee_bps": result.fee_bps, "slippage_bps": result.slippage_bps,
               "size": result.size, "long_only": result.long_only, "cash": result.cash,
               "bars": n, "start_ns": int(result.ts[0]) if n else None,
               "end_ns": int(result.ts[-1]) if n else None, "signals": result.signals,
               "stats": _json_safe(result.stats), "curves": _pack(result)}
        with self._gw.begin(f"storing a backtest of {result.instrument_id}") as conn:
            key = conn.execute(TABLE.insert().values(**row)).inserted_primary_key
            assert key is not None
            new_id = int(key[0])
            if result.trades:
                conn.execute(TRADES.insert(), [
                    {"backtest_id": new_id, "seq": k, "entry_index": t.entry_index,
                     "exit_index": t.exit_index, "entry_ts": t.entry_ts, "exit_ts": t.exit_ts,
                     "qty": t.qty, "entry_price": t.entry_price,
                     "exit_price": None if math.isnan(t.exit_price) else t.exit_price,
                     "pnl": t.pnl, "fees": t.fees} for k, t in enumerate(result.trades)])
        return new_id

    def get(self, backtest_id: int) -> BacktestResult | None:
        with self._gw.read(f"reading backtest {backtest_id}") as conn:
            row = conn.execute(select(TABLE).where(TABLE.c.id == backtest_id)).first()
            if row is None:
                return None
            trades = conn.execute(select(TRADES).where(TRADES.c.backtest_id == backtest_id)
                                  .order_by(TRADES.c.seq)).all()
        ts, equity, position, drawdown = _unpack(row.curves, backtest_id)
        return BacktestResult(
            strategy=row.strategy, strategy_id=row.strategy_id,
            instrument_id=row.instrument_id, timeframe=row.timeframe,
            params=_from_json(row.params), fee_bps=row.fee_bps,
            slippage_bps=row.slippage_bps, size=row.size, long_only=bool(row.long_only),
            cash=row.cash, ts=ts, equity=equity, position=position, drawdown=drawdown,
            trades=tuple(BacktestTrade(
                t.entry_index, t.exit_index, t.entry_ts, t.exit_ts, t.qty, t.entry_price,
                math.nan if t.exit_price is None else t.exit_price, t.pnl, t.fees)
                for t in trades),
            stats=_from_json(row.stats), signals=row.signals, created_ns=row.created_ns,
            id=row.id)

    def list(self, instrument_id: str | None = None,
             limit: int = 100) -> list[dict[str, Any]]:
        """Summaries (no curves or trades), newest first."""
        columns = [c for c in TABLE.c if c.name != "curves"]
        query = select(*columns).order_by(TABLE.c.created_ns.desc(), TABLE.c.id.desc())
        if instrument_id is not None:
            query = query.where(TABLE.c.instrument_id == instrument_id)
        with self._gw.read("listing backtests") as conn:
            rows = conn.execute(query.limit(limit)).mappings().all()
        return [{k: _from_json(v) if k in ("params", "stats") else v for k, v in r.items()}
                for r in rows]

    def delete(self, backtest_id: int) -> bool:
        with self._gw.begin(f"deleting backtest {backtest_id}") as conn:
            conn.execute(delete(TRADES).where(TRADES.c.backtest_id == backtest_id))
            gone = conn.execute(delete(TABLE).where(TABLE.c.id == backtest_id)).rowcount
        return bool(gone)


def _pack(result: BacktestResult) -> bytes:
    n = len(result.ts)
    parts = [_HEADER.pack(MAGIC, VERSION, n), np.asarray(result.ts, dtype="<i8").tobytes()]
    for a in (result.equity, result.position, result.drawdown):
        if len(a) != n:
            raise PersistenceError("a backtest's curves must be as long as its bars")
        parts.append(np.asarray(a, dtype="<f8").tobytes())
    return zlib.compress(b"".join(parts), 6)


def _unpack(blob: bytes, backtest_id: int) -> tuple[Any, Any, Any, Any]:
    try:
        raw = zlib.decompress(blob)
        magic, version, n = _HEADER.unpack_from(raw)
    except (zlib.error, struct.error):
        raise PersistenceError(f"backtest {backtest_id}: its curves are corrupt") from None
    if magic != MAGIC or version != VERSION or len(raw) != _HEADER.size + 32 * n:
        raise PersistenceError(f"backtest {backtest_id}: curves in an unknown layout")
    at = _HEADER.size
    ts = np.frombuffer(raw, "<i8", n, at).astype(np.int64)
    arrays = [np.frombuffer(raw, "<f8", n, at + 8 * n * k).astype(np.float64)
              for k in (1, 2, 3)]
    return ts, arrays[0], arrays[1], arrays[2]


_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    """Non-finite floats as strings: PostgreSQL's JSON has no NaN or Infinity."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        out[k] = repr(v) if isinstance(v, float) and not math.isfinite(v) else v
    return out


def _from_json(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _NON_FINITE.get(v, v) if isinstance(v, str) else v
            for k, v in (values or {}).items()}
