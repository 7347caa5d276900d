"""Outbound webhooks: endpoints, the outbox (one message per event and endpoint) and the
delivery log (every attempt). Writes come in batches from the dispatcher's worker thread."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update

from terminal.persistence.gateway import Gateway
from terminal.persistence.schema import (
    WebhookAttemptRow,
    WebhookEndpointRow,
    WebhookMessageRow,
    table,
)
from terminal.persistence.upsert import insert_ignore
from terminal.persistence.webhook_records import (
    PENDING,
    AttemptOutcome,
    DeliveryAttempt,
    EndpointRecord,
    OutboxMessage,
)

ENDPOINTS = table(WebhookEndpointRow)
MESSAGES = table(WebhookMessageRow)
ATTEMPTS = table(WebhookAttemptRow)
EDITABLE = frozenset({"url", "events", "description", "enabled", "disabled_reason",
                      "max_concurrency", "timeout_s", "previous_secret_until_ns"})


class WebhookRepository:
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    # endpoints ----------------------------------------------------------------------------
    def add_endpoint(self, record: EndpointRecord) -> None:
        with self._gw.begin(f"storing webhook endpoint {record.endpoint_id}") as conn:
            conn.execute(insert(ENDPOINTS), _endpoint_row(record))

    def endpoint(self, endpoint_id: str) -> EndpointRecord | None:
        query = select(ENDPOINTS).where(ENDPOINTS.c.endpoint_id == endpoint_id)
        with self._gw.read(f"reading webhook endpoint {endpoint_id}") as conn:
            row = conn.execute(query).first()
        return None if row is None else _endpoint(row)

    def endpoints(self) -> list[EndpointRecord]:
        query = select(ENDPOINTS).order_by(ENDPOINTS.c.created_ns, ENDPOINTS.c.endpoint_id)
        with self._gw.read("listing webhook endpoints") as conn:
            return [_endpoint(r) for r in conn.execute(query)]

    def update_endpoint(self, endpoint_id: str, ts_ns: int, **changes: Any) -> bool:
        unknown = set(changes) - EDITABLE
        if unknown:
            raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
        if "events" in changes:
            changes["events"] = list(changes["events"])
        query = (update(ENDPOINTS).where(ENDPOINTS.c.endpoint_id == endpoint_id)
                 .values(updated_ns=ts_ns, **changes))
        with self._gw.begin(f"changing webhook endpoint {endpoint_id}") as conn:
            return bool(conn.execute(query).rowcount)

    def remove_endpoint(self, endpoint_id: str) -> bool:
        """Delete the endpoint and its undelivered messages; the log of past attempts stays."""
        with self._gw.begin(f"removing webhook endpoint {endpoint_id}") as conn:
            conn.execute(delete(MESSAGES).where(MESSAGES.c.endpoint_id == endpoint_id,
                                                MESSAGES.c.status == PENDING))
            return bool(conn.execute(delete(ENDPOINTS).where(
                ENDPOINTS.c.endpoint_id == endpoint_id)).rowcount)

    # the outbox ---------------------------------------------------------------------------
    def enqueue(self, messages: Sequence[OutboxMessage]) -> None:
        if not messages:
            return
        # a batch may come again after a cancelled write that had in fact been done
        stmt = insert_ignore(self._gw.dialect, MESSAGES)
        with self._gw.begin(f"storing {len(messages)} webhook messages") as conn:
            conn.execute(stmt, [_message_row(m) for m in messages])

    def due(self, now_ns: int, limit: int,
            endpoint_ids: Collection[str] | None = None) -> list[OutboxMessage]:
        """Pending messages whose next attempt is due, soonest first (of the given
        endpoints only, when named)."""
        query = (select(MESSAGES).where(MESSAGES.c.status == PENDING,
                                        MESSAGES.c.next_attempt_ns <= now_ns)
                 .order_by(MESSAGES.c.next_attempt_ns, MESSAGES.c.created_ns).limit(limit))
        if endpoint_ids is not None:
            query = query.where(MESSAGES.c.endpoint_id.in_(list(endpoint_ids)))
        with self._gw.read("reading due webhook messages") as conn:
            return [_message(r) for r in conn.execute(query)]

    def next_due_ns(self) -> int | None:
        query = select(func.min(MESSAGES.c.next_attempt_ns)).where(
            MESSAGES.c.status == PENDING)
        with self._gw.read("reading the next webhook attempt") as conn:
            value = conn.execute(query).scalar()
        return None if value is None else int(value)

    def record(self, outcomes: Iterable[AttemptOutcome]) -> None:
        """Attempts and the state they leave their messages in, in one transaction."""
        outcomes = list(outcomes)
        if not outcomes:
            return
        with self._gw.begin(f"recording {len(outcomes)} webhook attempts") as conn:
            conn.execute(insert(ATTEMPTS), [_attempt_row(o.attempt) for o in outcomes])
            for o in outcomes:
                a = o.attempt
                conn.execute(update(MESSAGES).where(MESSAGES.c.msg_id == a.msg_id).values(
                    status=o.status, attempts=a.attempt, next_attempt_ns=o.next_attempt_ns,
                    last_status_code=a.status_code, last_error=a.error,
                    delivered_ns=a.ts_ns if a.status_code is not None
                    and 200 <= a.status_code < 300 else None))

    def redeliver(self, msg_id: str, now_ns: int) -> bool:
        """Send a message again (delivered or failed): its retry schedule starts afresh."""
        query = (update(MESSAGES).where(MESSAGES.c.msg_id == msg_id)
                 .values(status=PENDING, attempts=0, next_attempt_ns=now_ns))
        with self._gw.begin(f"redelivering webhook message {msg_id}") as conn:
            return bool(conn.execute(query).rowcount)

    def message(self, msg_id: str) -> OutboxMessage | None:
        query = select(MESSAGES).where(MESSAGES.c.msg_id == msg_id)
        with self._gw.read(f"reading webhook message {msg_id}") as conn:
            row = conn.execute(query).first()
        return None if row is None else _message(row)

    def messages(self, endpoint_id: str | None = None, status: str | None = None,
                 event_type: str | None = None, limit: int = 200) -> list[OutboxMessage]:
        """Newest first."""
        query = select(MESSAGES).order_by(MESSAGES.c.created_ns.desc(),
                                          MESSAGES.c.msg_id.desc()).limit(limit)
        if endpoint_id is not None:
            query = query.where(MESSAGES.c.endpoint_id == endpoint_id)
        if status is not None:
            query = query.where(MESSAGES.c.status == status)
        if event_type is not None:
            query = query.where(MESSAGES.c.event_type == event_type)
        with self._gw.read("listing webhook messages") as conn:
            return [_message(r) for r in conn.execute(query)]

    def attempts(self, msg_id: str | None = None, endpoint_id: str | None = None,
                 limit: int = 200) -> list[DeliveryAttempt]:
        """Newest first."""
        query = select(ATTEMPTS).order_by(ATTEMPTS.c.ts_ns.desc(),
                                          ATTEMPTS.c.id.desc()).limit(limit)
        if msg_id is not None:
            query = query.where(ATTEMPTS.c.msg_id == msg_id)
        if endpoint_id is not None:
            query = query.where(ATTEMPTS.c.endpoint_id == endpoint_id)
        with self._gw.read("listing webhook attempts") as conn:
            return [_attempt(r) for r in conn.execute(query)]

    def counts(self) -> dict[str, int]:
        query = select(MESSAGES.c.status, func.count()).group_by(MESSAGES.c.status)
        with self._gw.read("counting webhook messages") as conn:
            return {str(s): int(n) for s, n in conn.execute(query)}


def _endpoint_row(r: EndpointRecord) -> dict[str, object]:
    return {"endpoint_id": r.endpoint_id, "url": r.url, "events": list(r.events),
            "description": r.description, "enabled": r.enabled,
            "disabled_reason": r.disabled_reason, "max_concurrency": r.max_concurrency,
            "timeout_s": r.timeout_s, "created_ns": r.created_ns, "updated_ns": r.updated_ns,
            "previous_secret_until_ns": r.previous_secret_until_ns}


def _endpoint(row: Row[Any]) -> EndpointRecord:
    return EndpointRecord(row.endpoint_id, row.url, tuple(row.events or ()), row.description,
                          bool(row.enabled), row.disabled_reason, int(row.max_concurrency),
                          float(row.timeout_s), row.created_ns, row.updated_ns,
                          row.previous_secret_until_ns)


def _message_row(m: OutboxMessage) -> dict[str, object]:
    return {"msg_id": m.msg_id, "endpoint_id": m.endpoint_id, "event_type": m.event_type,
            "body": m.body, "created_ns": m.created_ns, "status": m.status,
            "attempts": m.attempts, "next_attempt_ns": m.next_attempt_ns,
            "last_status_code": m.last_status_code, "last_error": m.last_error,
            "delivered_ns": m.delivered_ns}


def _message(row: Row[Any]) -> OutboxMessage:
    return OutboxMessage(row.msg_id, row.endpoint_id, row.event_type, row.body,
                         row.created_ns, row.status, int(row.attempts), row.next_attempt_ns,
                         row.last_status_code, row.last_error, row.delivered_ns)


def _attempt_row(a: DeliveryAttempt) -> dict[str, object]:
    return {"msg_id": a.msg_id, "endpoint_id": a.endpoint_id, "attempt": a.attempt,
            "ts_ns": a.ts_ns, "status_code": a.status_code, "latency_ms": a.latency_ms,
            "error": a.error, "response_excerpt": a.response_excerpt,
            "next_attempt_ns": a.next_attempt_ns}


def _attempt(row: Row[Any]) -> DeliveryAttempt:
    return DeliveryAttempt(row.msg_id, row.endpoint_id, int(row.attempt), row.ts_ns,
                           row.status_code, float(row.latency_ms), row.error,
                           row.response_excerpt, row.next_attempt_ns, int(row.id))
