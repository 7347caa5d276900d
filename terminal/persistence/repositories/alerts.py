"""Price alerts: added, listed, their trigger state updated, removed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, delete, insert, select, update

from terminal.persistence.alert_records import AlertRecord
from terminal.persistence.gateway import Gateway
from terminal.persistence.schema import AlertRow, table

TABLE = table(AlertRow)


class AlertRepository:
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def add(self, record: AlertRecord) -> None:
        with self._gw.begin(f"storing alert {record.alert_id}") as conn:
            conn.execute(insert(TABLE), _values(record))

    def all(self) -> list[AlertRecord]:
        query = select(TABLE).order_by(TABLE.c.created_ns, TABLE.c.alert_id)
        with self._gw.read("reading alerts") as conn:
            return [_record(r) for r in conn.execute(query)]

    def get(self, alert_id: str) -> AlertRecord | None:
        with self._gw.read(f"reading alert {alert_id}") as conn:
            row = conn.execute(select(TABLE).where(TABLE.c.alert_id == alert_id)).first()
        return None if row is None else _record(row)

    def save_state(self, records: Iterable[AlertRecord]) -> None:
        """Store the trigger state (active, count, last trigger) of alerts that fired."""
        with self._gw.begin("storing alert triggers") as conn:
            for r in records:
                conn.execute(update(TABLE).where(TABLE.c.alert_id == r.alert_id).values(
                    active=r.active, updated_ns=r.updated_ns,
                    triggered_count=r.triggered_count, last_triggered_ns=r.last_triggered_ns,
                    last_triggered_price=r.last_triggered_price))

    def remove(self, alert_id: str) -> bool:
        with self._gw.begin(f"removing alert {alert_id}") as conn:
            done = conn.execute(delete(TABLE).where(TABLE.c.alert_id == alert_id))
            return bool(done.rowcount)


def _values(r: AlertRecord) -> dict[str, Any]:
    return {"alert_id": r.alert_id, "instrument": r.instrument, "condition": r.condition,
            "price": r.price, "source": r.source, "note": r.note, "repeat": r.repeat,
            "active": r.active, "created_ns": r.created_ns, "updated_ns": r.updated_ns,
            "triggered_count": r.triggered_count, "last_triggered_ns": r.last_triggered_ns,
            "last_triggered_price": r.last_triggered_price}


def _record(row: Row[Any]) -> AlertRecord:
    return AlertRecord(row.alert_id, row.instrument, row.condition, row.price, row.source,
                       row.note, bool(row.repeat), bool(row.active), int(row.created_ns),
                       int(row.updated_ns), int(row.triggered_count), row.last_triggered_ns,
                       row.last_triggered_price)
