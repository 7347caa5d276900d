"""Binance spot, simulated: REST (exchangeInfo, depth, time, klines, signed orders, listen
keys) and websockets (combined market streams, user-data stream) from the real captures.

The market streams play ws/cryptofeed__BINANCE.ws.1.0. `GET /api/v3/depth` answers the
capture's REST snapshot (ws/cryptofeed__BINANCE.http.0.0) while no later diff has been
played; after that it answers the venue's book as it stands (snapshot + played diffs, with
lastUpdateId = the last played `u`), as the live venue would.

Signed requests are checked the documented way: HMAC-SHA256 with the secret over the query
string followed by the body (without `signature`), `timestamp` within `recvWindow` of the
server's clock (which can be set off from ours with `clock_skew_ms`), the API key in
X-MBX-APIKEY. Each check is recorded in `signed` for the tests.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection

from tests.exchange_sim.book import SimBook
from tests.exchange_sim.faults import HttpFaults
from tests.exchange_sim.http import Request, Response
from tests.exchange_sim.tape import Client, Frame, Tape, read_capture, read_rest_capture


@dataclass
class Item:
    stream: str
    symbol: str
    data: dict[str, Any]
    payload: bytes


@dataclass
class SimOrder:
    order_id: int
    client_order_id: str
    symbol: str
    side: str
    type: str
    quantity: Decimal
    price: Decimal | None
    tif: str
    filled: Decimal = Decimal(0)
    status: str = "NEW"


@dataclass
class SignedCheck:
    path: str
    ok: bool
    reason: str
    signature: str


@dataclass
class BinanceVenue:
    ws_path: Path
    rest_path: Path
    info_path: Path | None = None
    api_key: str = "test-key"
    api_secret: str = "test-secret"
    clock_skew_ms: int = 0
    max_connection_age_s: float | None = None
    pace_s: float = 0.0
    faults: HttpFaults = field(default_factory=HttpFaults)
    signed: list[SignedCheck] = field(default_factory=list)
    orders: dict[str, SimOrder] = field(default_factory=dict)
    connections: int = 0
    depth_requests: list[tuple[float, str]] = field(default_factory=list)
    # symbol -> the venue's 12-field kline rows, oldest first (served by /api/v3/klines)
    klines: dict[str, list[list[Any]]] = field(default_factory=dict)
    kline_requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.books: dict[str, SimBook] = {}
        self.snapshot_bodies: dict[str, bytes] = {}
        self.snapshot_ids: dict[str, int] = {}
        for url, body in read_rest_capture(self.rest_path):
            parts = urlsplit(url)
            if not parts.path.endswith("/depth"):
                continue
            symbol = parse_qs(parts.query)["symbol"][0].upper()
            snap = json.loads(body)
            book = self.books[symbol] = SimBook()
            book.load(snap["bids"], snap["asks"])
            book.sequence = snap["lastUpdateId"]
            self.snapshot_bodies[symbol] = body
            self.snapshot_ids[symbol] = snap["lastUpdateId"]
        items = [self._item(frame) for frame in read_capture(self.ws_path)]
        self.tape = Tape(items, lambda item: item.payload, self._played, self.pace_s)
        self.user_clients: dict[str, set[Client]] = {}
        self.listen_keys: set[str] = set()
        self._order_ids = itertools.count(1000)
        self._trade_ids = itertools.count(5000)

    @staticmethod
    def _item(frame: Frame) -> Item:
        msg = json.loads(frame.payload)
        stream = msg["stream"]
        return Item(stream, stream.partition("@")[0].upper(), msg["data"], frame.payload)

    def depth_items(self, symbol: str | None = None) -> list[int]:
        """Tape positions of depth diffs (of one symbol)."""
        return [k for k, item in enumerate(self.tape.items)
                if item.data.get("e") == "depthUpdate" and symbol in (None, item.symbol)]

    def _played(self, item: Item) -> bool:
        data = item.data
        book = self.books.get(item.symbol)
        if data.get("e") == "depthUpdate" and book is not None and data["u"] > book.sequence:
            for level in data["b"]:
                book.apply("b", level)
            for level in data["a"]:
                book.apply("a", level)
            book.sequence = data["u"]
        return True

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.clock_skew_ms

    # websockets ---------------------------------------------------------------------------
    async def serve_ws(self, ws: ServerConnection, path: str, query: str) -> None:
        if path.startswith("/ws/"):
            await self._user_stream(ws, path.removeprefix("/ws/"))
            return
        streams = set(parse_qs(query).get("streams", [""])[0].split("/")) - {""}
        if path != "/stream" or not streams:
            await ws.close(1008, "unknown stream")
            return
        self.connections += 1
        client = Client(ws, lambda item: item.stream in streams)
        async with self.tape.connected(client):
            self.tape.start()
            async for message in ws:
                request = json.loads(message)
                if request.get("method") in ("SUBSCRIBE", "UNSUBSCRIBE"):
                    client.queue.put_nowait(json.dumps({"result": None, "id": request["id"]}))

    async def _user_stream(self, ws: ServerConnection, key: str) -> None:
        if key not in self.listen_keys:
            await ws.close(1008, "invalid listen key")
            return
        client = Client(ws)
        self.user_clients.setdefault(key, set()).add(client)
        async with self.tape.connected(client):
            async for _message in ws:
                pass
        self.user_clients[key].discard(client)

    def _push_user(self, event: dict[str, Any]) -> None:
        data = json.dumps(event)
        for clients in self.user_clients.values():
            for client in clients:
                client.queue.put_nowait(data)

    # REST ---------------------------------------------------------------------------------
    async def handle(self, request: Request, path: str) -> Response:
        fault = self.faults.check(request, path)
        if fault is not None:
            return fault
        route = (request.method, path)
        if route == ("GET", "/api/v3/ping"):
            return Response.json({})
        if route == ("GET", "/api/v3/time"):
            return Response.json({"serverTime": self.now_ms()})
        if route == ("GET", "/api/v3/exchangeInfo"):
            return self._exchange_info()
        if route == ("GET", "/api/v3/depth"):
            return self._depth(request)
        if route == ("GET", "/api/v3/klines"):
            return self._klines(request)
        if path == "/api/v3/userDataStream":
            return self._listen_key(request)
        if path in ("/api/v3/order", "/api/v3/openOrders"):
            problem = self._check_signed(request, path)
            if problem is not None:
                return problem
            params = {**request.query, **request.form}
            if route == ("POST", "/api/v3/order"):
                return self._new_order(params)
            if route == ("DELETE", "/api/v3/order"):
                return self._cancel(params)
            if route == ("GET", "/api/v3/openOrders"):
                return Response.json([self._order_json(o) for o in self.orders.values()
                                      if o.status in ("NEW", "PARTIALLY_FILLED")])
        return Response.json({"code": -1, "msg": f"no route {request.method} {path}"}, 404)

    def _klines(self, request: Request) -> Response:
        query = dict(request.query)
        self.kline_requests.append(query)
        rows = self.klines.get(query.get("symbol", ""), [])
        start = int(query.get("startTime", 0))
        end = int(query.get("endTime", 2**62))
        limit = min(1000, int(query.get("limit", 500)))
        page = [r for r in rows if start <= int(r[0]) <= end][:limit]
        return Response.json(page, 200, **self._weight(2 * len(self.kline_requests)))

    def _weight(self, used: int) -> dict[str, str]:
        return {"X-MBX-USED-WEIGHT-1M": str(used)}

    def _exchange_info(self) -> Response:
        if self.info_path is None:
            return Response.json({"timezone": "UTC", "serverTime": self.now_ms(),
                                  "symbols": []})
        line = self.info_path.read_bytes().split(b"\n", 1)[0]
        return Response(200, line.split(b": ", 1)[1], {"Content-Type": "application/json"})

    def _depth(self, request: Request) -> Response:
        symbol = request.query.get("symbol", "").upper()
        self.depth_requests.append((request.received, symbol))
        book = self.books.get(symbol)
        if book is None:
            return Response.json({"code": -1121, "msg": "Invalid symbol."}, 400)
        limit = int(request.query.get("limit", "100"))
        if book.sequence == self.snapshot_ids[symbol] and limit >= 1000:
            return Response(200, self.snapshot_bodies[symbol],
                            {"Content-Type": "application/json", **self._weight(50)})
        body = {"lastUpdateId": book.sequence, "bids": book.top("b", limit),
                "asks": book.top("a", limit)}
        return Response.json(body, **self._weight(50))

    def _listen_key(self, request: Request) -> Response:
        if request.headers.get("x-mbx-apikey") != self.api_key:
            return Response.json({"code": -2015, "msg": "Invalid API-key."}, 401)
        if request.method == "POST":
            key = secrets.token_hex(16)
            self.listen_keys.add(key)
            return Response.json({"listenKey": key})
        return Response.json({})

    def _check_signed(self, request: Request, path: str) -> Response | None:
        query, body = request.raw_query, request.body.decode()
        signature = ""
        parts = []
        for text in (query, body):
            kept = []
            for pair in text.split("&") if text else []:
                if pair.startswith("signature="):
                    signature = pair.removeprefix("signature=")
                else:
                    kept.append(pair)
            parts.append("&".join(kept))
        payload = parts[0] + parts[1]
        expected = hmac.new(self.api_secret.encode(), payload.encode(),
                            hashlib.sha256).hexdigest()
        params = {**request.query, **request.form}

        def refuse(status: int, code: int, msg: str) -> Response:
            self.signed.append(SignedCheck(path, False, msg, signature))
            return Response.json({"code": code, "msg": msg}, status)

        if request.headers.get("x-mbx-apikey") != self.api_key:
            return refuse(401, -2015, "Invalid API-key, IP, or permissions for action.")
        if not hmac.compare_digest(signature, expected):
            return refuse(400, -1022, "Signature for this request is not valid.")
        window = int(params.get("recvWindow", "5000"))
        stamp = int(params.get("timestamp", "0"))
        now = self.now_ms()
        if not (stamp < now + 1000 and now - stamp <= window):
            return refuse(400, -1021, "Timestamp for this request is outside of the "
                          "recvWindow.")
        self.signed.append(SignedCheck(path, True, "verified", signature))
        return None

    def _order_json(self, order: SimOrder) -> dict[str, Any]:
        return {"symbol": order.symbol, "orderId": order.order_id,
                "clientOrderId": order.client_order_id, "price": str(order.price or 0),
                "origQty": str(order.quantity), "executedQty": str(order.filled),
                "status": order.status, "timeInForce": order.tif, "type": order.type,
                "side": order.side}

    def _new_order(self, params: dict[str, str]) -> Response:
        coid = params.get("newClientOrderId") or f"sim-{next(self._order_ids)}"
        if coid in self.orders:
            return Response.json({"code": -2010, "msg": "Duplicate order sent."}, 400)
        price = params.get("price")
        order = SimOrder(next(self._order_ids), coid, params["symbol"], params["side"],
                         params["type"], Decimal(params["quantity"]),
                         Decimal(price) if price else None, params.get("timeInForce", "GTC"))
        self.orders[coid] = order
        self._report(order, "NEW")
        self._match(order)
        return Response.json({"symbol": order.symbol, "orderId": order.order_id,
                              "clientOrderId": coid, "transactTime": self.now_ms()})

    def _match(self, order: SimOrder) -> None:
        """Take liquidity from the venue's book: market orders, and limits that cross."""
        book = self.books.get(order.symbol)
        if book is None:
            return
        side = "a" if order.side == "BUY" else "b"
        for price_text, size_text, *_ in book.top(side, 50):
            price = Decimal(price_text)
            if order.type == "LIMIT" and order.price is not None and (
                    price > order.price if order.side == "BUY" else price < order.price):
                break
            qty = min(Decimal(size_text), order.quantity - order.filled)
            if qty <= 0:
                break
            order.filled += qty
            order.status = "FILLED" if order.filled == order.quantity else "PARTIALLY_FILLED"
            self._report(order, "TRADE", qty, price)
        if order.type == "MARKET" and order.status not in ("FILLED",):
            order.status = "EXPIRED"
            self._report(order, "EXPIRED")

    def fill(self, client_order_id: str, qty: str, price: str) -> None:
        """A resting order trades (as if another participant took it)."""
        order = self.orders[client_order_id]
        order.filled += Decimal(qty)
        order.status = "FILLED" if order.filled == order.quantity else "PARTIALLY_FILLED"
        self._report(order, "TRADE", Decimal(qty), Decimal(price), maker=True)

    def _cancel(self, params: dict[str, str]) -> Response:
        order = self.orders.get(params.get("origClientOrderId", ""))
        if order is None or order.status not in ("NEW", "PARTIALLY_FILLED"):
            return Response.json({"code": -2011, "msg": "Unknown order sent."}, 400)
        order.status = "CANCELED"
        self._report(order, "CANCELED")
        return Response.json(self._order_json(order))

    def _report(self, order: SimOrder, execution: str, last_qty: Decimal = Decimal(0),
                last_price: Decimal = Decimal(0), maker: bool = False) -> None:
        fee = (last_qty * last_price * Decimal("0.001")).quantize(Decimal("0.00000001"))
        quote = order.symbol[-4:] if order.symbol.endswith(("USDT", "BUSD")) else \
            order.symbol[-3:]
        now = self.now_ms()
        self._push_user({
            "e": "executionReport", "E": now, "s": order.symbol, "c": order.client_order_id,
            "S": order.side, "o": order.type, "f": order.tif, "q": str(order.quantity),
            "p": str(order.price or 0), "x": execution, "X": order.status,
            "r": "NONE", "i": order.order_id, "l": str(last_qty), "z": str(order.filled),
            "L": str(last_price), "n": str(fee), "N": quote if execution == "TRADE" else None,
            "T": now, "t": next(self._trade_ids) if execution == "TRADE" else -1,
            "m": maker, "O": now})

    # faults -------------------------------------------------------------------------------
    def drop_all(self) -> int:
        """Abort every websocket connection at once (market and user streams)."""
        clients = list(self.tape.clients)
        for client in clients:
            client.ws.transport.abort()
        return len(clients)
