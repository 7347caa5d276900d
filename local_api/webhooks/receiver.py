"""Inbound hooks: `POST /hooks/<hook_id>` checked (rate, size, media type, secret or
signature, timestamp, replay), mapped by the hook's template, answered 202 at once; the
order then takes the one order path (risk engine, order manager, broker) and the request's
log entry gets its outcome. Every request is logged, refused ones too, without its body."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from local_api.problems import ApiProblem
from local_api.ratelimit import RateLimiter
from local_api.settings import Tier
from local_api.webhooks.config import WebhookSettings
from local_api.webhooks.keys import WebhookKeys
from local_api.webhooks.signing import SignatureError, verify
from local_api.webhooks.template import AlertError, Intent, intent, parse_body
from terminal.core.errors import InstrumentError, OrderError, RiskRejected
from terminal.core.topics import Kind
from terminal.model.ids import InstrumentId
from terminal.model.orders import Side
from terminal.model.signals import Signal
from terminal.persistence.webhook_records import HookRecord, HookRequest
from terminal.services.order_request import OrderRequest

if TYPE_CHECKING:
    from terminal.app import Engine

log = logging.getLogger(__name__)
MEDIA = ("application/json", "text/plain")


@dataclass(frozen=True, slots=True)
class Inbound:
    hook_id: str
    body: bytes
    media: str
    query_secret: str | None
    headers: dict[str, str]
    remote: str | None


def _refuse(slug: str, detail: str) -> ApiProblem:
    return ApiProblem(slug, detail)


class Receiver:
    def __init__(self, engine: Engine, keys: WebhookKeys, settings: WebhookSettings) -> None:
        assert engine.db is not None
        self.engine = engine
        self.repo = engine.db.hooks
        self.keys = keys
        self.settings = settings
        self.limiter = RateLimiter({"hooks": Tier(settings.hook_rate, settings.hook_burst)})
        self.handled = 0

    async def handle(self, request: Inbound) -> dict[str, Any]:
        """The 202 answer's body, or ApiProblem; logged either way."""
        now = time.time_ns()
        try:
            hook, found = await self._check(request, now)
        except ApiProblem as problem:
            await asyncio.to_thread(self.repo.log, HookRequest(
                request.hook_id[:32], now, problem.status, problem.slug,
                problem.detail or "", remote=request.remote))
            raise
        client_id = found.client_id or (_derived_id(hook.hook_id, found.message_id)
                                        if found.message_id else None)
        request_id = await asyncio.to_thread(self.repo.log, HookRequest(
            hook.hook_id, now, 202, "accepted", f"{found.kind} {found.action} "
            f"{found.instrument}", found.message_id, client_id, request.remote))
        self.handled += 1
        self.engine.tasks.spawn(self._carry_out(hook, found, client_id, request_id),
                                f"hook:{hook.hook_id}")
        return {"status": "accepted", "request_id": request_id, "kind": found.kind,
                "client_order_id": client_id}

    async def _check(self, request: Inbound, now: int) -> tuple[HookRecord, Intent]:
        decision = self.limiter.take(request.hook_id, "hooks")
        if not decision.allowed:
            raise ApiProblem("rate-limited", f"hook {request.hook_id[:32]} takes "
                             f"{self.settings.hook_rate:g} requests per second; retry in "
                             f"{decision.retry_after_s} s",
                             headers={"Retry-After": str(decision.retry_after_s)})
        hook = await asyncio.to_thread(self.repo.get, request.hook_id[:32])
        if hook is None:
            raise _refuse("not-found", f"no hook {request.hook_id[:32]}")
        if not hook.enabled:
            raise _refuse("hook-disabled", f"hook {hook.hook_id} is disabled")
        if len(request.body) > self.settings.max_body_bytes:
            raise _refuse("payload-too-large", f"the body has {len(request.body)} bytes; "
                          f"at most {self.settings.max_body_bytes}")
        if request.media not in MEDIA:
            raise _refuse("unsupported-media-type", f"Content-Type {request.media or '(none)'}"
                          " is refused; send application/json or text/plain")
        secret = await asyncio.to_thread(self.keys.hook, hook.hook_id)
        if secret is None:
            raise _refuse("hook-unauthorized", "the hook's secret is not in the keyring")
        message_id = self._signed(hook, request, secret, now) \
            if hook.auth == "standard" else None
        try:
            body = parse_body(request.body, request.media, hook.template)
            if hook.auth != "standard":
                self._shared_secret(hook, request, body, secret)
            found = intent(body, hook.template)
        except AlertError as exc:
            raise _refuse("hook-invalid", str(exc)) from None
        if message_id is not None:
            found = _with_message_id(found, message_id)
        elif found.timestamp_s is not None and \
                abs(now / 1e9 - found.timestamp_s) > hook.tolerance_s:
            raise _refuse("hook-stale", f"the alert's time is {int(now / 1e9 - found.timestamp_s)}"
                          f" s from now; the hook allows {hook.tolerance_s} s")
        self._known_instrument(found)
        if found.message_id is not None and not await asyncio.to_thread(
                self.repo.remember, hook.hook_id, found.message_id[:128], now):
            raise _refuse("hook-replayed", f"message {found.message_id[:60]!r} was already "
                          "accepted by this hook")
        return hook, found

    @staticmethod
    def _signed(hook: HookRecord, request: Inbound, secret: str, now: int) -> str:
        h = request.headers
        try:
            verify([secret], h.get("webhook-id"), h.get("webhook-timestamp"),
                   h.get("webhook-signature"), request.body, now / 1e9, hook.tolerance_s)
        except SignatureError as exc:
            raise _refuse("hook-stale" if exc.reason == "stale" else "hook-unauthorized",
                          str(exc)) from None
        return h["webhook-id"]

    @staticmethod
    def _shared_secret(hook: HookRecord, request: Inbound, body: dict[str, Any],
                       secret: str) -> None:
        where = hook.template.get("fields", {}).get("secret", "secret")
        given = request.query_secret if request.query_secret is not None else body.get(where)
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(),
                                                                 secret.encode()):
            raise _refuse("hook-unauthorized", "the secret (in the body's "
                          f"{where!r} field or the URL's ?secret=) is missing or wrong")

    def _known_instrument(self, found: Intent) -> None:
        try:
            iid = InstrumentId.parse(found.instrument)
        except InstrumentError as exc:
            raise _refuse("hook-invalid", f"instrument: {exc}") from None
        if self.engine.instruments.get(iid) is None:
            raise _refuse("hook-invalid", f"instrument: {iid} is not known here")

    async def _carry_out(self, hook: HookRecord, found: Intent, client_id: str | None,
                         request_id: int) -> None:
        outcome, detail = "signal", ""
        iid = InstrumentId.parse(found.instrument)
        if found.kind == "signal":
            price = float(found.price) if found.price is not None else 0.0
            ts = time.time_ns()
            self.engine.bus.emit(Kind.SIGNAL, str(iid), Signal(
                iid, Side(found.action), 1.0, f"hook {hook.name}"[:64], ts,
                f"hook:{hook.hook_id}"[:32], ts, price))
            detail = f"{found.action} {iid}"
        elif self.engine.orders is None:
            outcome, detail = "order_rejected", "the order path is not started"
        else:
            req = OrderRequest(iid, found.action, found.order_type, found.quantity or 0,
                               found.price if found.order_type == "limit" else None,
                               source=f"hook:{hook.hook_id}"[:32], client_order_id=client_id)
            try:
                order = await self.engine.orders.submit(req)
                outcome, detail = "order_placed", f"{order.client_order_id} " \
                    f"{order.status.value}"
            except RiskRejected as exc:
                outcome, detail = "order_rejected", f"{exc.reason}: {exc}"
            except OrderError as exc:
                outcome, detail = "order_rejected", str(exc)
        await asyncio.to_thread(self.repo.set_outcome, request_id, outcome, detail)


def _derived_id(hook_id: str, message_id: str) -> str:
    """The same alert id always makes the same client order id: a resent alert can never
    place a second order, also when the replay memory was pruned."""
    digest = hashlib.sha256(f"{hook_id}/{message_id}".encode()).hexdigest()[:20]
    return f"wh-{digest}"


def _with_message_id(found: Intent, message_id: str) -> Intent:
    return replace(found, message_id=message_id)
