"""Binance spot trading: signed REST orders, fills from the user-data stream.

connect: measure the server time offset, open a listen key, start the user-data stream
(kept alive every 30 minutes; a reconnect opens a new key). submit: `POST /api/v3/order`
with newOrderRespType=ACK and our client order id; the answer accepts the order, fills come
only from the stream (one source, no double count). A -1021 (timestamp outside recvWindow)
answer measures the offset again and sends the same request once more: the same client
order id makes it idempotent (a duplicate is refused by the venue, never doubled).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from decimal import Decimal

from websockets.asyncio.client import ClientConnection

from plugins.binance.config import BinanceConfig
from plugins.binance.rest import BinanceError, BinanceRest
from plugins.binance.stream import ResilientStream, StreamSettings, StreamState
from plugins.binance.user_stream import ExecutionReports
from terminal.core.topics import Kind
from terminal.model.ids import InstrumentId
from terminal.model.numbers import plain
from terminal.model.orders import Order, OrderStatus, OrderType, Side, TimeInForce
from terminal.plugin_host.base import ExecutionClient, PluginContext

log = logging.getLogger(__name__)

KEEPALIVE_S = 30 * 60
_TYPES = {OrderType.MARKET: "MARKET", OrderType.LIMIT: "LIMIT",
          OrderType.STOP: "STOP_LOSS", OrderType.STOP_LIMIT: "STOP_LOSS_LIMIT"}
_TIF = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"}
_STATUS = {"NEW": OrderStatus.ACCEPTED, "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED}


def order_params(order: Order) -> dict[str, str]:
    """The venue's parameters for an order; ValueError for what Binance spot cannot do."""
    kind = _TYPES[order.type]
    params = {"symbol": order.instrument_id.symbol, "side": order.side.value.upper(),
              "type": kind, "quantity": plain(order.quantity),
              "newClientOrderId": order.client_order_id, "newOrderRespType": "ACK"}
    if order.type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        if order.price is None:
            raise ValueError("a limit order needs a price")
        tif = _TIF.get(order.time_in_force)
        if tif is None:
            raise ValueError(f"Binance spot has no {order.time_in_force.value} orders")
        params["price"] = plain(order.price)
        params["timeInForce"] = tif
    if order.type in (OrderType.STOP, OrderType.STOP_LIMIT):
        if order.stop_price is None:
            raise ValueError("a stop order needs a stop price")
        params["stopPrice"] = plain(order.stop_price)
    return params


class BinanceExecutionClient(ExecutionClient):
    def __init__(self, context: PluginContext, config: BinanceConfig,
                 rest: BinanceRest) -> None:
        self._ctx = context
        self._config = config
        self.rest = rest
        self.reports = ExecutionReports(context.execution)
        self._listen_key: str | None = None
        self._stream: ResilientStream | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.state = StreamState.CONNECTING.value

    async def connect(self) -> None:
        if not self._config.has_keys():
            raise BinanceError(0, None, "trading needs an API key and secret (connect "
                               "dialog, or the keyring scope plugin.binance)")
        await self.rest.open()
        await self.rest.sync_time()
        settings = StreamSettings(self._config.backoff_initial_s, self._config.backoff_max_s,
                                  silence_timeout_s=KEEPALIVE_S * 2,
                                  max_age_s=self._config.max_connection_age_s)
        self._stream = ResilientStream("user", self._url, self._opened,
                                       lambda data, _ts: self.reports.on_message(data),
                                       settings, self._report)
        self._listen_key = await self._new_key()
        self._tasks = [asyncio.ensure_future(self._stream.run()),
                       asyncio.ensure_future(self._keepalive())]

    def _url(self) -> str:
        return f"{self._config.ws_url}/ws/{self._listen_key}"

    async def _opened(self, _ws: ClientConnection) -> None:
        return None

    def _report(self, state: StreamState, detail: str) -> None:
        self.state = state.value
        self._ctx.bus.emit(Kind.CONNECTION, "binance", {
            "plugin_id": "binance", "state": state.value, "stream": "user", "detail": detail})
        if state is StreamState.RECONNECTING:  # a new key: the old one may have expired
            self._ctx.tasks.spawn(self._renew_key(), "binance:listen-key")

    async def _new_key(self) -> str:
        body = await self.rest.request("POST", "/api/v3/userDataStream", keyed=True)
        return str(body["listenKey"])

    async def _renew_key(self) -> None:
        with contextlib.suppress(BinanceError, OSError):
            self._listen_key = await self._new_key()

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_S)
            with contextlib.suppress(BinanceError, OSError):
                await self.rest.request("PUT", "/api/v3/userDataStream",
                                        {"listenKey": self._listen_key}, keyed=True)

    async def disconnect(self) -> None:
        if self._stream is not None:
            await self._stream.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.rest.close()

    async def submit(self, order: Order) -> None:
        now = time.time_ns()
        try:
            params = order_params(order)
        except ValueError as exc:
            self._ctx.execution.on_rejected(order.client_order_id, str(exc), now)
            return
        try:
            body = await self._send("POST", "/api/v3/order", params)
        except BinanceError as exc:
            self._ctx.execution.on_rejected(order.client_order_id, exc.message,
                                            time.time_ns())
            return
        except OSError as exc:  # unknown outcome: the stream or reconciliation will tell
            log.warning("binance: order %s sent, answer lost: %s", order.client_order_id, exc)
            return
        stamp = body.get("transactTime")
        ts = int(stamp) * 1_000_000 if isinstance(stamp, int) else now
        self.reports.accepted_once(order.client_order_id, str(body["orderId"]), ts)

    async def _send(self, method: str, path: str, params: dict[str, str]) -> dict[str, object]:
        try:
            body = await self.rest.request(method, path, params, signed=True)
        except BinanceError as exc:
            if exc.code != -1021:
                raise
            await self.rest.sync_time()  # our clock drifted from the venue's: measure again
            body = await self.rest.request(method, path, params, signed=True)
        assert isinstance(body, dict)
        return body

    async def cancel(self, order: Order) -> None:
        try:
            await self._send("DELETE", "/api/v3/order", {
                "symbol": order.instrument_id.symbol,
                "origClientOrderId": order.client_order_id})
        except BinanceError as exc:
            log.warning("binance: cancel of %s refused: %s", order.client_order_id, exc)

    async def open_orders(self) -> list[Order]:
        body = await self.rest.request("GET", "/api/v3/openOrders", signed=True)
        orders: list[Order] = []
        for row in body:
            kind = {v: k for k, v in _TYPES.items()}.get(row["type"], OrderType.LIMIT)
            price = Decimal(row["price"])
            orders.append(Order(
                client_order_id=row["clientOrderId"],
                instrument_id=InstrumentId("BINANCE", row["symbol"]),
                side=Side.BUY if row["side"] == "BUY" else Side.SELL, type=kind,
                quantity=Decimal(row["origQty"]), price=price or None,
                status=_STATUS.get(row["status"], OrderStatus.ACCEPTED),
                filled_qty=Decimal(row["executedQty"]), venue_order_id=str(row["orderId"])))
        return orders
