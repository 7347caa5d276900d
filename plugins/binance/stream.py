"""A websocket that stays up: reconnects with jittered backoff, detects silence, rotates
old connections, and reports each state change.

- Dead TCP: websocket pings every `ping_interval_s`; no pong within the same time closes it.
- Silent stream (the venue keeps the socket but sends nothing, or stops answering): no
  message for `silence_timeout_s` counts as a stall; the connection is replaced.
- Binance closes every connection after 24 hours; `max_age_s` replaces a connection before
  that on our own terms (a fresh connection, then the books resync).
- Reconnects wait `Backoff.next_delay()`; the backoff resets once a connection has
  delivered a message, so a venue that accepts and drops at once is not hammered.

`on_open(ws)` runs on every (re)connection (subscribe there); `on_message(data, ts_ns)`
gets every frame with its receive time; `report(state, detail)` hears state changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from plugins.binance.backoff import Backoff


class StreamState(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    STALLED = "stalled"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


@dataclass(frozen=True)
class StreamSettings:
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    silence_timeout_s: float = 30.0
    ping_interval_s: float = 20.0
    open_timeout_s: float = 10.0
    max_age_s: float | None = None


OnOpen = Callable[[ClientConnection], Awaitable[None]]
OnMessage = Callable[[str | bytes, int], None]
Report = Callable[[StreamState, str], None]


class ResilientStream:
    def __init__(self, name: str, url: Callable[[], str], on_open: OnOpen,
                 on_message: OnMessage, settings: StreamSettings, report: Report,
                 backoff: Backoff | None = None) -> None:
        self.name = name
        self._url = url
        self._on_open = on_open
        self._on_message = on_message
        self.settings = settings
        self._report = report
        self.backoff = backoff or Backoff(settings.backoff_initial_s, settings.backoff_max_s)
        self._closing = False
        self._ws: ClientConnection | None = None
        self.state = StreamState.CONNECTING
        self.connects = 0
        self.reconnects = 0
        self.stalls = 0
        self.messages = 0
        self.last_error: str | None = None

    def _set(self, state: StreamState, detail: str = "") -> None:
        self.state = state
        self._report(state, detail)

    async def run(self) -> None:
        first = True
        while not self._closing:
            if not first:
                delay = self.backoff.next_delay()
                self.reconnects += 1
                self._set(StreamState.RECONNECTING,
                          f"{self.last_error or 'closed'}; retry in {delay:.2f}s")
                await asyncio.sleep(delay)
                if self._closing:
                    break
            first = False
            self._set(StreamState.CONNECTING, "")
            try:
                await self._session()
            except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake,
                    InvalidURI) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"[:200]
        self._set(StreamState.CLOSED, "")

    async def _session(self) -> None:
        s = self.settings
        async with connect(self._url(), ping_interval=s.ping_interval_s,
                           ping_timeout=s.ping_interval_s, open_timeout=s.open_timeout_s,
                           max_size=None, close_timeout=1) as ws:
            self._ws = ws
            self.connects += 1
            opened = time.monotonic()
            await self._on_open(ws)
            self._set(StreamState.LIVE, "")
            self.last_error = None
            got_any = False
            try:
                while not self._closing:
                    timeout = s.silence_timeout_s
                    if s.max_age_s is not None:
                        timeout = min(timeout, max(0.0, opened + s.max_age_s
                                                   - time.monotonic()))
                    try:
                        data = await asyncio.wait_for(ws.recv(), timeout)
                    except TimeoutError:
                        if s.max_age_s is not None and \
                                time.monotonic() - opened >= s.max_age_s:
                            self.last_error = "connection age limit: replaced"
                            return
                        self.stalls += 1
                        self.last_error = f"no message for {s.silence_timeout_s:g}s"
                        self._set(StreamState.STALLED, self.last_error)
                        return
                    self.messages += 1
                    if not got_any:
                        got_any = True
                        self.backoff.reset()
                    self._on_message(data, time.time_ns())
            finally:
                self._ws = None
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), 1)

    async def close(self) -> None:
        self._closing = True
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
