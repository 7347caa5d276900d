"""What every streaming venue connector shares: frames decoded into the market data sink,
connection state published, and books that went stale resynced through a per-host budget.

Connection state goes on the bus as CONNECTION events (`{"plugin_id", "state", "detail"}`:
connecting, live, stalled, reconnecting, closed) and as SYSTEM events with a message, and is
in `stats()` for the connections panel. A bad frame becomes an InputProblem; the stream goes
on. When the engine marks one of our books stale (gap, checksum, crossed), `resync(iid)` runs
for it, at most once per instrument at a time, each through `HostGate.take()`.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from plugins.binance.hostgate import HostGate
from plugins.binance.stream import ResilientStream, StreamState
from plugins.replay.formats.common import RowError
from terminal.core.bus import Subscription
from terminal.core.topics import Kind
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.market import Bar, BookDelta, BookSnapshot, Quote, Trade
from terminal.plugin_host.base import DataClient, InputProblem, PluginContext

log = logging.getLogger(__name__)

MarketEvent = Quote | Trade | Bar | BookSnapshot | BookDelta
Decode = Callable[[int, bytes], Sequence[MarketEvent]]
NO_SNAPSHOT = "no snapshot yet"


class StreamingDataClient(DataClient):
    """Base of the venue data clients: subclasses build streams and implement `resync`."""

    plugin_id = "venue"

    def __init__(self, context: PluginContext, gate: HostGate) -> None:
        self._ctx = context
        self.gate = gate
        self.streams: list[ResilientStream] = []
        self.instrument_ids: set[InstrumentId] = set()
        self._subs: list[Subscription] = []
        self._resyncing: set[InstrumentId] = set()
        self._stop = asyncio.Event()
        self.resyncs = 0
        self.bad_frames = 0
        self.state = StreamState.CONNECTING.value
        self.detail = ""
        self.events = 0
        self._deliver: dict[type, Callable[[Any], None]] = {}

    # lifecycle ----------------------------------------------------------------------------
    async def connect(self) -> None:
        sink = self._ctx.market_data
        self._deliver = {BookDelta: sink.on_book_delta, Quote: sink.on_quote,
                         Trade: sink.on_trade, Bar: sink.on_bar,
                         BookSnapshot: sink.on_book_snapshot}
        self._stop.clear()
        self._subs = [self._ctx.bus.subscribe_kind(Kind.BOOK_STATUS, self._book_status)]

    async def run(self) -> None:
        if not self._deliver:  # run without connect (a broker's connector): connect first
            await self.connect()
        for instrument in await self.instruments():
            self._ctx.market_data.on_instrument(instrument)
        tasks = [asyncio.ensure_future(stream.run()) for stream in self.streams]
        try:
            await self._stop.wait()
        finally:
            for stream in self.streams:
                await stream.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def disconnect(self) -> None:
        for sub in self._subs:
            sub.cancel()
        self._subs = []
        self._stop.set()
        for stream in self.streams:
            await stream.close()

    async def instruments(self) -> list[Instrument]:
        """Instruments announced when `run` starts (none by default)."""
        return []

    async def subscribed_instruments(self, load: Callable[[], Awaitable[list[Instrument]]],
                                     what: str) -> list[Instrument]:
        """The venue's metadata for the subscribed instruments; none (logged) when it
        cannot be read: market data flows without it."""
        try:
            known = await load()
        except Exception as exc:
            log.warning("%s unavailable: %s", what, exc)
            return []
        return [i for i in known if i.id in self.instrument_ids]

    # frames -------------------------------------------------------------------------------
    def deliver(self, decode: Decode, data: str | bytes, ts_ns: int, source: str) -> None:
        payload = data.encode() if isinstance(data, str) else data
        try:
            events = decode(ts_ns, payload)
        except RowError as exc:
            self._bad(source, exc.reason, exc.field)
            return
        except KeyError as exc:
            self._bad(source, "missing field", str(exc.args[0])[:40])
            return
        except (ValueError, TypeError, IndexError, AttributeError, OverflowError) as exc:
            self._bad(source, str(exc)[:200], None)
            return
        deliver = self._deliver
        for event in events:
            self.events += 1
            deliver[type(event)](event)

    def _bad(self, source: str, reason: str, field: str | None) -> None:
        self.bad_frames += 1
        self._ctx.market_data.on_input_problem(InputProblem(source, self.bad_frames,
                                                            f"bad frame: {reason}", field))

    # state --------------------------------------------------------------------------------
    def report(self, stream: str) -> Callable[[StreamState, str], None]:
        def changed(state: StreamState, detail: str) -> None:
            self.state, self.detail = state.value, detail
            change = {"plugin_id": self.plugin_id, "state": state.value, "stream": stream,
                      "detail": detail}
            self._ctx.bus.emit(Kind.CONNECTION, self.plugin_id, change)
            if state in (StreamState.RECONNECTING, StreamState.STALLED, StreamState.LIVE):
                message = f"{self.plugin_id} {stream}: {state.value}" + \
                    (f" ({detail})" if detail else "")
                self._ctx.bus.emit(Kind.SYSTEM, self.plugin_id,
                                   {"source": self.plugin_id, "message": message})
                log.info("%s", message)
        return changed

    def stats(self) -> dict[str, Any]:
        return {"state": self.state, "detail": self.detail, "events": self.events,
                "bad_frames": self.bad_frames, "resyncs": self.resyncs,
                "connects": sum(s.connects for s in self.streams),
                "reconnects": sum(s.reconnects for s in self.streams),
                "stalls": sum(s.stalls for s in self.streams),
                "snapshot_pauses": len(self.gate.pauses)}

    # resync -------------------------------------------------------------------------------
    def _book_status(self, _topic: str, status: Any) -> None:
        iid = status.instrument_id
        if iid in self.instrument_ids and not status.usable and status.reason != NO_SNAPSHOT:
            self.request_resync(iid)

    def request_resync(self, iid: InstrumentId) -> None:
        if iid in self._resyncing or self._stop.is_set():
            return
        self._resyncing.add(iid)
        self._ctx.tasks.spawn(self._resync_paced(iid), f"{self.plugin_id}:resync:{iid}")

    async def _resync_paced(self, iid: InstrumentId) -> None:
        try:
            while not self._stop.is_set():
                await self.gate.take()
                if self._stop.is_set():
                    return
                try:
                    await self.resync(iid)
                    self.resyncs += 1
                    return
                except Exception as exc:  # a failed refetch waits its turn again
                    log.warning("%s: resync of %s failed: %s", self.plugin_id, iid, exc)
        finally:
            self._resyncing.discard(iid)

    @abc.abstractmethod
    async def resync(self, iid: InstrumentId) -> None:
        """Bring a fresh snapshot of one book (a REST call, or a resubscription)."""
