"""OHLCV bars: bulk idempotent inserts and ascending range reads.

NaN is stored as NULL in every float column (SQLite cannot hold NaN; PostgreSQL does the same
so both behave alike and SUM(volume) is not poisoned), and NULL reads back as NaN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select

from terminal.model.ids import InstrumentId
from terminal.model.market import Bar
from terminal.persistence.gateway import Gateway
from terminal.persistence.repositories.keys import id_text
from terminal.persistence.schema import BarRow, table
from terminal.persistence.upsert import BulkInsert, upsert

TABLE = table(BarRow)
NAN = math.nan
_BULK: dict[str, BulkInsert] = {}


class BarRepository:
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def insert_many(self, bars: Sequence[Bar]) -> int:
        """Insert bars in one transaction; a bar whose (instrument, interval, ts) exists
        replaces it, so re-inserting is harmless. Returns the number of bars given."""
        if not bars:
            return 0
        # column order of the bars table; `v == v` is False only for NaN
        rows = [(str(b.instrument_id), b.interval_ns, b.ts,
                 b.open if b.open == b.open else None,
                 b.high if b.high == b.high else None,
                 b.low if b.low == b.low else None,
                 b.close if b.close == b.close else None,
                 b.volume if b.volume == b.volume else None,
                 b.trades) for b in bars]
        with self._gw.begin(f"storing {len(rows)} bars") as conn:
            dialect = conn.dialect.name
            bulk = _BULK.get(dialect)
            if bulk is None:
                bulk = _BULK[dialect] = BulkInsert(TABLE, upsert(dialect, TABLE))
            bulk.execute(conn, rows)
        return len(rows)

    def range(self, instrument_id: InstrumentId | str, interval_ns: int,
              start_ns: int | None = None, end_ns: int | None = None,
              limit: int | None = None) -> list[Bar]:
        """Bars with start_ns <= ts < end_ns, oldest first, at most `limit` of them."""
        query = _window(select(*_COLUMNS), id_text(instrument_id), interval_ns, start_ns, end_ns)
        query = query.order_by(TABLE.c.ts).limit(limit)
        return self._bars(query, instrument_id)

    def last(self, instrument_id: InstrumentId | str, interval_ns: int, count: int,
             end_ns: int | None = None) -> list[Bar]:
        """The `count` most recent bars with ts < end_ns, oldest first (a chart's history)."""
        query = _window(select(*_COLUMNS), id_text(instrument_id), interval_ns, None, end_ns)
        query = query.order_by(TABLE.c.ts.desc()).limit(count)
        bars = self._bars(query, instrument_id)
        bars.reverse()
        return bars

    def count(self, instrument_id: InstrumentId | str, interval_ns: int,
              start_ns: int | None = None, end_ns: int | None = None) -> int:
        query = _window(select(func.count()).select_from(TABLE), id_text(instrument_id),
                        interval_ns, start_ns, end_ns)
        with self._gw.read("counting bars") as conn:
            return int(conn.execute(query).scalar_one())

    def latest_ts(self, instrument_id: InstrumentId | str, interval_ns: int) -> int | None:
        """Open time of the newest stored bar, to resume a backfill."""
        query = _window(select(func.max(TABLE.c.ts)), id_text(instrument_id), interval_ns,
                        None, None)
        with self._gw.read("reading the latest bar time") as conn:
            value = conn.execute(query).scalar_one()
        return None if value is None else int(value)

    def _bars(self, query: Select[Any], instrument_id: InstrumentId | str) -> list[Bar]:
        iid = (instrument_id if isinstance(instrument_id, InstrumentId)
               else InstrumentId.parse(instrument_id))
        with self._gw.read(f"reading bars of {iid}") as conn:
            rows = conn.execute(query).all()
        return [Bar(iid, interval, ts, _nan(o), _nan(h), _nan(lo), _nan(c), _nan(v), trades)
                for interval, ts, o, h, lo, c, v, trades in rows]


_COLUMNS = (TABLE.c.interval_ns, TABLE.c.ts, TABLE.c.open, TABLE.c.high, TABLE.c.low,
            TABLE.c.close, TABLE.c.volume, TABLE.c.trades)


def _window(query: Select[Any], key: str, interval_ns: int, start_ns: int | None,
            end_ns: int | None) -> Select[Any]:
    query = query.where(TABLE.c.instrument_id == key, TABLE.c.interval_ns == interval_ns)
    if start_ns is not None:
        query = query.where(TABLE.c.ts >= start_ns)
    if end_ns is not None:
        query = query.where(TABLE.c.ts < end_ns)
    return query


def _nan(value: float | None) -> float:
    return NAN if value is None else float(value)
