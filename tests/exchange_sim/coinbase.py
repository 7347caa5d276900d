"""Coinbase (legacy Exchange/Pro feed), simulated from ws/cryptofeed__COINBASE.ws.28.0.

Clients send `{"type": "subscribe", "product_ids": [...], "channels": [...]}` and get a
`subscriptions` reply, then the tape's frames of those products and channels (level2 =
snapshot + l2update, matches = match + last_match, ticker). A level2 subscription made after
the tape played a product's snapshot gets a snapshot of the venue's book as it stands.
REST: `GET /products` from ref/cryptofeed__COINBASE.0.
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
from tests.exchange_sim.tape import Client, Tape, read_capture

CHANNEL_OF = {"snapshot": "level2", "l2update": "level2", "match": "matches",
              "last_match": "matches", "ticker": "ticker"}


@dataclass
class Item:
    channel: str
    product: str
    msg: dict[str, Any]
    payload: bytes


@dataclass
class CoinbaseVenue:
    ws_path: Path
    products_path: Path | None = None
    max_connection_age_s: float | None = None
    faults: HttpFaults = field(default_factory=HttpFaults)
    connections: int = 0
    accepting: bool = True  # False: the venue is down, connections are closed at once
    start_after: int = 1  # subscribe messages before the tape starts (nothing is missed)
    subscribes: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        items = []
        for frame in read_capture(self.ws_path):
            msg = json.loads(frame.payload)
            channel = CHANNEL_OF.get(msg.get("type"))
            if channel is not None:
                items.append(Item(channel, msg["product_id"], msg, frame.payload))
        self.books: dict[str, SimBook] = {}
        self.tape = Tape(items, lambda item: item.payload, self._played)

    def _played(self, item: Item) -> bool:
        msg = item.msg
        if msg["type"] == "snapshot":
            book = self.books[item.product] = SimBook()
            book.load(msg["bids"], msg["asks"])
        elif msg["type"] == "l2update" and item.product in self.books:
            for side, price, size in msg["changes"]:
                self.books[item.product].apply("b" if side == "buy" else "a", [price, size])
        return True

    def snapshot(self, product: str) -> str:
        book = self.books[product]
        return json.dumps({"type": "snapshot", "product_id": product,
                           "bids": [lv[:2] for lv in book.top("b")],
                           "asks": [lv[:2] for lv in book.top("a")]})

    async def serve_ws(self, ws: ServerConnection, path: str, query: str) -> None:
        if not self.accepting:
            await ws.close(1013, "try again later")
            return
        self.connections += 1
        wanted: set[tuple[str, str]] = set()
        client = Client(ws, lambda item: (item.channel, item.product) in wanted)
        async with self.tape.connected(client):
            async for message in ws:
                msg = json.loads(message)
                self.start_after -= 1
                if self.start_after <= 0:
                    self.tape.start()
                self.subscribes.append(msg)
                products = msg.get("product_ids", [])
                channels = [c if isinstance(c, str) else c["name"]
                            for c in msg.get("channels", [])]
                keys = {(c, p) for c in channels for p in products}
                if msg.get("type") == "subscribe":
                    for key in sorted(keys - wanted):
                        if key[0] == "level2" and key[1] in self.books:
                            client.queue.put_nowait(self.snapshot(key[1]))
                    wanted |= keys
                elif msg.get("type") == "unsubscribe":
                    wanted -= keys
                names = sorted({c for c, _ in wanted})
                client.queue.put_nowait(json.dumps({"type": "subscriptions", "channels": [
                    {"name": n, "product_ids": sorted(p for c, p in wanted if c == n)}
                    for n in names]}))

    async def handle(self, request: Request, path: str) -> Response:
        fault = self.faults.check(request, path)
        if fault is not None:
            return fault
        if path == "/products" and self.products_path is not None:
            line = self.products_path.read_bytes().split(b"\n", 1)[0]
            return Response(200, line.split(b": ", 1)[1], {"Content-Type": "application/json"})
        return Response.json({"message": "NotFound"}, 404)

    def drop_all(self) -> int:
        clients = list(self.tape.clients)
        for client in clients:
            client.ws.transport.abort()
        return len(clients)
