"""Inbound hooks, the requests they received, and the message ids they accepted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, insert, select, update

from terminal.persistence.gateway import Gateway
from terminal.persistence.schema import InboundHookRow, InboundRequestRow, InboundSeenRow, table
from terminal.persistence.upsert import insert_ignore
from terminal.persistence.webhook_records import HookRecord, HookRequest

HOOKS = table(InboundHookRow)
REQUESTS = table(InboundRequestRow)
SEEN = table(InboundSeenRow)


class HookRepository:
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def add(self, record: HookRecord) -> None:
        with self._gw.begin(f"storing inbound hook {record.hook_id}") as conn:
            conn.execute(insert(HOOKS), {
                "hook_id": record.hook_id, "name": record.name, "auth": record.auth,
                "template": dict(record.template), "enabled": record.enabled,
                "tolerance_s": record.tolerance_s, "created_ns": record.created_ns})

    def get(self, hook_id: str) -> HookRecord | None:
        with self._gw.read(f"reading inbound hook {hook_id}") as conn:
            row = conn.execute(select(HOOKS).where(HOOKS.c.hook_id == hook_id)).first()
        return None if row is None else _hook(row)

    def all(self) -> list[HookRecord]:
        query = select(HOOKS).order_by(HOOKS.c.created_ns, HOOKS.c.hook_id)
        with self._gw.read("listing inbound hooks") as conn:
            return [_hook(r) for r in conn.execute(query)]

    def remove(self, hook_id: str) -> bool:
        with self._gw.begin(f"removing inbound hook {hook_id}") as conn:
            conn.execute(delete(SEEN).where(SEEN.c.hook_id == hook_id))
            return bool(conn.execute(delete(HOOKS).where(HOOKS.c.hook_id == hook_id)).rowcount)

    def remember(self, hook_id: str, message_id: str, ts_ns: int) -> bool:
        """Record that the hook accepted this message id; False when it already had (a
        replay). Atomic: of two concurrent deliveries of one id, one wins."""
        stmt = insert_ignore(self._gw.dialect, SEEN)
        with self._gw.begin(f"recording inbound message {hook_id}") as conn:
            done = conn.execute(stmt, {"hook_id": hook_id, "message_id": message_id,
                                       "ts_ns": ts_ns})
            return bool(done.rowcount)

    def forget_before(self, ts_ns: int) -> int:
        """Drop remembered ids older than the replay window (a replay is stale by then)."""
        with self._gw.begin("pruning inbound message ids") as conn:
            return int(conn.execute(delete(SEEN).where(SEEN.c.ts_ns < ts_ns)).rowcount)

    def log(self, request: HookRequest) -> int:
        with self._gw.begin(f"logging a request to hook {request.hook_id}") as conn:
            done = conn.execute(insert(REQUESTS), {
                "hook_id": request.hook_id, "ts_ns": request.ts_ns,
                "status_code": request.status_code, "outcome": request.outcome,
                "detail": request.detail[:300], "message_id": request.message_id,
                "client_order_id": request.client_order_id, "remote": request.remote})
            key = done.inserted_primary_key
            return int(key[0]) if key else 0

    def set_outcome(self, request_id: int, outcome: str, detail: str) -> None:
        with self._gw.begin(f"updating inbound request {request_id}") as conn:
            conn.execute(update(REQUESTS).where(REQUESTS.c.id == request_id).values(
                outcome=outcome, detail=detail[:300]))

    def requests(self, hook_id: str | None = None, limit: int = 200) -> list[HookRequest]:
        """Newest first."""
        query = select(REQUESTS).order_by(REQUESTS.c.ts_ns.desc(),
                                          REQUESTS.c.id.desc()).limit(limit)
        if hook_id is not None:
            query = query.where(REQUESTS.c.hook_id == hook_id)
        with self._gw.read("listing inbound requests") as conn:
            return [HookRequest(r.hook_id, r.ts_ns, r.status_code, r.outcome, r.detail,
                                r.message_id, r.client_order_id, r.remote, int(r.id))
                    for r in conn.execute(query)]


def _hook(row: Row[Any]) -> HookRecord:
    return HookRecord(row.hook_id, row.name, row.auth, dict(row.template or {}),
                      bool(row.enabled), int(row.tolerance_s), row.created_ns)
