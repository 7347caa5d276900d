"""Outbound delivery: events go into the outbox (the database) in batches, off the loop;
each stored message is posted, signed, to its endpoint with httpx on the loop, at most
`max_concurrency` at once per endpoint and with a deadline per attempt; every attempt is
recorded (batched, off the loop) with what it leaves the message in.

At least once: a message is sent only after it is stored, and marked delivered only after
a 2xx; after a crash or a stop mid-delivery it is still pending and goes again (same
webhook-id) when the terminal next starts. Events published in the last few milliseconds
before a crash, not yet written, are lost with the process.

Nothing here blocks the loop or the code that publishes: publish() appends to a list.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections import deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import orjson

from local_api.webhooks.config import WebhookSettings
from local_api.webhooks.events import matches
from local_api.webhooks.keys import WebhookKeys
from local_api.webhooks.retry import next_delay_s, retry_after_s
from local_api.webhooks.signing import signature_header
from terminal import __version__
from terminal.model.numbers import plain
from terminal.persistence.repositories import WebhookRepository
from terminal.persistence.webhook_records import (
    DELIVERED,
    FAILED,
    PENDING,
    AttemptOutcome,
    DeliveryAttempt,
    EndpointRecord,
    OutboxMessage,
)

log = logging.getLogger(__name__)
USER_AGENT = f"trading-terminal-webhooks/{__version__}"
STOP_GRACE_S = 2.0


@dataclass
class Endpoint:
    record: EndpointRecord
    slots: asyncio.Semaphore
    secrets: list[str]


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return plain(value)
    return str(value)


def iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="microseconds") \
        .replace("+00:00", "Z")


def new_msg_id(now_ns: int) -> str:
    return f"msg_{now_ns:016x}{secrets.token_hex(6)}"


class Dispatcher:
    def __init__(self, repo: WebhookRepository, keys: WebhookKeys,
                 settings: WebhookSettings, rng: random.Random | None = None) -> None:
        self.repo = repo
        self.keys = keys
        self.settings = settings
        self.endpoints: dict[str, Endpoint] = {}
        self._rng = rng or random.Random()
        self._new: list[OutboxMessage] = []
        self._results: list[AttemptOutcome] = []
        self._release: list[str] = []  # in-flight ids to let go once their result is stored
        self._disable: list[tuple[str, str]] = []
        self._inflight: dict[str, OutboxMessage] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._targets: dict[str, list[str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # per endpoint: messages waiting for one of its `max_concurrency` workers. A burst
        # of thousands then costs a deque append each, not a task each in one loop turn
        self._queues: dict[str, deque[OutboxMessage]] = {}
        self._workers: dict[str, int] = {}
        self._wake: asyncio.Event | None = None
        self._poll_now = True
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self.enqueued = 0
        self.delivered = 0
        self.failed_attempts = 0
        self.errors = 0

    # lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._client = httpx.AsyncClient(
            follow_redirects=False, trust_env=False,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64))
        await self.reload()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="webhooks-out")

    async def stop(self) -> None:
        """Store what was published and give the attempts a moment (the last events, such
        as system.stopping, usually go out), then stop. An attempt cut short stays pending
        and goes again, with the same webhook-id, at the next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        try:
            await self._store(poll=False)
            if self._tasks:
                await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_S)
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._store(poll=False)
        except Exception as exc:  # the shutdown goes on; the outbox keeps what it has
            log.warning("webhooks: storing the last events failed: %s", exc)
        if self._client is not None:
            await self._client.aclose()

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    # endpoints ----------------------------------------------------------------------------
    async def reload(self) -> None:
        """Read the endpoints (and their secrets) again: changes from the API, the panel
        or the CLI."""
        records = await asyncio.to_thread(self.repo.endpoints)
        now = time.time_ns()

        def secrets_of() -> dict[str, list[str]]:
            return {r.endpoint_id: self.keys.signing(
                r.endpoint_id, (r.previous_secret_until_ns or 0) > now) for r in records}

        keys = await asyncio.to_thread(secrets_of)
        fresh: dict[str, Endpoint] = {}
        for r in records:
            old = self.endpoints.get(r.endpoint_id)
            same = old is not None and old.record.max_concurrency == r.max_concurrency
            slots = old.slots if old is not None and same else \
                asyncio.Semaphore(max(1, r.max_concurrency))
            fresh[r.endpoint_id] = Endpoint(r, slots, keys[r.endpoint_id])
        self.endpoints = fresh
        self._targets.clear()

    def poll_soon(self) -> None:
        self._poll_now = True
        if self._wake is not None:
            self._wake.set()

    # publishing ---------------------------------------------------------------------------
    def _targets_of(self, event_type: str) -> list[str]:
        found = self._targets.get(event_type)
        if found is None:
            found = self._targets[event_type] = [
                eid for eid, ep in self.endpoints.items()
                if ep.record.enabled and matches(ep.record.events, event_type)]
        return found

    def publish(self, event_type: str, data: Any, only: str | None = None) -> list[str]:
        """Queue an event for every endpoint that wants it (or only the one named).
        Returns the message ids."""
        if only is not None:
            targets = [only] if only in self.endpoints else []
        else:
            targets = self._targets_of(event_type)
        if not targets:
            return []
        now = time.time_ns()
        body = orjson.dumps({"type": event_type, "timestamp": iso(now), "data": data},
                            default=_default).decode()
        ids = []
        for eid in targets:
            msg = OutboxMessage(new_msg_id(now), eid, event_type, body, now,
                                next_attempt_ns=now)
            self._new.append(msg)
            ids.append(msg.msg_id)
        if self._wake is not None:
            self._wake.set()
        return ids

    # the loop -----------------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._wake is not None
        last_poll = 0.0
        loop = asyncio.get_running_loop()
        while True:
            # a timer rather than wait_for: on 3.11, cancelling wait_for can hang
            timer = loop.call_later(self.settings.poll_s, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                timer.cancel()
            self._wake.clear()
            poll = self._poll_now or time.monotonic() - last_poll >= self.settings.poll_s
            try:
                await self._store(poll)
            except Exception as exc:  # the database may be away for a while: try again
                self.errors += 1
                log.warning("webhooks: outbox unavailable: %s", exc)
                await asyncio.sleep(self.settings.poll_s)
                continue
            if poll:
                self._poll_now = False
                last_poll = time.monotonic()

    async def _store(self, poll: bool) -> None:
        if self._new:
            batch, self._new = self._new, []
            try:
                await asyncio.to_thread(self.repo.enqueue, batch)
            except BaseException:
                self._new[:0] = batch
                raise
            self.enqueued += len(batch)
            for msg in batch:
                self._launch(msg)
        if self._results or self._disable:
            results, self._results = self._results, []
            release, self._release = self._release, []
            disable, self._disable = self._disable, []
            try:
                await asyncio.to_thread(self._write_results, results, disable)
            except BaseException:
                self._results[:0] = results
                self._release[:0] = release
                self._disable[:0] = disable
                raise
            for msg_id in release:
                self._inflight.pop(msg_id, None)
        if poll:
            await self.reload()
            room = self.settings.max_in_flight - len(self._inflight)
            usable = [e for e, ep in self.endpoints.items() if ep.record.enabled]
            if room > 0 and usable:
                due = await asyncio.to_thread(
                    self.repo.due, time.time_ns(),
                    min(room, self.settings.batch) + len(self._inflight), usable)
                for msg in due:
                    self._launch(msg)

    def _write_results(self, results: list[AttemptOutcome],
                       disable: list[tuple[str, str]]) -> None:
        self.repo.record(results)
        for endpoint_id, reason in disable:
            self.repo.update_endpoint(endpoint_id, time.time_ns(), enabled=False,
                                      disabled_reason=reason)

    def _launch(self, msg: OutboxMessage) -> None:
        ep = self.endpoints.get(msg.endpoint_id)
        if ep is None or not ep.record.enabled or msg.msg_id in self._inflight or \
                len(self._inflight) >= self.settings.max_in_flight:
            return  # it waits in the outbox
        self._inflight[msg.msg_id] = msg
        self._spawn(ep, msg)

    def _spawn(self, ep: Endpoint, msg: OutboxMessage) -> None:
        endpoint_id = ep.record.endpoint_id
        queue = self._queues.setdefault(endpoint_id, deque())
        queue.append(msg)
        while self._workers.get(endpoint_id, 0) < max(1, ep.record.max_concurrency) \
                and len(queue) > self._workers.get(endpoint_id, 0):
            self._workers[endpoint_id] = self._workers.get(endpoint_id, 0) + 1
            task = asyncio.get_running_loop().create_task(self._work(endpoint_id))
            self._tasks.add(task)
            task.add_done_callback(self._done)

    async def _work(self, endpoint_id: str) -> None:
        queue = self._queues[endpoint_id]
        try:
            while queue:
                msg = queue.popleft()
                ep = self.endpoints.get(endpoint_id)
                if ep is None or not ep.record.enabled:
                    self._inflight.pop(msg.msg_id, None)  # stays pending in the outbox
                    continue
                await self._deliver(ep, msg)
        finally:
            self._workers[endpoint_id] -= 1

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.errors += 1
            log.error("webhook delivery failed", exc_info=task.exception())

    def _retry(self, msg_id: str) -> None:
        self._timers.pop(msg_id, None)
        msg = self._inflight.get(msg_id)
        if msg is None:
            return
        ep = self.endpoints.get(msg.endpoint_id)
        if ep is None or not ep.record.enabled:
            self._inflight.pop(msg_id, None)  # stays pending for when it is enabled again
            return
        self._spawn(ep, msg)

    # one attempt --------------------------------------------------------------------------
    async def _attempt(self, ep: Endpoint, msg: OutboxMessage
                       ) -> tuple[int | None, str | None, str | None, float | None]:
        assert self._client is not None
        body = msg.body.encode()
        stamp = int(time.time())
        headers = {"webhook-id": msg.msg_id, "webhook-timestamp": str(stamp),
                   "webhook-signature": signature_header(ep.secrets, msg.msg_id, stamp, body),
                   "content-type": "application/json", "user-agent": USER_AGENT}
        timeout = ep.record.timeout_s
        try:
            # a deadline for the whole attempt: httpx's timeouts are per read, and a
            # receiver trickling bytes would never reach them
            async with asyncio.timeout(timeout):
                answer = await self._client.post(ep.record.url, content=body, headers=headers,
                                                  timeout=timeout)
        except TimeoutError:
            return None, f"no answer within {timeout:g} s", None, None
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:200], None, None
        asked = retry_after_s(answer.headers.get("retry-after")) \
            if answer.status_code in (429, 503) else None
        excerpt = answer.text[:self.settings.excerpt_chars] if answer.content else None
        return answer.status_code, None, excerpt, asked

    async def _deliver(self, ep: Endpoint, msg: OutboxMessage) -> None:
        async with ep.slots:
            started = time.perf_counter()
            status, error, excerpt, asked = await self._attempt(ep, msg)
            latency_ms = (time.perf_counter() - started) * 1e3
        now = time.time_ns()
        number = msg.attempts + 1
        next_ns: int | None = None
        delay: float | None = None
        if status is not None and 200 <= status < 300:
            state = DELIVERED
            self.delivered += 1
        elif status == 410:
            state = FAILED
            error = "410 Gone: the endpoint is disabled"
            self._disable_endpoint(ep, "the receiver answered 410 Gone")
        else:
            self.failed_attempts += 1
            delay = next_delay_s(self.settings, number, asked, self._rng)
            state = FAILED if delay is None else PENDING
            if delay is not None:
                next_ns = now + int(delay * 1e9)
        attempt = DeliveryAttempt(msg.msg_id, msg.endpoint_id, number, now, status,
                                  round(latency_ms, 3), error, excerpt, next_ns)
        self._results.append(AttemptOutcome(attempt, state, next_ns))
        if delay is not None and delay <= 2 * self.settings.poll_s:
            self._inflight[msg.msg_id] = replace(msg, attempts=number, next_attempt_ns=next_ns)
            self._timers[msg.msg_id] = asyncio.get_running_loop().call_later(
                delay, self._retry, msg.msg_id)
        else:  # done, or a long wait: the outbox poll takes it up when it is due
            self._release.append(msg.msg_id)
        assert self._wake is not None
        self._wake.set()

    def _disable_endpoint(self, ep: Endpoint, reason: str) -> None:
        if not ep.record.enabled:
            return
        log.warning("webhook endpoint %s disabled: %s", ep.record.endpoint_id, reason)
        ep.record = replace(ep.record, enabled=False, disabled_reason=reason)
        self._targets.clear()
        self._disable.append((ep.record.endpoint_id, reason))
