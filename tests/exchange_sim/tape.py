"""A venue's recorded frames played to its subscribers like a live feed, with faults.

The tape has one cursor for everybody (a live venue does not rewind for a late client):
a client that connects late, or reconnects after a drop, gets what is played from then on.
`limit` holds the cursor back (tests release frames step by step), `stall` stops sending
while keeping connections open, `lose(n)` drops the next n frames for everybody.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection


@dataclass(frozen=True, slots=True)
class Frame:
    recv_ts: float
    payload: bytes


def read_capture(path: Path) -> list[Frame]:
    """Inbound frames of a cryptofeed `.ws.` capture (header and outbound lines skipped)."""
    frames: list[Frame] = []
    with path.open("rb") as fh:
        for line in fh:
            if not line[:1].isdigit():
                continue
            stamp, sep, payload = line.rstrip(b"\r\n").partition(b": ")
            if sep:
                frames.append(Frame(float(stamp), payload))
    return frames


def read_rest_capture(path: Path) -> list[tuple[str, bytes]]:
    """`<url> -> <ts>: <body>` lines as (url, body)."""
    out: list[tuple[str, bytes]] = []
    for line in path.read_bytes().splitlines():
        url, sep, rest = line.partition(b" -> ")
        _stamp, sep2, body = rest.partition(b": ")
        if sep and sep2:
            out.append((url.decode(), body))
    return out


@dataclass(eq=False)
class Client:
    """One websocket connection with what it subscribed to and its own send queue."""

    ws: ServerConnection
    wants: Callable[[Any], bool] = lambda _frame: False
    opened: float = field(default_factory=time.monotonic)
    queue: asyncio.Queue[bytes | str | None] = field(default_factory=asyncio.Queue)
    info: dict[str, Any] = field(default_factory=dict)

    async def writer(self) -> None:
        while (item := await self.queue.get()) is not None:
            await self.ws.send(item.decode() if isinstance(item, bytes) else item)


class Tape:
    """Plays decoded frames (`item`s) to clients whose `wants(item)` is true."""

    def __init__(self, items: list[Any], payload: Callable[[Any], bytes],
                 on_play: Callable[[Any], bool] | None = None, pace_s: float = 0.0) -> None:
        self.items = items
        self._payload = payload
        self._on_play = on_play  # venue book upkeep; False: the frame is not sent
        self.pace_s = pace_s
        self.cursor = 0
        self.limit: int | None = None
        self.sent = 0
        self.clients: set[Client] = set()
        self._lose = 0
        self.drop_at: set[int] = set()  # positions never sent (a sequence gap)
        self._stalled = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.finished = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._play())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def release(self, limit: int | None) -> None:
        """Play up to item `limit` (None: to the end)."""
        self.limit = limit
        self._wake.set()

    def stall(self, stalled: bool = True) -> None:
        self._stalled = stalled
        self._wake.set()

    def lose(self, count: int) -> None:
        self._lose += count

    def at_limit(self) -> bool:
        return self.cursor >= (len(self.items) if self.limit is None else self.limit)

    async def _play(self) -> None:
        while True:
            while self._stalled or self.at_limit():
                if self.cursor >= len(self.items):
                    self.finished.set()
                self._wake.clear()
                await self._wake.wait()
            item = self.items[self.cursor]
            self.cursor += 1
            if self._on_play is not None and not self._on_play(item):
                continue
            if self._lose or self.cursor - 1 in self.drop_at:
                self._lose = max(0, self._lose - 1) if self._lose else 0
                continue
            data = self._payload(item)
            for client in list(self.clients):
                if client.wants(item):
                    client.queue.put_nowait(data)
                    self.sent += 1
            await asyncio.sleep(self.pace_s)

    def broadcast(self, data: bytes | str) -> None:
        for client in list(self.clients):
            client.queue.put_nowait(data)

    @contextlib.asynccontextmanager
    async def connected(self, client: Client) -> AsyncIterator[Client]:
        """A client on the tape for the body of the block; its writer runs beside."""
        self.clients.add(client)
        writer = asyncio.get_running_loop().create_task(client.writer())
        try:
            yield client
        finally:
            self.clients.discard(client)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
