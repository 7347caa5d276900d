"""Coinbase Pro (legacy `ws-feed.pro.coinbase.com`) frames from cryptofeed captures.

Time rule: `ts_recv` is the capture's receive time; `ts_event` is the frame's ISO `time`
(UTC, `Z`), or the receive time for frames without one (level2 snapshots).

- snapshot -> BookSnapshot (sequence 0: the legacy level2 channel has no sequence)
- l2update -> BookDelta; changes are [side, price, size], size "0" deletes; no sequence
  (first_sequence = sequence = 0, so gaps cannot be detected on this channel)
- match / last_match -> Trade; `side` is the MAKER's side, so the aggressor is the opposite
- ticker -> Quote from best_bid/best_ask; sizes when present, else NaN

Skipped silently (control messages): `subscriptions`, `heartbeat`, `status`. Every other
type is a bad row ("unknown Coinbase message type 'received'"), and so is an `error`
message (a failed subscription: the capture lacks what was asked for).

Every field is checked for the JSON type Coinbase sends before use, and a frame that fails
is a bad row naming the field: `type`, `product_id`, `side` and `time` are strings (`time`
an ISO time inside the window of `timeparse`), prices and sizes are strings holding plain
finite numbers, book levels are [price, size] and changes [side, price, size] string
arrays, `trade_id` is an integer 0 <= id < 2**63.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import orjson

from plugins.replay.formats.base import MarketEvent
from plugins.replay.formats.common import (
    MAX_ID,
    RowError,
    float_columns,
    is_plain_text,
    shown,
    type_name,
)
from plugins.replay.formats.timeparse import MAX_NS, NS_PER_SECOND, iso_to_ns
from terminal.model.ids import InstrumentId
from terminal.model.market import Aggressor, BookDelta, BookSnapshot, Level, Quote, Trade

VENUE = "COINBASE"
NAN = math.nan
CONTROL_TYPES = ("subscriptions", "heartbeat", "status")
_isfinite = math.isfinite


def _number(value: Any, field: str) -> float:
    """A price or size: a string holding a plain finite number."""
    if type(value) is str and value.isascii() and "_" not in value:  # is_plain_number
        number = float(value)
        if _isfinite(number):
            return number
    raise RowError(f"expected a string holding a finite number, got {shown(value)}", field)


def _levels(raw: Any, field: str, plain: bool = False) -> list[Level]:
    """[price, size, ...] levels as floats. `plain` (the frame passed
    `common.is_plain_text`) skips the per-string digit checks it makes redundant."""
    if type(raw) is not list:
        raise RowError(f"expected an array of [price, size] levels, got {type_name(raw)}",
                       field)
    if plain:
        levels = _plain_levels(raw)
        if levels is not None:
            return levels
    levels = []
    for level in raw:
        if type(level) is not list or len(level) < 2:
            raise RowError(f"level is not [price, size]: {shown(level)}", field)
        levels.append((_number(level[0], field), _number(level[1], field)))
    return levels


def _plain_levels(raw: list[Any]) -> list[Level] | None:
    """The levels of a plain-text frame, or None when one needs the checks that name it."""
    columns = float_columns(raw, 2)
    return None if columns is None else list(zip(columns[0], columns[1], strict=True))


def _levels_text(payload: bytes) -> bytes:
    """The part of a snapshot frame from its first level array on: what the plain-text
    check must cover (the `product_id` key before it holds a `_` of its own)."""
    starts = [i for i in (payload.find(b'"asks":'), payload.find(b'"bids":')) if i >= 0]
    return payload[min(starts):] if starts else payload


def _time(value: Any, field: str = "time") -> int:
    if type(value) is not str:
        raise RowError(f"expected an ISO time string, got {type_name(value)} {shown(value)}",
                       field)
    try:
        return iso_to_ns(value)
    except ValueError as exc:
        raise RowError(str(exc), field) from None


def _optional_size(msg: dict[str, Any], key: str) -> float:
    value = msg.get(key)
    return NAN if value is None else _number(value, key)


class CoinbaseDecoder:
    def __init__(self) -> None:
        self._ids: dict[str, InstrumentId] = {}
        # the `YYYY-MM-DDTHH:MM:SS.` of the last update time, and that second in ns
        self._second = ""
        self._second_ns = 0

    def iid(self, product: Any) -> InstrumentId:
        if type(product) is not str:
            raise RowError(f"expected a product id string, got {type_name(product)} "
                           f"{shown(product)}", "product_id")
        iid = self._ids.get(product)
        if iid is None:
            if not product.strip():
                raise RowError("empty product id", "product_id")
            iid = self._ids[product] = InstrumentId(VENUE, product.upper())
        return iid

    def decode(self, ts: int, payload: bytes) -> Sequence[MarketEvent]:
        msg = orjson.loads(payload)
        if type(msg) is not dict:
            raise RowError(f"expected a JSON object, got {type_name(msg)}")
        kind = msg["type"]
        if kind == "l2update":  # the hot path: checks written out, no helper calls
            product = msg["product_id"]
            iid = self._ids.get(product) if type(product) is str else None
            if iid is None:
                iid = self.iid(product)
            changes = msg["changes"]
            if type(changes) is not list:
                raise RowError(f"expected an array of changes, got {type_name(changes)}",
                               "changes")
            bids: list[Level] = []
            asks: list[Level] = []
            change: Any = None
            try:
                for change in changes:
                    if type(change) is not list or len(change) != 3:
                        raise ValueError
                    side, price, size = change
                    if type(price) is not str or type(size) is not str:
                        raise ValueError
                    level = (float(price), float(size))
                    total = level[0] + level[1]
                    if (total - total or not price.isascii() or not size.isascii()
                            or "_" in price or "_" in size):  # NaN/inf, not plain
                        raise ValueError
                    if side == "buy":
                        bids.append(level)
                    elif side == "sell":
                        asks.append(level)
                    else:
                        raise RowError(f"unknown side {shown(side)}", "changes")
            except ValueError:
                raise RowError(f"change is not [side, price, size] strings holding finite "
                               f"numbers: {shown(change)}", "changes") from None
            stamp = msg["time"]
            if type(stamp) is not str:
                _time(stamp)  # raises, naming the type
            micros = stamp[20:26]
            if (stamp[:20] == self._second and len(stamp) == 27 and stamp[26] == "Z"
                    and micros.isdigit() and micros.isascii()):
                # `YYYY-MM-DDTHH:MM:SS.ffffffZ` in the second of the previous update
                return (BookDelta(iid, bids, asks, 0, 0,
                                  self._second_ns + int(micros) * 1000, ts),)
            try:
                ts_event = iso_to_ns(stamp)
            except ValueError as exc:
                raise RowError(str(exc), "time") from None
            if (len(stamp) == 27 and stamp[19] == "." and stamp[26] == "Z"
                    and micros.isdigit() and micros.isascii()
                    and ts_event - ts_event % NS_PER_SECOND + NS_PER_SECOND <= MAX_NS):
                self._second, self._second_ns = stamp[:20], ts_event - int(micros) * 1000
            return (BookDelta(iid, bids, asks, 0, 0, ts_event, ts),)
        if kind == "match" or kind == "last_match":
            maker = msg["side"]
            if maker == "sell":
                aggressor = Aggressor.BUY
            elif maker == "buy":
                aggressor = Aggressor.SELL
            else:
                raise RowError(f"unknown side {shown(maker)}", "side")
            trade_id = msg["trade_id"]
            if type(trade_id) is not int or not 0 <= trade_id < MAX_ID:
                raise RowError(f"expected an integer trade id 0 <= id < 2**63, got "
                               f"{type_name(trade_id)} {shown(trade_id)}", "trade_id")
            return (Trade(self.iid(msg["product_id"]), _number(msg["price"], "price"),
                          _number(msg["size"], "size"), aggressor, str(trade_id),
                          _time(msg["time"]), ts),)
        if kind == "ticker":
            stamp = msg.get("time")
            return (Quote(self.iid(msg["product_id"]), _number(msg["best_bid"], "best_bid"),
                          _optional_size(msg, "best_bid_size"),
                          _number(msg["best_ask"], "best_ask"),
                          _optional_size(msg, "best_ask_size"),
                          ts if stamp is None else _time(stamp), ts),)
        if kind == "snapshot":
            stamp = msg.get("time")
            bids_raw, asks_raw = msg["bids"], msg["asks"]
            plain = is_plain_text(_levels_text(payload))
            return (BookSnapshot(self.iid(msg["product_id"]), _levels(bids_raw, "bids", plain),
                                 _levels(asks_raw, "asks", plain), 0,
                                 ts if stamp is None else _time(stamp), ts,
                                 {"b": bids_raw, "a": asks_raw}),)
        if type(kind) is not str:
            raise RowError(f"expected a type string, got {type_name(kind)} {shown(kind)}",
                           "type")
        if kind in CONTROL_TYPES:
            return ()
        if kind == "error":
            raise RowError(f"error message: {shown(msg.get('message'))} "
                           f"{shown(msg.get('reason'))}", "type")
        raise RowError(f"unknown Coinbase message type {shown(kind)}", "type")
