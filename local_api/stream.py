"""The live stream: `/api/v1/stream`, a websocket with channels, sequence numbers and resume.

Every message the hub publishes gets the next sequence number (one counter for all
channels) and is kept in a bounded history. A client subscribes to channels (optionally only
some instruments) and may pass `resume_from`: the last sequence number it saw. It then gets
every kept message after that one that matches its subscription, then the live ones; when
the history no longer reaches back that far it gets a `resume_gap` notice first, and
should fetch a fresh snapshot over REST.

Slow clients never hold the terminal back: each client has a bounded queue; a client whose
queue fills up is closed with code 4008 and the last sequence number it was sent, so it can
reconnect and resume. Order book messages are conflated: at most one top-of-book snapshot
per instrument every 100 ms.

The hub listens to the bus only while clients are connected and for `stream_retention_s`
after the last one leaves (resuming is for reconnects); a `gap` message marks a time it was
not listening.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from local_api.auth import authenticate_websocket
from local_api.metrics import ApiMetrics
from local_api.problems import ApiProblem, from_exception
from local_api.schemas import AccountOut, FillOut, OrderOut, PositionOut, SignalOut
from local_api.settings import ApiSettings
from terminal.core.bus import EventBus, Subscription
from terminal.core.topics import Kind, Topics
from terminal.model.ids import InstrumentId
from terminal.services.books import BookManager
from terminal.services.quality import QualityFinding

log = logging.getLogger(__name__)

CHANNELS = ("quotes", "trades", "bars", "book", "orders", "fills", "positions", "account",
            "signals", "alerts", "system")
BOOK_EVERY_S = 0.1
BOOK_DEPTH = 10
SUBSCRIBE_TIMEOUT_S = 10.0
HEARTBEAT_S = 15.0
CLOSE_SLOW = 4008
CLOSE_BAD_REQUEST = 4400
CLOSE_REVOKED = 4401


@dataclass(slots=True)
class Message:
    seq: int
    channel: str
    instrument: str | None
    payload: str


@dataclass(eq=False)
class StreamClient:
    channels: frozenset[str]
    instruments: frozenset[str] | None
    limit: int
    queue: deque[str] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    overflowed: bool = False
    revoked: bool = False
    token_id: str = ""
    last_seq: int = 0  # the last sequence number put in the queue

    def wants(self, message: Message) -> bool:
        return message.channel in self.channels and (
            self.instruments is None or message.instrument is None
            or message.instrument in self.instruments)

    def offer(self, message: Message) -> None:
        if self.overflowed:
            return
        if len(self.queue) >= self.limit:
            self.overflowed = True
        else:
            self.queue.append(message.payload)
            self.last_seq = message.seq
        self.wake.set()


def _num(x: float) -> float | None:
    return x if x == x and x not in (float("inf"), float("-inf")) else None


def _quote(q: Any) -> dict[str, Any]:
    return {"bid": _num(q.bid), "bid_size": _num(q.bid_size), "ask": _num(q.ask),
            "ask_size": _num(q.ask_size), "ts_event": q.ts_event}


def _trade(t: Any) -> dict[str, Any]:
    return {"price": t.price, "size": t.size, "aggressor": t.aggressor.value,
            "trade_id": t.trade_id, "ts_event": t.ts_event}


def _bar(b: Any) -> dict[str, Any]:
    return {"interval_ns": b.interval_ns, "ts": b.ts, "open": _num(b.open),
            "high": _num(b.high), "low": _num(b.low), "close": _num(b.close),
            "volume": _num(b.volume), "trades": b.trades}


def _plain(event: Any) -> Any:
    if isinstance(event, dict):
        return {str(k): _plain(v) for k, v in event.items()}
    if isinstance(event, QualityFinding):
        return {"kind": event.kind, "detail": event.detail, "ts_ns": event.ts_ns,
                "count": event.count}
    if hasattr(event, "usable") and hasattr(event, "reason"):  # a book status
        return {"book_usable": event.usable, "reason": event.reason, "ts_ns": event.ts_ns}
    if isinstance(event, str | int | float | bool) or event is None:
        return event
    return str(event)


Converter = Callable[[Any], Any]
ROUTES: dict[Kind, tuple[str, Converter]] = {
    Kind.QUOTE: ("quotes", _quote),
    Kind.TRADE: ("trades", _trade),
    Kind.BAR: ("bars", _bar),
    Kind.ORDER: ("orders", lambda o: OrderOut.of(o).model_dump()),
    Kind.FILL: ("fills", lambda f: FillOut.of(f).model_dump()),
    Kind.POSITION: ("positions", lambda p: PositionOut.of(p, None).model_dump(
        exclude={"unrealized_pnl", "mark"})),
    Kind.ACCOUNT: ("account", lambda a: AccountOut.of(a).model_dump()),
    Kind.SIGNAL: ("signals", lambda s: SignalOut.of(s).model_dump()),
    Kind.ALERT: ("alerts", _plain),
    Kind.CONNECTION: ("system", _plain),
    Kind.RISK: ("system", _plain),
    Kind.SYSTEM: ("system", _plain),
    Kind.BOOK_STATUS: ("system", _plain),
    Kind.QUALITY: ("system", _plain),
}


class StreamHub:
    def __init__(self, bus: EventBus, books: BookManager, settings: ApiSettings,
                 metrics: ApiMetrics) -> None:
        self._bus = bus
        self._books = books
        self._settings = settings
        self._metrics = metrics
        self.seq = 0
        self.history: deque[Message] = deque(maxlen=settings.stream_history)
        self.clients: set[StreamClient] = set()
        self.quality: deque[QualityFinding] = deque(maxlen=1000)
        self._subscriptions: list[Subscription] = []
        self._dirty_books: set[InstrumentId] = set()
        self._idle_since: float | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._always = bus.subscribe_kind(Kind.QUALITY, lambda _t, f: self.quality.append(f))

    @property
    def client_count(self) -> int:
        return len(self.clients)

    @property
    def listening(self) -> bool:
        return bool(self._subscriptions)

    # lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self._ticker = asyncio.get_running_loop().create_task(self._tick(), name="api-stream")

    async def stop(self) -> None:
        self._stop_listening()
        self._always.cancel()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker

    def _listen(self) -> None:
        if self._subscriptions:
            return
        if self.seq:  # there was a time nobody listened: say so to resuming clients
            self._append("system", None, {"type": "gap", "detail": "the stream was idle; "
                                          "events before this one may be missing"})
        for kind, (channel, convert) in ROUTES.items():
            self._subscriptions.append(self._bus.subscribe(
                Topics.all(kind), self._handler(channel, convert)))
        self._subscriptions.append(self._bus.subscribe(Topics.all(Kind.BOOK), self._book))

    def _stop_listening(self) -> None:
        for sub in self._subscriptions:
            sub.cancel()
        self._subscriptions.clear()
        self._dirty_books.clear()

    def _handler(self, channel: str, convert: Converter) -> Callable[[str, Any], None]:
        if channel == "system":  # keyed by plugin, instrument or nothing: never filtered
            def handle_system(topic: str, event: Any) -> None:
                kind, _, key = topic.partition(".")
                data = convert(event)
                self._append(channel, None, {"event": kind, "subject": key or None,
                                             **(data if isinstance(data, dict) else
                                                {"value": data})})
            return handle_system

        def handle(topic: str, event: Any) -> None:
            _, _, key = topic.partition(".")
            self._append(channel, key or None, convert(event))
        return handle

    def _book(self, _topic: str, iid: InstrumentId) -> None:
        self._dirty_books.add(iid)

    # publishing ---------------------------------------------------------------------------
    def _append(self, channel: str, instrument: str | None, data: Any) -> None:
        self.seq += 1
        body: dict[str, Any] = {"seq": self.seq, "channel": channel}
        if instrument is not None:
            body["instrument"] = instrument
        body["data"] = data
        message = Message(self.seq, channel, instrument, orjson.dumps(body).decode())
        self.history.append(message)
        self._metrics.stream_messages.labels(channel).inc()
        for client in self.clients:
            if client.wants(message):
                client.offer(message)

    def _flush_books(self) -> None:
        dirty, self._dirty_books = self._dirty_books, set()
        for iid in sorted(dirty):
            status = self._books.status(iid)
            if status is None or not status.usable:
                continue
            bids, asks = self._books.levels(iid, BOOK_DEPTH)
            self._append("book", str(iid), {"bids": [list(b) for b in bids],
                                            "asks": [list(a) for a in asks],
                                            "ts_event": status.ts_ns})

    async def _tick(self) -> None:
        last_beat = time.monotonic()
        while True:
            await asyncio.sleep(BOOK_EVERY_S)
            if self._dirty_books:
                self._flush_books()
            now = time.monotonic()
            if not self.clients and self._subscriptions and self._idle_since is not None \
                    and now - self._idle_since >= self._settings.stream_retention_s:
                self._stop_listening()
            if now - last_beat >= HEARTBEAT_S:
                last_beat = now
                beat = orjson.dumps({"type": "heartbeat", "head": self.seq}).decode()
                for client in self.clients:
                    if len(client.queue) < client.limit:
                        client.queue.append(beat)
                        client.wake.set()

    # clients ------------------------------------------------------------------------------
    def attach(self, client: StreamClient, resume_from: int | None) -> dict[str, Any]:
        """Register a client; queue what it missed. Returns the `subscribed` notice."""
        self._listen()
        self._idle_since = None
        notice: dict[str, Any] = {"type": "subscribed", "channels": sorted(client.channels),
                                  "instruments": sorted(client.instruments)
                                  if client.instruments is not None else None,
                                  "head": self.seq}
        if resume_from is not None:
            oldest = self.history[0].seq if self.history else self.seq + 1
            if resume_from > self.seq:  # from another run of the terminal: numbers restarted
                notice["resume_gap"] = {"requested": resume_from + 1, "oldest": oldest,
                                        "head": self.seq,
                                        "detail": "beyond this stream's head: the terminal "
                                        "restarted; fetch snapshots, then follow from head"}
            elif resume_from + 1 < oldest:
                notice["resume_gap"] = {"requested": resume_from + 1, "oldest": oldest}
            replay = [m for m in self.history if m.seq > resume_from and client.wants(m)]
            client.queue.extend(m.payload for m in replay)  # not bounded by the live limit
            if replay:
                client.last_seq = replay[-1].seq
            notice["replayed"] = len(replay)
        self.clients.add(client)
        self._metrics.stream_clients.set(len(self.clients))
        return notice

    def revoke(self, token_id: str) -> int:
        """Close the streams of a revoked token or device at once; how many."""
        cut = 0
        for client in self.clients:
            if client.token_id == token_id:
                client.revoked = True
                client.wake.set()
                cut += 1
        return cut

    def detach(self, client: StreamClient) -> None:
        self.clients.discard(client)
        self._metrics.stream_clients.set(len(self.clients))
        if not self.clients:
            self._idle_since = time.monotonic()


router = APIRouter()


def _subscription(raw: str | bytes, limit: int) -> tuple[StreamClient, int | None]:
    try:
        request = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ValueError("the first message must be JSON: {\"op\": \"subscribe\", "
                         "\"channels\": [...]}") from None
    if not isinstance(request, dict) or request.get("op") != "subscribe":
        raise ValueError("the first message must be {\"op\": \"subscribe\", ...}")
    channels = request.get("channels", list(CHANNELS))
    if not isinstance(channels, list) or not channels or \
            any(c not in CHANNELS for c in channels):
        raise ValueError(f"channels: a list of {', '.join(CHANNELS)}")
    instruments = request.get("instruments")
    if instruments is not None and (not isinstance(instruments, list) or
                                    not all(isinstance(i, str) for i in instruments)):
        raise ValueError("instruments: a list of VENUE:SYMBOL")
    resume = request.get("resume_from")
    if resume is not None and (isinstance(resume, bool) or not isinstance(resume, int)
                               or resume < 0):
        raise ValueError("resume_from: the last sequence number received (an integer >= 0)")
    wanted = None if instruments is None else frozenset(i.upper() for i in instruments)
    return StreamClient(frozenset(channels), wanted, limit), resume


@router.websocket("/stream")
async def stream(websocket: WebSocket) -> None:
    """Subscribe with {"op": "subscribe", "channels": [...], "instruments": [...],
    "resume_from": N}; see the module docstring for the protocol."""
    try:
        principal, subprotocol = authenticate_websocket(websocket, "read")
    except ApiProblem as problem:
        if "websocket.http.response" in websocket.scope.get("extensions", {}):
            await websocket.send_denial_response(from_exception(problem))
        else:
            await websocket.close(code=1008, reason=problem.slug)
        return
    hub: StreamHub = websocket.app.state.hub
    settings: ApiSettings = websocket.app.state.settings
    await websocket.accept(subprotocol=subprotocol)
    try:
        message = await asyncio.wait_for(websocket.receive(), SUBSCRIBE_TIMEOUT_S)
        if message["type"] == "websocket.disconnect":
            return
        first = message.get("text")
        if first is None:
            raise ValueError("the subscribe message must be a text frame of JSON")
        client, resume = _subscription(first, settings.stream_queue)
        client.token_id = principal.token_id
    except (TimeoutError, ValueError) as exc:
        detail = str(exc) or "no subscribe message within 10 s"
        with contextlib.suppress(Exception):
            await websocket.send_text(orjson.dumps({"type": "error", "detail": detail}).decode())
            await websocket.close(code=CLOSE_BAD_REQUEST, reason=detail[:120])
        return
    except WebSocketDisconnect:
        return
    notice = hub.attach(client, resume)
    receiver = asyncio.get_running_loop().create_task(_drain_incoming(websocket))
    try:
        await websocket.send_text(orjson.dumps(notice).decode())
        while not receiver.done():
            while client.queue:
                await websocket.send_text(client.queue.popleft())
            if client.revoked:
                await websocket.close(code=CLOSE_REVOKED, reason="token revoked")
                return
            if client.overflowed:
                hub._metrics.stream_closed_slow.inc()
                await websocket.close(code=CLOSE_SLOW,
                                      reason=f"too slow; resume_from {client.last_seq}")
                return
            client.wake.clear()
            waiter = asyncio.ensure_future(client.wake.wait())
            await asyncio.wait({waiter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        hub.detach(client)
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await receiver


async def _drain_incoming(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends after subscribing, until it goes away."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
