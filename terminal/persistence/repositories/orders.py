"""Orders: every save is an upsert in its own durable transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from terminal.model.ids import InstrumentId
from terminal.model.orders import Order, OrderStatus, OrderType, Side, TimeInForce
from terminal.persistence.gateway import Gateway
from terminal.persistence.repositories.keys import id_text
from terminal.persistence.schema import OrderRow, table
from terminal.persistence.upsert import upsert

TABLE = table(OrderRow)
OPEN_STATUSES = tuple(s.value for s in OrderStatus if not s.is_terminal)


class OrderRepository:
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def save(self, order: Order) -> None:
        """Insert or replace the order. Committed (and synced to disk) when this returns:
        the order manager stores the intent before sending it."""
        with self._gw.begin(f"saving order {order.client_order_id}", durable=True) as conn:
            save_order(conn, order)

    def get(self, client_order_id: str) -> Order | None:
        query = select(TABLE).where(TABLE.c.client_order_id == client_order_id)
        with self._gw.read(f"reading order {client_order_id}") as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else _from_row(row)

    def by_venue_id(self, venue_order_id: str) -> Order | None:
        query = select(TABLE).where(TABLE.c.venue_order_id == venue_order_id)
        with self._gw.read(f"reading order with venue id {venue_order_id}") as conn:
            row = conn.execute(query.limit(1)).one_or_none()
        return None if row is None else _from_row(row)

    def open(self) -> list[Order]:
        """Orders not in a terminal status, oldest first: what to reconcile on reconnect."""
        query = (select(TABLE).where(TABLE.c.status.in_(OPEN_STATUSES))
                 .order_by(TABLE.c.ts_created, TABLE.c.client_order_id))
        with self._gw.read("reading open orders") as conn:
            return [_from_row(row) for row in conn.execute(query)]

    def list(self, status: OrderStatus | None = None,
             instrument_id: InstrumentId | str | None = None,
             limit: int | None = 500) -> list[Order]:
        """Orders newest first, optionally of one status and/or one instrument."""
        query = select(TABLE)
        if status is not None:
            query = query.where(TABLE.c.status == OrderStatus(status).value)
        if instrument_id is not None:
            query = query.where(TABLE.c.instrument_id == id_text(instrument_id))
        query = query.order_by(TABLE.c.ts_created.desc(), TABLE.c.client_order_id.desc())
        with self._gw.read("listing orders") as conn:
            return [_from_row(row) for row in conn.execute(query.limit(limit))]


def save_order(conn: Connection, order: Order) -> None:
    conn.execute(upsert(conn.dialect.name, TABLE), _to_row(order))


def _to_row(order: Order) -> dict[str, Any]:
    return {
        "client_order_id": order.client_order_id,
        "venue_order_id": order.venue_order_id,
        "instrument_id": str(order.instrument_id),
        "side": Side(order.side).value,
        "type": OrderType(order.type).value,
        "time_in_force": TimeInForce(order.time_in_force).value,
        "quantity": order.quantity,
        "price": order.price,
        "stop_price": order.stop_price,
        "status": OrderStatus(order.status).value,
        "filled_qty": order.filled_qty,
        "avg_fill_price": order.avg_fill_price,
        "fees": order.fees,
        "reduce_only": order.reduce_only,
        "source": order.source,
        "reject_reason": order.reject_reason,
        "ts_created": order.ts_created,
        "ts_updated": order.ts_updated,
        "tags": dict(order.tags),
    }


def _from_row(row: Row[Any]) -> Order:
    m = row._mapping
    return Order(
        client_order_id=m["client_order_id"],
        instrument_id=InstrumentId.parse(m["instrument_id"]),
        side=Side(m["side"]),
        type=OrderType(m["type"]),
        quantity=m["quantity"],
        price=m["price"],
        stop_price=m["stop_price"],
        time_in_force=TimeInForce(m["time_in_force"]),
        status=OrderStatus(m["status"]),
        filled_qty=m["filled_qty"],
        avg_fill_price=m["avg_fill_price"],
        fees=m["fees"],
        venue_order_id=m["venue_order_id"],
        reduce_only=bool(m["reduce_only"]),
        source=m["source"],
        reject_reason=m["reject_reason"],
        ts_created=m["ts_created"],
        ts_updated=m["ts_updated"],
        tags=dict(m["tags"] or {}),
    )
