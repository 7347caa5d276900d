"""Coinbase Pro (legacy `ws-feed.pro.coinbase.com`) frames from cryptofeed captures.

Time rule: `ts_recv` is the capture's receive time; `ts_event` is the frame's ISO `time`
(UTC, `Z`), or the receive time for frames without one (level2 snapshots).

- snapshot -> BookSnapshot (sequence 0: the legacy level2 channel has no sequence)
- l2update -> BookDelta; changes are [side, price, size], size "0" deletes; no sequence
  (first_sequence = sequence = 0, so gaps cannot be detected on this channel)
- match / last_match -> Trade; `side` is the MAKER's side, so the aggressor is the opposite
- ticker -> Quote from best_bid/best_ask; sizes when present, else NaN
- subscriptions, heartbeat and every other type are skipped
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import orjson

from plugins.replay.formats.base import MarketEvent
from plugins.replay.formats.timeparse import iso_to_ns
from terminal.model.ids import InstrumentId
from terminal.model.market import Aggressor, BookDelta, BookSnapshot, Level, Quote, Trade

VENUE = "COINBASE"
NAN = math.nan


def _levels(raw: list[list[str]]) -> list[Level]:
    return [(float(level[0]), float(level[1])) for level in raw]


def _size(msg: dict[str, Any], key: str) -> float:
    value = msg.get(key)
    return NAN if value is None else float(value)


class CoinbaseDecoder:
    def __init__(self) -> None:
        self._ids: dict[str, InstrumentId] = {}

    def iid(self, product: str) -> InstrumentId:
        iid = self._ids.get(product)
        if iid is None:
            iid = self._ids[product] = InstrumentId(VENUE, product.upper())
        return iid

    def decode(self, ts: int, payload: bytes) -> Sequence[MarketEvent]:
        msg: dict[str, Any] = orjson.loads(payload)
        kind = msg["type"]
        if kind == "l2update":
            bids: list[Level] = []
            asks: list[Level] = []
            for side, price, size in msg["changes"]:
                if side == "buy":
                    bids.append((float(price), float(size)))
                elif side == "sell":
                    asks.append((float(price), float(size)))
                else:
                    raise ValueError(f"unknown side {side!r}")
            return (BookDelta(self.iid(msg["product_id"]), bids, asks, 0, 0,
                              iso_to_ns(msg["time"]), ts),)
        if kind == "match" or kind == "last_match":
            aggressor = Aggressor.BUY if msg["side"] == "sell" else Aggressor.SELL
            return (Trade(self.iid(msg["product_id"]), float(msg["price"]), float(msg["size"]),
                          aggressor, str(msg["trade_id"]), iso_to_ns(msg["time"]), ts),)
        if kind == "ticker":
            stamp = msg.get("time")
            return (Quote(self.iid(msg["product_id"]), float(msg["best_bid"]),
                          _size(msg, "best_bid_size"), float(msg["best_ask"]),
                          _size(msg, "best_ask_size"),
                          ts if stamp is None else iso_to_ns(stamp), ts),)
        if kind == "snapshot":
            stamp = msg.get("time")
            bids_raw, asks_raw = msg["bids"], msg["asks"]
            return (BookSnapshot(self.iid(msg["product_id"]), _levels(bids_raw),
                                 _levels(asks_raw), 0,
                                 ts if stamp is None else iso_to_ns(stamp), ts,
                                 {"b": bids_raw, "a": asks_raw}),)
        return ()
