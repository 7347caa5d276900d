"""Fills: insert-once by fill id, so a fill replayed after a reconnect is not stored twice."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from terminal.model.ids import InstrumentId
from terminal.model.orders import Side
from terminal.model.portfolio import Fill, Liquidity
from terminal.persistence.gateway import Gateway
from terminal.persistence.repositories.keys import id_text
from terminal.persistence.schema import FillRow, table
from terminal.persistence.upsert import insert_ignore

TABLE = table(FillRow)
_ORDER = (TABLE.c.ts_event, TABLE.c.fill_id)


class FillRepository:
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def insert(self, fill: Fill) -> bool:
        """Store the fill; False if a fill with its id is already stored (it is kept as is).
        Its order must be stored first (foreign key)."""
        with self._gw.begin(f"storing fill {fill.fill_id}", durable=True) as conn:
            return insert_fill(conn, fill)

    def for_order(self, client_order_id: str) -> list[Fill]:
        query = select(TABLE).where(TABLE.c.client_order_id == client_order_id).order_by(*_ORDER)
        with self._gw.read(f"reading fills of order {client_order_id}") as conn:
            return [_from_row(row) for row in conn.execute(query)]

    def list(self, instrument_id: InstrumentId | str | None = None,
             start_ns: int | None = None, end_ns: int | None = None,
             limit: int | None = None) -> list[Fill]:
        """Fills with start_ns <= ts_event < end_ns, oldest first."""
        query = select(TABLE)
        if instrument_id is not None:
            query = query.where(TABLE.c.instrument_id == id_text(instrument_id))
        if start_ns is not None:
            query = query.where(TABLE.c.ts_event >= start_ns)
        if end_ns is not None:
            query = query.where(TABLE.c.ts_event < end_ns)
        with self._gw.read("listing fills") as conn:
            return [_from_row(row) for row in conn.execute(query.order_by(*_ORDER).limit(limit))]


def insert_fill(conn: Connection, fill: Fill) -> bool:
    result = conn.execute(insert_ignore(conn.dialect.name, TABLE), _to_row(fill))
    return result.rowcount == 1


def _to_row(fill: Fill) -> dict[str, Any]:
    return {
        "fill_id": fill.fill_id,
        "client_order_id": fill.client_order_id,
        "instrument_id": str(fill.instrument_id),
        "side": Side(fill.side).value,
        "quantity": fill.quantity,
        "price": fill.price,
        "fee": fill.fee,
        "fee_currency": fill.fee_currency,
        "liquidity": Liquidity(fill.liquidity).value,
        "ts_event": fill.ts_event,
    }


def _from_row(row: Row[Any]) -> Fill:
    m = row._mapping
    return Fill(
        fill_id=m["fill_id"],
        client_order_id=m["client_order_id"],
        instrument_id=InstrumentId.parse(m["instrument_id"]),
        side=Side(m["side"]),
        quantity=m["quantity"],
        price=m["price"],
        fee=m["fee"],
        fee_currency=m["fee_currency"],
        liquidity=Liquidity(m["liquidity"]),
        ts_event=m["ts_event"],
    )
