"""Net positions per account and instrument (the latest state, not a history)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from terminal.model.ids import InstrumentId
from terminal.model.portfolio import Position
from terminal.persistence.gateway import Gateway
from terminal.persistence.repositories.keys import id_text
from terminal.persistence.schema import PositionRow, table
from terminal.persistence.upsert import upsert

TABLE = table(PositionRow)


class PositionRepository:
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def save(self, account_id: str, position: Position) -> None:
        with self._gw.begin(f"saving position {account_id}/{position.instrument_id}") as conn:
            save_position(conn, account_id, position)

    def get(self, account_id: str, instrument_id: InstrumentId | str) -> Position | None:
        query = select(TABLE).where(TABLE.c.account_id == account_id,
                                    TABLE.c.instrument_id == id_text(instrument_id))
        with self._gw.read(f"reading a position of {account_id}") as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else _from_row(row)

    def all(self, account_id: str) -> list[Position]:
        """Every stored position of the account, flat ones included (they carry PnL)."""
        query = (select(TABLE).where(TABLE.c.account_id == account_id)
                 .order_by(TABLE.c.instrument_id))
        with self._gw.read(f"reading positions of {account_id}") as conn:
            return [_from_row(row) for row in conn.execute(query)]


def save_position(conn: Connection, account_id: str, position: Position) -> None:
    conn.execute(upsert(conn.dialect.name, TABLE), _to_row(account_id, position))


def _to_row(account_id: str, position: Position) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "instrument_id": str(position.instrument_id),
        "quantity": position.quantity,
        "avg_price": position.avg_price,
        "realized_pnl": position.realized_pnl,
        "fees": position.fees,
        "ts_updated": position.ts_updated,
    }


def _from_row(row: Row[Any]) -> Position:
    m = row._mapping
    return Position(
        instrument_id=InstrumentId.parse(m["instrument_id"]),
        quantity=m["quantity"],
        avg_price=m["avg_price"],
        realized_pnl=m["realized_pnl"],
        fees=m["fees"],
        ts_updated=m["ts_updated"],
    )
