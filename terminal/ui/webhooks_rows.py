"""What the webhooks panel shows, from the webhook records. Pure functions: no Qt.

Times are UTC text (sorts as the times do). No secret ever reaches a row: records carry
none (they live in the keyring).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from terminal.persistence.webhook_records import (
    EndpointRecord,
    HookRecord,
    HookRequest,
    OutboxMessage,
)
from terminal.ui.rows import clock

Keyed = list[tuple[object, tuple[Any, ...]]]

ENDPOINT_HEADERS = ("Id", "URL", "Events", "State", "Concurrency", "Timeout s",
                    "Secret rotation", "Description")
DELIVERY_HEADERS = ("Created", "Message", "Endpoint", "Event", "Status", "Attempts",
                    "Last answer", "Next try", "Delivered")
HOOK_HEADERS = ("Name", "Id", "Auth", "Path", "State", "Created")
REQUEST_HEADERS = ("Time", "Status", "Outcome", "Detail", "Message id", "Client order id",
                   "From")
STATUS_FILTERS = ("all", "pending", "delivered", "failed")
ALL = "all"


def endpoint_state(r: EndpointRecord) -> str:
    if r.enabled:
        return "enabled"
    return f"disabled: {r.disabled_reason}" if r.disabled_reason else "disabled"


def endpoint_rows(records: Iterable[EndpointRecord], now_ns: int) -> Keyed:
    return [(r.endpoint_id, (
        r.endpoint_id, r.url, ", ".join(r.events), endpoint_state(r), r.max_concurrency,
        r.timeout_s,
        f"old secret signs until {clock(r.previous_secret_until_ns)}"
        if r.previous_secret_until_ns and r.previous_secret_until_ns > now_ns else "",
        r.description)) for r in records]


def last_answer(m: OutboxMessage) -> str:
    if m.last_status_code is not None:
        return str(m.last_status_code)
    return m.last_error or ""


def delivery_rows(messages: Iterable[OutboxMessage]) -> Keyed:
    return [(m.msg_id, (
        clock(m.created_ns), m.msg_id, m.endpoint_id, m.event_type, m.status, m.attempts,
        last_answer(m), clock(m.next_attempt_ns or 0) if m.status == "pending" else "",
        clock(m.delivered_ns or 0))) for m in messages]


def hook_rows(records: Iterable[HookRecord]) -> Keyed:
    return [(r.hook_id, (r.name, r.hook_id, r.auth, f"/hooks/{r.hook_id}",
                         "enabled" if r.enabled else "disabled", clock(r.created_ns)))
            for r in records]


def request_rows(requests: Iterable[HookRequest]) -> Keyed:
    return [(r.id, (clock(r.ts_ns), r.status_code, r.outcome, r.detail, r.message_id or "",
                    r.client_order_id or "", r.remote or "")) for r in requests]


def status_filter(text: str) -> str | None:
    return None if text == ALL else text


def outbox_text(counts: dict[str, int], in_flight: int, delivered: int) -> str:
    parts = [f"{counts.get(s, 0):,} {s}" for s in ("pending", "delivered", "failed")]
    return (f"Outbox: {', '.join(parts)} · in flight {in_flight} · "
            f"delivered this session {delivered:,}")
