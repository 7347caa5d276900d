"""Risk limits set per account or per instrument: the latest values, replaced as a whole."""

from __future__ import annotations

from sqlalchemy import delete, select

from terminal.persistence.gateway import Gateway
from terminal.persistence.schema import RiskLimitRow, table
from terminal.persistence.upsert import upsert

TABLE = table(RiskLimitRow)


class RiskLimitRepository:
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def save(self, scope: str, subject: str, limits: dict[str, str], ts_ns: int) -> None:
        """Store the limits set for one scope and subject; an empty dict removes the row."""
        with self._gw.begin(f"saving risk limits of {scope} {subject}") as conn:
            if limits:
                conn.execute(upsert(conn.dialect.name, TABLE),
                             {"scope": scope, "subject": subject, "limits": dict(limits),
                              "updated_ns": ts_ns})
            else:
                conn.execute(delete(TABLE).where(TABLE.c.scope == scope,
                                                 TABLE.c.subject == subject))

    def all(self) -> list[tuple[str, str, dict[str, str]]]:
        """(scope, subject, limits) of every stored row."""
        query = select(TABLE).order_by(TABLE.c.scope, TABLE.c.subject)
        with self._gw.read("reading risk limits") as conn:
            return [(r.scope, r.subject, {str(k): str(v) for k, v in (r.limits or {}).items()})
                    for r in conn.execute(query)]
