"""The webhooks of a running terminal: the outbound dispatcher and its bus bridge, the
inbound receiver, and the management the API routes, the panel and the CLI share.

Management calls touch the database and the keyring: call them off the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from local_api.webhooks.config import WebhookSettings
from local_api.webhooks.dispatcher import Dispatcher
from local_api.webhooks.events import BusBridge, valid_filter
from local_api.webhooks.keys import WebhookKeys
from local_api.webhooks.receiver import Receiver
from local_api.webhooks.signing import new_secret
from local_api.webhooks.template import check_template
from terminal import __version__
from terminal.persistence.repositories import HookRepository, WebhookRepository
from terminal.persistence.webhook_records import EndpointRecord, HookRecord

if TYPE_CHECKING:
    from terminal.app import Engine

log = logging.getLogger(__name__)
PRUNE_EVERY_S = 3600.0
AUTH_MODES = ("secret", "standard")


class WebhookConfigError(ValueError):
    """A refused endpoint or hook setting; the text names the field."""


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookConfigError(f"url: {url[:80]!r} is not an http(s) URL")
    return url.strip()


def check_events(events: list[str]) -> tuple[str, ...]:
    if not events:
        raise WebhookConfigError("events: name at least one (e.g. order.*, fill or *)")
    bad = [e for e in events if not valid_filter(e)]
    if bad:
        raise WebhookConfigError(f"events: {', '.join(bad)} match no event type")
    return tuple(events)


class EndpointAdmin:
    """Endpoints and their secrets, without a running dispatcher (the CLI uses this)."""

    def __init__(self, repo: WebhookRepository, keys: WebhookKeys,
                 settings: WebhookSettings) -> None:
        self.repo = repo
        self.keys = keys
        self.settings = settings

    def add(self, url: str, events: list[str], description: str = "",
            max_concurrency: int | None = None, timeout_s: float | None = None
            ) -> tuple[EndpointRecord, str]:
        """A new endpoint and its secret (shown once; kept in the keyring only)."""
        now = time.time_ns()
        record = EndpointRecord(
            f"ep_{secrets.token_hex(6)}", check_url(url), check_events(events),
            description[:200], True, None,
            max_concurrency or self.settings.max_concurrency,
            timeout_s or self.settings.timeout_s, now, now)
        if not 1 <= record.max_concurrency <= 64 or not 0 < record.timeout_s <= 60:
            raise WebhookConfigError("max_concurrency is 1..64 and timeout_s 0..60")
        secret = new_secret()
        self.keys.set_signing(record.endpoint_id, secret, keep_previous=False)
        self.repo.add_endpoint(record)
        return record, secret

    def update(self, endpoint_id: str, **changes: Any) -> EndpointRecord | None:
        if "url" in changes:
            changes["url"] = check_url(changes["url"])
        if "events" in changes:
            changes["events"] = check_events(list(changes["events"]))
        if changes.get("enabled") is True:
            changes["disabled_reason"] = None
        if changes and not self.repo.update_endpoint(endpoint_id, time.time_ns(), **changes):
            return None
        return self.repo.endpoint(endpoint_id)

    def rotate(self, endpoint_id: str) -> str | None:
        """A new secret; the old one signs too for `rotation_overlap_s`."""
        if self.repo.endpoint(endpoint_id) is None:
            return None
        secret = new_secret()
        self.keys.set_signing(endpoint_id, secret, keep_previous=True)
        until = time.time_ns() + int(self.settings.rotation_overlap_s * 1e9)
        self.repo.update_endpoint(endpoint_id, time.time_ns(), previous_secret_until_ns=until)
        return secret

    def remove(self, endpoint_id: str) -> bool:
        if not self.repo.remove_endpoint(endpoint_id):
            return False
        self.keys.drop_signing(endpoint_id)
        return True


class HookAdmin:
    def __init__(self, repo: HookRepository, keys: WebhookKeys) -> None:
        self.repo = repo
        self.keys = keys

    def add(self, name: str, auth: str, template: dict[str, Any], secret: str | None = None,
            tolerance_s: int = 300) -> tuple[HookRecord, str]:
        if auth not in AUTH_MODES:
            raise WebhookConfigError("auth: secret (TradingView) or standard (signed)")
        try:
            check_template(template)
        except ValueError as exc:
            raise WebhookConfigError(str(exc)) from None
        if not name.strip() or len(name) > 64:
            raise WebhookConfigError("name: 1 to 64 characters")
        if auth == "standard":
            secret = secret or new_secret()
        elif secret is None:
            secret = secrets.token_urlsafe(24)
        elif len(secret) < 8:
            raise WebhookConfigError("secret: at least 8 characters")
        record = HookRecord(f"hk_{secrets.token_hex(8)}", name.strip(), auth, template,
                            True, tolerance_s, time.time_ns())
        self.keys.set_hook(record.hook_id, secret)
        self.repo.add(record)
        return record, secret

    def remove(self, hook_id: str) -> bool:
        if not self.repo.remove(hook_id):
            return False
        self.keys.drop_hook(hook_id)
        return True


class Webhooks:
    def __init__(self, engine: Engine, settings: WebhookSettings,
                 keys: WebhookKeys | None = None) -> None:
        assert engine.db is not None
        self.engine = engine
        self.settings = settings
        self.keys = keys or WebhookKeys()
        self.repo = engine.db.webhooks
        self._seen = engine.db.hooks
        self.endpoints = EndpointAdmin(engine.db.webhooks, self.keys, settings)
        self.hooks = HookAdmin(engine.db.hooks, self.keys)
        self.dispatcher = Dispatcher(engine.db.webhooks, self.keys, settings)
        self.receiver = Receiver(engine, self.keys, settings)
        self.bridge = BusBridge(engine.bus, self.dispatcher.publish,
                                engine.risk.on_kill_switch)
        self._ticker: asyncio.Task[None] | None = None
        self.running = False

    async def start(self) -> None:
        await self.dispatcher.start()
        self.bridge.start()
        self.dispatcher.publish("system.started", {"version": __version__})
        self._ticker = asyncio.get_running_loop().create_task(self._tick(), name="webhooks")
        self.running = True

    async def _tick(self) -> None:
        """Hourly housekeeping: inbound message ids older than the replay window go."""
        while True:
            cutoff = time.time_ns() - self.settings.replay_window_s * 1_000_000_000
            try:
                await asyncio.to_thread(self._seen.forget_before, cutoff)
            except Exception as exc:  # housekeeping only
                log.warning("webhooks: pruning inbound ids failed: %s", exc)
            await asyncio.sleep(PRUNE_EVERY_S)

    async def stop(self) -> None:
        if not self.running:
            return
        self.running = False
        self.dispatcher.publish("system.stopping", {"version": __version__})
        self.bridge.stop()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        await self.dispatcher.stop()

    async def changed(self) -> None:
        """Endpoints were changed here: the dispatcher follows at once."""
        await self.dispatcher.reload()
        self.dispatcher.poll_soon()

    async def ping(self, endpoint_id: str) -> str | None:
        ids = self.dispatcher.publish("webhook.ping", {"endpoint_id": endpoint_id,
                                                       "message": "a test from the terminal"},
                                      only=endpoint_id)
        return ids[0] if ids else None

    async def redeliver(self, msg_id: str) -> bool:
        done = await asyncio.to_thread(self.repo.redeliver, msg_id, time.time_ns())
        if done:
            self.dispatcher.poll_soon()
        return done
