"""Kraken websocket v1, simulated from ws/cryptofeed__KRAKEN.ws.48.0 (trade), .49.0
(ticker) and .50.0 (book-1000), merged by receive time.

Clients send `{"event": "subscribe", "pair": [...], "subscription": {"name": ...}}`
and get a `subscriptionStatus` per pair with the channel id the capture used, then the
tape's frames for those pairs; the tape's heartbeats go to every client. A book subscription
made after the tape played that pair's snapshot gets a snapshot of the venue's book as it
stands (the venue's own level strings, cut to the depth), so checksums keep verifying.
REST: `GET /0/public/AssetPairs` from ref/cryptofeed__KRAKEN.0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection

from tests.exchange_sim.book import SimBook
from tests.exchange_sim.faults import HttpFaults
from tests.exchange_sim.http import Request, Response
from tests.exchange_sim.tape import Client, Frame, Tape, read_capture

DEPTH = 1000


@dataclass
class Item:
    channel: str  # book / trade / ticker; "" for a heartbeat
    pair: str
    msg: Any
    payload: bytes


@dataclass
class KrakenVenue:
    ws_paths: list[Path]
    pairs_path: Path | None = None
    max_connection_age_s: float | None = None
    faults: HttpFaults = field(default_factory=HttpFaults)
    connections: int = 0
    accepting: bool = True  # False: the venue is down, connections are closed at once
    start_after: int = 3  # subscribe messages before the tape starts (nothing is missed)

    def __post_init__(self) -> None:
        frames: list[Frame] = sorted((f for p in self.ws_paths for f in read_capture(p)),
                                     key=lambda f: f.recv_ts)
        self.channel_ids: dict[tuple[str, str], int] = {}
        items = []
        for frame in frames:
            msg = json.loads(frame.payload)
            if isinstance(msg, dict):
                if msg.get("event") == "subscriptionStatus" and "channelID" in msg:
                    name = msg["subscription"]["name"]
                    self.channel_ids[(name, msg["pair"])] = msg["channelID"]
                elif msg.get("event") == "heartbeat":
                    items.append(Item("", "", msg, frame.payload))
                continue
            items.append(Item(msg[-2].partition("-")[0], msg[-1], msg, frame.payload))
        self.books: dict[str, SimBook] = {}
        self.tape = Tape(items, lambda item: item.payload, self._played)

    def _played(self, item: Item) -> bool:
        if item.channel != "book":
            return True
        for part in item.msg[1:-2]:
            if "as" in part or "bs" in part:
                book = self.books[item.pair] = SimBook()
                book.load(part.get("bs", []), part.get("as", []))
                continue
            book = self.books.get(item.pair)
            if book is None:
                continue
            for side in ("a", "b"):
                for level in part.get(side, []):
                    book.apply(side, level)
        if item.pair in self.books:
            self.books[item.pair].truncate(DEPTH)
        return True

    def snapshot(self, pair: str) -> str:
        book = self.books[pair]
        return json.dumps([self.channel_ids[("book", pair)],
                           {"as": [lv[:3] for lv in book.top("a")],
                            "bs": [lv[:3] for lv in book.top("b")]},
                           f"book-{DEPTH}", pair])

    async def serve_ws(self, ws: ServerConnection, path: str, query: str) -> None:
        if not self.accepting:
            await ws.close(1013, "try again later")
            return
        self.connections += 1
        wanted: set[tuple[str, str]] = set()
        client = Client(ws, lambda item: (item.channel == "" and bool(wanted))
                        or (item.channel, item.pair) in wanted)
        async with self.tape.connected(client):
            client.queue.put_nowait(json.dumps({"event": "systemStatus", "status": "online",
                                                "version": "1.8.3"}))
            async for message in ws:
                msg = json.loads(message)
                self.start_after -= 1
                if self.start_after <= 0:
                    self.tape.start()
                name = msg.get("subscription", {}).get("name", "")
                for pair in msg.get("pair", []):
                    key = (name, pair)
                    channel_id = self.channel_ids.get(key)
                    subscribe = msg.get("event") == "subscribe"
                    client.queue.put_nowait(json.dumps({
                        "channelID": channel_id, "event": "subscriptionStatus", "pair": pair,
                        "status": "subscribed" if subscribe else "unsubscribed",
                        "subscription": msg.get("subscription", {}),
                        "channelName": f"book-{DEPTH}" if name == "book" else name}))
                    if not subscribe:
                        wanted.discard(key)
                        continue
                    if key[0] == "book" and pair in self.books and key not in wanted:
                        client.queue.put_nowait(self.snapshot(pair))
                    wanted.add(key)

    async def handle(self, request: Request, path: str) -> Response:
        fault = self.faults.check(request, path)
        if fault is not None:
            return fault
        if path == "/0/public/AssetPairs" and self.pairs_path is not None:
            line = self.pairs_path.read_bytes().split(b"\n", 1)[0]
            return Response(200, line.split(b": ", 1)[1], {"Content-Type": "application/json"})
        return Response.json({"error": ["EGeneral:Unknown method"]}, 404)

    def drop_all(self) -> int:
        clients = list(self.tape.clients)
        for client in clients:
            client.ws.transport.abort()
        return len(clients)
