"""Request and answer bodies of the webhook management routes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from terminal.persistence.webhook_records import (
    DeliveryAttempt,
    EndpointRecord,
    HookRecord,
    HookRequest,
    OutboxMessage,
)


class EndpointIn(BaseModel):
    url: str = Field(max_length=2000)
    events: list[str] = Field(min_length=1, max_length=50)
    description: str = Field("", max_length=200)
    max_concurrency: int | None = Field(None, ge=1, le=64)
    timeout_s: float | None = Field(None, gt=0, le=60)


class EndpointChange(BaseModel):
    url: str | None = Field(None, max_length=2000)
    events: list[str] | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=200)
    enabled: bool | None = None
    max_concurrency: int | None = Field(None, ge=1, le=64)
    timeout_s: float | None = Field(None, gt=0, le=60)


class EndpointOut(BaseModel):
    endpoint_id: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    max_concurrency: int
    timeout_s: float
    created_ns: int
    rotating_until_ns: int | None

    @classmethod
    def of(cls, r: EndpointRecord) -> EndpointOut:
        return cls(endpoint_id=r.endpoint_id, url=r.url, events=list(r.events),
                   description=r.description, enabled=r.enabled,
                   disabled_reason=r.disabled_reason, max_concurrency=r.max_concurrency,
                   timeout_s=r.timeout_s, created_ns=r.created_ns,
                   rotating_until_ns=r.previous_secret_until_ns)


class EndpointCreated(EndpointOut):
    secret: str  # shown in this answer only


class SecretOut(BaseModel):
    endpoint_id: str
    secret: str


class MessageOut(BaseModel):
    msg_id: str
    endpoint_id: str
    event_type: str
    status: str
    attempts: int
    created_ns: int
    next_attempt_ns: int | None
    last_status_code: int | None
    last_error: str | None
    delivered_ns: int | None

    @classmethod
    def of(cls, m: OutboxMessage) -> MessageOut:
        return cls(msg_id=m.msg_id, endpoint_id=m.endpoint_id, event_type=m.event_type,
                   status=m.status, attempts=m.attempts, created_ns=m.created_ns,
                   next_attempt_ns=m.next_attempt_ns, last_status_code=m.last_status_code,
                   last_error=m.last_error, delivered_ns=m.delivered_ns)


class AttemptOut(BaseModel):
    msg_id: str
    endpoint_id: str
    attempt: int
    ts_ns: int
    status_code: int | None
    latency_ms: float
    error: str | None
    response_excerpt: str | None
    next_attempt_ns: int | None

    @classmethod
    def of(cls, a: DeliveryAttempt) -> AttemptOut:
        return cls(msg_id=a.msg_id, endpoint_id=a.endpoint_id, attempt=a.attempt,
                   ts_ns=a.ts_ns, status_code=a.status_code, latency_ms=a.latency_ms,
                   error=a.error, response_excerpt=a.response_excerpt,
                   next_attempt_ns=a.next_attempt_ns)


class MessageQueued(BaseModel):
    msg_id: str


class HookIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    auth: Literal["secret", "standard"] = "secret"
    template: dict[str, Any] = Field(default_factory=dict)
    secret: str | None = Field(None, min_length=8, max_length=200)
    tolerance_s: int = Field(300, ge=5, le=86_400)


class HookOut(BaseModel):
    hook_id: str
    name: str
    auth: str
    template: dict[str, Any]
    enabled: bool
    tolerance_s: int
    created_ns: int
    path: str

    @classmethod
    def of(cls, r: HookRecord) -> HookOut:
        return cls(hook_id=r.hook_id, name=r.name, auth=r.auth, template=r.template,
                   enabled=r.enabled, tolerance_s=r.tolerance_s, created_ns=r.created_ns,
                   path=f"/hooks/{r.hook_id}")


class HookCreated(HookOut):
    secret: str  # shown in this answer only


class HookRequestOut(BaseModel):
    id: int
    hook_id: str
    ts_ns: int
    status_code: int
    outcome: str
    detail: str
    message_id: str | None
    client_order_id: str | None
    remote: str | None

    @classmethod
    def of(cls, r: HookRequest) -> HookRequestOut:
        return cls(id=r.id, hook_id=r.hook_id, ts_ns=r.ts_ns, status_code=r.status_code,
                   outcome=r.outcome, detail=r.detail, message_id=r.message_id,
                   client_order_id=r.client_order_id, remote=r.remote)


class HookAccepted(BaseModel):
    status: str
    request_id: int
    kind: str
    client_order_id: str | None
