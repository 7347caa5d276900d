"""Kraken websocket v1 frames from cryptofeed captures.

Data frames are arrays `[channelID, payload, ..., channelName, pair]`; event frames are
objects (heartbeat, systemStatus, subscriptionStatus) and are skipped.

Time rule: `ts_recv` is the capture's receive time. Book levels are [price, volume,
timestamp(, "r")] and a book event's `ts_event` is the latest level timestamp in it; trades
use their own time; ticker frames carry no time, so `ts_event` is the receive time.

- book-N: a snapshot dict has "as"/"bs"; an update has "a" and/or "b" and the checksum "c".
  One frame may hold SEVERAL payload dicts (an "a" dict then a "b" dict with the checksum):
  all of them are merged, in order, into ONE BookDelta carrying the checksum. The original
  price/volume strings are kept in `raw` ({"a": [[price, volume], ...], "b": ...}; snapshot
  "as"/"bs" map to "a"/"b") because Kraken's CRC32 is computed over the text.
- trade: each [price, volume, time, side b/s, type, misc] -> Trade (side = aggressor).
  Kraken v1 trades carry no id: trade_id is "".
- ticker: a/b are [price, whole-lot volume, lot volume] (mixed int/str) -> Quote.
- spread: [bid, ask, time, bid volume, ask volume] -> Quote.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from plugins.replay.formats.base import MarketEvent
from plugins.replay.formats.timeparse import epoch_to_ns
from terminal.model.ids import InstrumentId
from terminal.model.market import Aggressor, BookDelta, BookSnapshot, Level, Quote, Trade

VENUE = "KRAKEN"


def _side(levels: list[list[str]], out: list[Level], raw: list[list[str]],
          latest: tuple[float, str]) -> tuple[float, str]:
    """Append levels as floats and [price, volume] strings; return the latest level time.

    The latest time is found with floats (1 µs apart still compare right at this magnitude)
    and only the winner is converted exactly, which keeps 1000-level snapshots cheap.
    """
    for level in levels:
        price, volume, stamp = level[0], level[1], level[2]
        out.append((float(price), float(volume)))
        raw.append([price, volume])
        moment = float(stamp)
        if moment > latest[0]:
            latest = (moment, stamp)
    return latest


def _depth(channel: str) -> int:
    """The subscribed depth from a channel name like "book-1000" (0 when absent)."""
    _, _, digits = channel.partition("-")
    return int(digits) if digits.isdigit() else 0


class KrakenDecoder:
    def __init__(self) -> None:
        self._ids: dict[str, InstrumentId] = {}

    def iid(self, pair: str) -> InstrumentId:
        iid = self._ids.get(pair)
        if iid is None:
            iid = self._ids[pair] = InstrumentId(VENUE, pair.upper())
        return iid

    def decode(self, ts: int, payload: bytes) -> Sequence[MarketEvent]:
        msg = orjson.loads(payload)
        if type(msg) is not list:
            return ()  # event frames
        channel: str = msg[-2]
        iid = self.iid(msg[-1])
        if channel.startswith("book"):
            return (self._book(ts, iid, msg[1:-2], _depth(channel)),)
        if channel == "trade":
            return tuple(
                Trade(iid, float(t[0]), float(t[1]),
                      Aggressor.BUY if t[3] == "b" else Aggressor.SELL, "",
                      epoch_to_ns(t[2]), ts)
                for t in msg[1])
        if channel == "ticker":
            data: dict[str, Any] = msg[1]
            bid, ask = data["b"], data["a"]
            return (Quote(iid, float(bid[0]), float(bid[2]), float(ask[0]), float(ask[2]),
                          ts, ts),)
        if channel == "spread":
            s = msg[1]
            return (Quote(iid, float(s[0]), float(s[3]), float(s[1]), float(s[4]),
                          epoch_to_ns(s[2]), ts),)
        return ()

    @staticmethod
    def _book(ts: int, iid: InstrumentId, payloads: list[dict[str, Any]], depth: int
              ) -> BookSnapshot | BookDelta:
        bids: list[Level] = []
        asks: list[Level] = []
        raw_bids: list[list[str]] = []
        raw_asks: list[list[str]] = []
        checksum: int | None = None
        snapshot = False
        latest = (0.0, "")
        for part in payloads:
            for key, value in part.items():
                if key == "a" or key == "as":
                    latest = _side(value, asks, raw_asks, latest)
                    snapshot = snapshot or key == "as"
                elif key == "b" or key == "bs":
                    latest = _side(value, bids, raw_bids, latest)
                    snapshot = snapshot or key == "bs"
                elif key == "c":
                    checksum = int(value)
        raw = {"a": raw_asks, "b": raw_bids}
        ts_event = epoch_to_ns(latest[1]) if latest[1] else ts
        if snapshot:
            return BookSnapshot(iid, bids, asks, 0, ts_event, ts, raw, depth)
        return BookDelta(iid, bids, asks, 0, 0, ts_event, ts, checksum, raw)
