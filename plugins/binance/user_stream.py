"""Binance user-data stream `executionReport` events as execution sink calls.

x (execution type) -> NEW: accepted; TRADE: a fill of l @ L with fee n in N (maker when
m); CANCELED / EXPIRED: canceled; REJECTED: rejected with r. On cancel reports Binance
puts the cancel request's id in `c` and the order's own in `C`. Fills are deduplicated by
(symbol, trade id): a reconnect may replay none, but a report seen twice applies once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from terminal.model.ids import InstrumentId
from terminal.model.orders import Side
from terminal.model.portfolio import Fill, Liquidity
from terminal.plugin_host.base import ExecutionSink

MS = 1_000_000


class ExecutionReports:
    def __init__(self, sink: ExecutionSink) -> None:
        self._sink = sink
        self.accepted: set[str] = set()
        self._fills: set[tuple[str, int]] = set()
        self.reports = 0

    def accepted_once(self, client_order_id: str, venue_order_id: str, ts_ns: int) -> None:
        if client_order_id not in self.accepted:
            self.accepted.add(client_order_id)
            self._sink.on_accepted(client_order_id, venue_order_id, ts_ns)

    def on_message(self, data: str | bytes) -> None:
        event: Any = orjson.loads(data)
        if not isinstance(event, dict) or event.get("e") != "executionReport":
            return  # outboundAccountPosition, balanceUpdate, listenKeyExpired: not orders
        self.reports += 1
        kind = event["x"]
        coid = str(event.get("C") or event["c"])
        ts = int(event.get("T") or event["E"]) * MS
        venue_id = str(event["i"])
        if kind == "NEW":
            self.accepted_once(coid, venue_id, ts)
        elif kind == "TRADE":
            self.accepted_once(coid, venue_id, ts)
            key = (str(event["s"]), int(event["t"]))
            if key in self._fills:
                return
            self._fills.add(key)
            self._sink.on_fill(Fill(
                fill_id=f"{key[0]}-{key[1]}", client_order_id=coid,
                instrument_id=InstrumentId("BINANCE", key[0]),
                side=Side.BUY if event["S"] == "BUY" else Side.SELL,
                quantity=Decimal(event["l"]), price=Decimal(event["L"]),
                fee=Decimal(event.get("n") or "0"), fee_currency=str(event.get("N") or ""),
                liquidity=Liquidity.MAKER if event.get("m") else Liquidity.TAKER,
                ts_event=ts))
        elif kind in ("CANCELED", "EXPIRED", "EXPIRED_IN_MATCH"):
            self._sink.on_canceled(coid, ts)
        elif kind == "REJECTED":
            self._sink.on_rejected(coid, str(event.get("r") or "rejected by Binance"), ts)
