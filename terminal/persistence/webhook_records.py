"""Value types of the webhook tables: outbound endpoints, their outbox and delivery log,
inbound hooks and the requests they received. Secrets are never part of them: they live in
the keyring, named by the endpoint or hook id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"  # every attempt of the schedule failed; redeliver to try again


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    endpoint_id: str
    url: str
    events: tuple[str, ...]  # patterns: "order.*", "fill", "*"
    description: str = ""
    enabled: bool = True
    disabled_reason: str | None = None
    max_concurrency: int = 4
    timeout_s: float = 10.0
    created_ns: int = 0
    updated_ns: int = 0
    # during a secret rotation the previous secret signs too, until this time
    previous_secret_until_ns: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One event for one endpoint. `msg_id` is the webhook-id of every attempt; `body` is
    the exact JSON text that is signed and sent."""

    msg_id: str
    endpoint_id: str
    event_type: str
    body: str
    created_ns: int
    status: str = PENDING
    attempts: int = 0
    next_attempt_ns: int | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_ns: int | None = None


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    msg_id: str
    endpoint_id: str
    attempt: int
    ts_ns: int
    status_code: int | None  # None: no answer (timeout, refused connection)
    latency_ms: float
    error: str | None = None
    response_excerpt: str | None = None
    next_attempt_ns: int | None = None  # None: no retry follows
    id: int = 0


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """An attempt and what it changes on its message, written together."""

    attempt: DeliveryAttempt
    status: str
    next_attempt_ns: int | None


@dataclass(frozen=True, slots=True)
class HookRecord:
    """An inbound hook: POST /hooks/<hook_id>. `auth` is "secret" (TradingView style: the
    shared secret in the body or URL) or "standard" (Standard Webhooks signature headers).
    `template` maps the body's fields to an order intent or a signal."""

    hook_id: str
    name: str
    auth: str
    template: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    tolerance_s: int = 300
    created_ns: int = 0


@dataclass(frozen=True, slots=True)
class HookRequest:
    hook_id: str
    ts_ns: int
    status_code: int
    outcome: str  # accepted, order_placed, order_rejected, signal, or a problem slug
    detail: str = ""
    message_id: str | None = None
    client_order_id: str | None = None
    remote: str | None = None
    id: int = 0
