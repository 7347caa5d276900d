"""Instruments and their trading constraints."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, select

from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.persistence.gateway import Gateway
from terminal.persistence.repositories.keys import id_text
from terminal.persistence.schema import InstrumentRow, table
from terminal.persistence.upsert import upsert

TABLE = table(InstrumentRow)


class InstrumentRepository:
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def upsert(self, instruments: Iterable[Instrument], ts_ns: int | None = None) -> int:
        """Insert or replace instruments; returns how many distinct ids were written."""
        stamp = time.time_ns() if ts_ns is None else ts_ns
        # last one wins, and PostgreSQL refuses one statement touching a row twice
        rows = {str(i.id): _to_row(i, stamp) for i in instruments}
        if not rows:
            return 0
        with self._gw.begin(f"storing {len(rows)} instruments") as conn:
            conn.execute(upsert(conn.dialect.name, TABLE), list(rows.values()))
        return len(rows)

    def get(self, instrument_id: InstrumentId | str) -> Instrument | None:
        key = id_text(instrument_id)
        with self._gw.read(f"reading instrument {key}") as conn:
            row = conn.execute(select(TABLE).where(TABLE.c.id == key)).one_or_none()
        return None if row is None else _from_row(row)

    def all(self, venue: str | None = None) -> list[Instrument]:
        query = select(TABLE).order_by(TABLE.c.id)
        if venue is not None:
            query = query.where(TABLE.c.venue == venue.upper())
        with self._gw.read("reading instruments") as conn:
            return [_from_row(row) for row in conn.execute(query)]


def _to_row(instrument: Instrument, ts_ns: int) -> dict[str, Any]:
    return {
        "id": str(instrument.id),
        "venue": instrument.id.venue,
        "symbol": instrument.id.symbol,
        "base": instrument.base,
        "quote": instrument.quote,
        "tick_size": instrument.tick_size,
        "lot_size": instrument.lot_size,
        "min_qty": instrument.min_qty,
        "max_qty": instrument.max_qty,
        "min_notional": instrument.min_notional,
        "trading": instrument.trading,
        "price_precision": instrument.price_precision,
        "size_precision": instrument.size_precision,
        "info": dict(instrument.info),
        "updated_ns": ts_ns,
    }


def _from_row(row: Row[Any]) -> Instrument:
    m = row._mapping
    return Instrument(
        id=InstrumentId(m["venue"], m["symbol"]),
        base=m["base"],
        quote=m["quote"],
        tick_size=m["tick_size"],
        lot_size=m["lot_size"],
        min_qty=m["min_qty"],
        max_qty=m["max_qty"],
        min_notional=m["min_notional"],
        trading=bool(m["trading"]),
        price_precision=m["price_precision"],
        size_precision=m["size_precision"],
        info=dict(m["info"] or {}),
    )
