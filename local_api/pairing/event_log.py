"""The durable event log devices sync from (`GET /api/v1/sync?since=N`).

Orders, fills, positions, account, alerts, signals and risk events are appended in batches
off the loop, each with a growing sequence number. Events older than the retention window
are pruned; a device asking from before the oldest kept one is told to resync from
snapshots (the REST lists).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from local_api.stream import ROUTES
from terminal.core.bus import EventBus, Subscription
from terminal.core.topics import Kind, Topics
from terminal.persistence.repositories.pairing import PairingRepository

log = logging.getLogger(__name__)

KINDS = (Kind.ORDER, Kind.FILL, Kind.POSITION, Kind.ACCOUNT, Kind.ALERT, Kind.SIGNAL,
         Kind.RISK)
FLUSH_S = 0.25
RETENTION_S = 7 * 86400
PRUNE_EVERY_S = 3600.0


class DeviceEventLog:
    def __init__(self, bus: EventBus, repo: PairingRepository,
                 retention_s: float = RETENTION_S) -> None:
        self._bus = bus
        self._repo = repo
        self.retention_s = retention_s
        self._pending: list[tuple[int, str, str | None, dict[str, Any]]] = []
        self._subscriptions: list[Subscription] = []
        self._task: asyncio.Task[None] | None = None
        self._flushed = asyncio.Event()

    def start(self) -> None:
        for kind in KINDS:
            channel, convert = ROUTES[kind]

            def handle(topic: str, event: Any, channel: str = channel,
                       convert: Any = convert) -> None:
                _, _, key = topic.partition(".")
                data = convert(event)
                self._pending.append((time.time_ns(), channel, key or None,
                                      data if isinstance(data, dict) else {"value": data}))
            self._subscriptions.append(self._bus.subscribe(Topics.all(kind), handle))
        self._task = asyncio.get_running_loop().create_task(self._run(), name="device-log")

    async def stop(self) -> None:
        for sub in self._subscriptions:
            sub.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            try:
                await asyncio.to_thread(self._repo.append_events, batch)
            except Exception as exc:  # the log must never stop the terminal
                log.warning("device event log: %d events not stored: %s", len(batch), exc)

    async def _run(self) -> None:
        next_prune = 0.0
        while True:
            await asyncio.sleep(FLUSH_S)
            await self.flush()
            if time.monotonic() >= next_prune:
                next_prune = time.monotonic() + PRUNE_EVERY_S
                cutoff = time.time_ns() - int(self.retention_s * 1e9)
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self._repo.prune_events, cutoff)

    def page(self, since: int, limit: int) -> dict[str, Any]:
        oldest, head = self._repo.event_bounds()
        resync = bool(head) and since + 1 < oldest
        events = [] if resync else self._repo.events_after(since, limit)
        return {"events": [{"seq": e.seq, "ts_ns": e.ts_ns, "channel": e.channel,
                            "instrument": e.instrument, "data": e.data} for e in events],
                "head": head, "oldest": oldest,
                "next_since": head if resync else events[-1].seq if events else since,
                "resync": resync, "retention_s": self.retention_s}
