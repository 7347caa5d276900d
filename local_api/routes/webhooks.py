"""Webhook management (admin scope): outbound endpoints (created with their secret shown
once, changed, rotated, pinged, removed), the delivery log and redelivery, inbound hooks
and their recent requests."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from local_api.auth import requires
from local_api.deps import off_loop
from local_api.problems import ApiProblem
from local_api.webhooks.events import EVENT_TYPES
from local_api.webhooks.schemas import (
    AttemptOut,
    EndpointChange,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    HookCreated,
    HookIn,
    HookOut,
    HookRequestOut,
    MessageOut,
    MessageQueued,
    SecretOut,
)
from local_api.webhooks.service import WebhookConfigError, Webhooks
from terminal.core.errors import TerminalError
from terminal.secrets import KeyringUnavailable

router = APIRouter(tags=["webhooks"])
admin = Depends(requires("admin"))
Status = Literal["pending", "delivered", "failed"]


def _hooks(request: Request) -> Webhooks:
    webhooks: Webhooks = request.app.state.webhooks
    return webhooks


def _refused(exc: Exception) -> ApiProblem:
    if isinstance(exc, KeyringUnavailable):
        return ApiProblem("keyring-unavailable", str(exc))
    if isinstance(exc, WebhookConfigError):
        return ApiProblem("validation-error", str(exc))
    return ApiProblem("unavailable", str(exc))


@router.get("/webhooks/event-types", response_model=list[str], dependencies=[admin])
async def event_types() -> list[str]:
    """The event types an endpoint can subscribe to (filters take * wildcards)."""
    return list(EVENT_TYPES)


@router.get("/webhooks/endpoints", response_model=list[EndpointOut], dependencies=[admin])
async def list_endpoints(request: Request) -> list[EndpointOut]:
    return [EndpointOut.of(r) for r in await off_loop(_hooks(request).repo.endpoints)]


@router.post("/webhooks/endpoints", response_model=EndpointCreated, status_code=201,
             dependencies=[admin])
async def add_endpoint(request: Request, body: EndpointIn) -> EndpointCreated:
    """Subscribe a URL to events. The signing secret (whsec_...) is in this answer only."""
    hooks = _hooks(request)
    try:
        record, secret = await off_loop(hooks.endpoints.add, body.url, body.events,
                                        body.description, body.max_concurrency,
                                        body.timeout_s)
    except (WebhookConfigError, TerminalError) as exc:
        raise _refused(exc) from None
    await hooks.changed()
    return EndpointCreated(**EndpointOut.of(record).model_dump(), secret=secret)


@router.patch("/webhooks/endpoints/{endpoint_id}", response_model=EndpointOut,
              dependencies=[admin])
async def change_endpoint(request: Request, endpoint_id: str,
                          body: EndpointChange) -> EndpointOut:
    """Change the URL, events, description, limits, or switch it on and off."""
    hooks = _hooks(request)
    changes = body.model_dump(exclude_none=True)
    try:
        record = await off_loop(lambda: hooks.endpoints.update(endpoint_id, **changes))
    except WebhookConfigError as exc:
        raise _refused(exc) from None
    if record is None:
        raise ApiProblem("not-found", f"no webhook endpoint {endpoint_id}")
    await hooks.changed()
    return EndpointOut.of(record)


@router.delete("/webhooks/endpoints/{endpoint_id}", status_code=204, dependencies=[admin])
async def remove_endpoint(request: Request, endpoint_id: str) -> None:
    """Remove the endpoint, its secret and its undelivered messages (the log stays)."""
    hooks = _hooks(request)
    if not await off_loop(hooks.endpoints.remove, endpoint_id):
        raise ApiProblem("not-found", f"no webhook endpoint {endpoint_id}")
    await hooks.changed()


@router.post("/webhooks/endpoints/{endpoint_id}/rotate-secret", response_model=SecretOut,
             dependencies=[admin])
async def rotate_secret(request: Request, endpoint_id: str) -> SecretOut:
    """A new secret (in this answer only); the old one also signs for a day."""
    hooks = _hooks(request)
    try:
        secret = await off_loop(hooks.endpoints.rotate, endpoint_id)
    except TerminalError as exc:
        raise _refused(exc) from None
    if secret is None:
        raise ApiProblem("not-found", f"no webhook endpoint {endpoint_id}")
    hooks.keys.forget()
    await hooks.changed()
    return SecretOut(endpoint_id=endpoint_id, secret=secret)


@router.post("/webhooks/endpoints/{endpoint_id}/test", response_model=MessageQueued,
             status_code=202, dependencies=[admin])
async def ping(request: Request, endpoint_id: str) -> MessageQueued:
    """Send a `webhook.ping` event to the endpoint (through the outbox, logged)."""
    msg_id = await _hooks(request).ping(endpoint_id)
    if msg_id is None:
        raise ApiProblem("not-found", f"no webhook endpoint {endpoint_id}")
    return MessageQueued(msg_id=msg_id)


@router.get("/webhooks/deliveries", response_model=list[MessageOut], dependencies=[admin])
async def deliveries(request: Request,
                     endpoint_id: Annotated[str | None, Query(max_length=32)] = None,
                     status: Status | None = None,
                     event_type: Annotated[str | None, Query(max_length=64)] = None,
                     limit: Annotated[int, Query(ge=1, le=5000)] = 200) -> list[MessageOut]:
    """Messages newest first, with their state and last answer."""
    found = await off_loop(_hooks(request).repo.messages, endpoint_id, status, event_type,
                           limit)
    return [MessageOut.of(m) for m in found]


@router.get("/webhooks/attempts", response_model=list[AttemptOut], dependencies=[admin])
async def attempts(request: Request,
                   msg_id: Annotated[str | None, Query(max_length=40)] = None,
                   endpoint_id: Annotated[str | None, Query(max_length=32)] = None,
                   limit: Annotated[int, Query(ge=1, le=5000)] = 200) -> list[AttemptOut]:
    """Every attempt newest first: status code, latency, response excerpt, next retry."""
    found = await off_loop(_hooks(request).repo.attempts, msg_id, endpoint_id, limit)
    return [AttemptOut.of(a) for a in found]


@router.post("/webhooks/deliveries/{msg_id}/redeliver", response_model=MessageQueued,
             status_code=202, dependencies=[admin])
async def redeliver(request: Request, msg_id: str) -> MessageQueued:
    """Send a message again (same webhook-id), whatever its state."""
    if not await _hooks(request).redeliver(msg_id):
        raise ApiProblem("not-found", f"no webhook message {msg_id}")
    return MessageQueued(msg_id=msg_id)


@router.get("/webhooks/inbound", response_model=list[HookOut], dependencies=[admin])
async def list_hooks(request: Request) -> list[HookOut]:
    return [HookOut.of(r) for r in await off_loop(_hooks(request).hooks.repo.all)]


@router.post("/webhooks/inbound", response_model=HookCreated, status_code=201,
             dependencies=[admin])
async def add_hook(request: Request, body: HookIn) -> HookCreated:
    """Create an inbound hook at /hooks/<hook_id>. Its secret is in this answer only."""
    try:
        record, secret = await off_loop(_hooks(request).hooks.add, body.name, body.auth,
                                        body.template, body.secret, body.tolerance_s)
    except (WebhookConfigError, TerminalError) as exc:
        raise _refused(exc) from None
    return HookCreated(**HookOut.of(record).model_dump(), secret=secret)


@router.delete("/webhooks/inbound/{hook_id}", status_code=204, dependencies=[admin])
async def remove_hook(request: Request, hook_id: str) -> None:
    if not await off_loop(_hooks(request).hooks.remove, hook_id):
        raise ApiProblem("not-found", f"no hook {hook_id}")


@router.get("/webhooks/inbound/{hook_id}/requests", response_model=list[HookRequestOut],
            dependencies=[admin])
async def hook_requests(request: Request, hook_id: str,
                        limit: Annotated[int, Query(ge=1, le=5000)] = 200
                        ) -> list[HookRequestOut]:
    """What the hook received, newest first, with each request's outcome."""
    found = await off_loop(_hooks(request).hooks.repo.requests, hook_id, limit)
    return [HookRequestOut.of(r) for r in found]
