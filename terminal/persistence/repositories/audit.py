"""The audit log: who did what to which subject, appended, never updated."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from terminal.persistence.gateway import Gateway
from terminal.persistence.records import AuditEntry
from terminal.persistence.schema import AuditRow, table

TABLE = table(AuditRow)


class AuditRepository:
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def record(self, ts_ns: int, actor: str, action: str, subject: str,
               detail: dict[str, Any] | None = None) -> int:
        """Append an entry; returns its id. Decimals in `detail` are stored as plain strings.
        Never put secrets in `detail`."""
        values = {"ts": ts_ns, "actor": actor, "action": action, "subject": subject,
                  "detail": dict(detail or {})}
        with self._gw.begin(f"recording audit entry {action}") as conn:
            key = conn.execute(insert(TABLE), values).inserted_primary_key
        assert key is not None
        return int(key[0])

    def list(self, limit: int | None = 100, action: str | None = None) -> list[AuditEntry]:
        """Entries newest first, optionally of one action."""
        query = select(TABLE)
        if action is not None:
            query = query.where(TABLE.c.action == action)
        query = query.order_by(TABLE.c.ts.desc(), TABLE.c.id.desc()).limit(limit)
        with self._gw.read("reading the audit log") as conn:
            return [AuditEntry(r.id, r.ts, r.actor, r.action, r.subject, dict(r.detail or {}))
                    for r in conn.execute(query)]
