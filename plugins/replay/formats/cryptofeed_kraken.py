"""Kraken websocket v1 frames from cryptofeed captures.

Data frames are arrays `[channelID, payload, ..., channelName, pair]`; event frames are
objects. Skipped silently (control messages): events `heartbeat`, `systemStatus`,
`subscriptionStatus` and `pong`. Any other event, a channel other than book-N, trade, ticker
and spread ("unknown Kraken channel 'ohlc-1'"), or a frame of neither shape is a bad row.

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

Every field is checked for the JSON type Kraken sends before use, and a frame that fails is
a bad row naming the field: channel name and pair are strings; book levels are arrays of at
least three strings [price, volume, time] holding plain finite numbers, and the level times
are epoch seconds inside the window of `timeparse`; the checksum `c` is a string of digits
below 2**32; trade, ticker and spread values are strings (trade side "b" or "s").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import numpy as np
import orjson

from plugins.replay.formats import level_columns
from plugins.replay.formats.base import MarketEvent
from plugins.replay.formats.common import (
    RowError,
    float_columns,
    is_plain_number,
    shown,
    type_name,
)
from plugins.replay.formats.timeparse import MAX_NS, MAX_SECONDS, NS_PER_SECOND, epoch_to_ns
from terminal.model.ids import InstrumentId
from terminal.model.levels import LevelTexts, LevelView
from terminal.model.market import Aggressor, BookDelta, BookSnapshot, Level, Quote, Trade

VENUE = "KRAKEN"
BULK_LEVELS = 16  # from this many levels in a side, `_bulk_side` is the cheaper path
SNAPSHOT_SCAN_BYTES = 2048  # snapshots this long are read by compiled code first
CONTROL_EVENTS = ("heartbeat", "systemStatus", "subscriptionStatus", "pong")
_SIDES = {"b": Aggressor.BUY, "s": Aggressor.SELL}
_isfinite = math.isfinite


def _side(levels: Any, out: list[Level], raw: list[list[str]],
          latest: tuple[float, str], field: str) -> tuple[float, str]:
    """Append levels as floats and [price, volume] strings; return the latest level time.

    The latest time is found with floats (1 µs apart still compare right at this magnitude)
    and only the winner is converted exactly, which keeps 1000-level snapshots cheap. A
    price, volume or time that is not a finite number fails here (`x - x` is 0.0 only for a
    finite x), as does a negative time; the winner is checked against the window when
    converted. Digit separators and non-ASCII digits are left to `_check_levels`.
    """
    if type(levels) is not list:
        raise RowError(f"expected an array of levels, got {type_name(levels)}", field)
    if len(levels) > BULK_LEVELS:
        bulk = _bulk_side(levels, out, raw, latest)
        if bulk is not None:
            return bulk
    level: Any = None
    try:
        for level in levels:
            if type(level) is not list:
                raise ValueError
            price, volume, stamp = level[0], level[1], level[2]
            if type(price) is not str or type(volume) is not str or type(stamp) is not str:
                raise ValueError
            number, size, moment = float(price), float(volume), float(stamp)
            out.append((number, size))
            raw.append([price, volume])
            total = number + size + moment
            if total - total:  # NaN or inf somewhere
                raise ValueError
            if moment > latest[0]:
                latest = (moment, stamp)
            elif moment < 0.0:
                raise ValueError
    except (ValueError, IndexError):
        raise RowError(f"level is not [price, volume, time] strings holding finite numbers: "
                       f"{shown(level)}", field) from None
    return latest


def _bulk_side(levels: list[Any], out: list[Level], raw: list[list[str]],
               latest: tuple[float, str]) -> tuple[float, str] | None:
    """`_side` for many levels (snapshots) in C-level loops, or None (nothing appended)
    when a level needs `_side`'s own checks, which name the fault."""
    columns = float_columns(levels, 3)
    if columns is None:
        return None
    prices, volumes, moments = columns
    if min(moments) < 0.0:
        return None
    out.extend(zip(prices, volumes, strict=True))
    raw.extend([level[:2] for level in levels])
    moment = max(moments)
    if moment > latest[0]:  # the first level holding the latest time, as `_side` picks
        return moment, levels[moments.index(moment)][2]
    return latest


_PRICE_VOLUME = itemgetter(slice(0, 2))


def _id_end(payload: bytes) -> int:
    """Where the object after a frame's leading `[channelID,` starts (0 when unsure)."""
    comma = payload.find(b",", 0, 24)
    return comma + 1 if comma > 0 else 0


def _check_levels(raw: list[list[str]], levels: list[Level], field: str) -> None:
    """The per-string check `_side` skips: no digit separators, ASCII digits only."""
    for texts in raw:
        if not (is_plain_number(texts[0]) and is_plain_number(texts[1])):
            raise RowError(f"level is not two plain numbers: {shown(texts)}", field)


def _depth(channel: str) -> int:
    """The subscribed depth from a channel name like "book-1000" (0 when absent)."""
    _, _, digits = channel.partition("-")
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 7 else 0


def _number(value: Any, field: str) -> float:
    """A price or volume: a string holding a plain finite number."""
    if type(value) is str and value.isascii() and "_" not in value:  # is_plain_number
        number = float(value)
        if _isfinite(number):
            return number
    raise RowError(f"expected a string holding a finite number, got {shown(value)}", field)


def _time(value: Any, field: str) -> int:
    if type(value) is not str:
        raise RowError(f"expected an epoch time string, got {type_name(value)} "
                       f"{shown(value)}", field)
    try:
        return epoch_to_ns(value)
    except ValueError as exc:
        raise RowError(str(exc), field) from None


def _checksum(value: Any) -> int:
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= 10:
        checksum = int(value)
        if checksum < 2**32:
            return checksum
    raise RowError(f"expected a CRC32 string of digits, got {type_name(value)} "
                   f"{shown(value)}", "c")


def _array(value: Any, length: int, field: str) -> list[Any]:
    if type(value) is not list or len(value) < length:
        raise RowError(f"expected an array of at least {length} values, got {shown(value)}",
                       field)
    return value


class KrakenDecoder:
    def __init__(self) -> None:
        self._ids: dict[str, InstrumentId] = {}
        self._depths: dict[str, int] = {}  # book channel name -> subscribed depth
        # the whole-seconds text of the last book time converted, and that second in ns
        self._second = ""
        self._second_ns = 0

    def iid(self, pair: Any) -> InstrumentId:
        if type(pair) is not str:
            raise RowError(f"expected a pair string, got {type_name(pair)} {shown(pair)}",
                           "pair")
        iid = self._ids.get(pair)
        if iid is None:
            if not pair.strip():
                raise RowError("empty pair", "pair")
            iid = self._ids[pair] = InstrumentId(VENUE, pair.upper())
        return iid

    def decode(self, ts: int, payload: bytes) -> Sequence[MarketEvent]:
        if len(payload) > SNAPSHOT_SCAN_BYTES and payload.startswith(b'{"as":', _id_end(payload)):
            snapshot = self._read_snapshot(ts, payload)
            if snapshot is not None:
                return (snapshot,)
        msg = orjson.loads(payload)
        if type(msg) is not list:
            if type(msg) is dict:
                event = msg.get("event")
                if event in CONTROL_EVENTS and type(event) is str:
                    return ()
                raise RowError(f"unknown Kraken event {shown(event)}", "event")
            raise RowError(f"expected a JSON array or object, got {type_name(msg)}")
        if len(msg) < 4:
            raise RowError(f"expected [channelID, payload, ..., channelName, pair], got "
                           f"{shown(msg)}")
        channel = msg[-2]
        depth = self._depths.get(channel) if type(channel) is str else None
        if depth is not None:  # a book channel seen before
            return (self._book(ts, self.iid(msg[-1]), msg, depth, payload),)
        if type(channel) is not str:
            raise RowError(f"expected a channel name string, got {type_name(channel)} "
                           f"{shown(channel)}", "channelName")
        iid = self.iid(msg[-1])
        if channel.startswith("book"):
            depth = self._depths[channel] = _depth(channel)
            return (self._book(ts, iid, msg, depth, payload),)
        if channel == "trade":
            trades = msg[1]
            if type(trades) is not list:
                raise RowError(f"expected an array of trades, got {type_name(trades)}",
                               "trade")
            events = []
            for t in trades:
                _array(t, 4, "trade")
                side = _SIDES.get(t[3]) if type(t[3]) is str else None
                if side is None:
                    raise RowError(f"unknown side {shown(t[3])}", "side")
                events.append(Trade(iid, _number(t[0], "price"), _number(t[1], "volume"),
                                    side, "", _time(t[2], "time"), ts))
            return events
        if channel == "ticker":
            data = msg[1]
            if type(data) is not dict:
                raise RowError(f"expected an object, got {type_name(data)}", "ticker")
            bid, ask = _array(data["b"], 3, "b"), _array(data["a"], 3, "a")
            return (Quote(iid, _number(bid[0], "b"), _number(bid[2], "b"),
                          _number(ask[0], "a"), _number(ask[2], "a"), ts, ts),)
        if channel == "spread":
            spread = _array(msg[1], 5, "spread")
            return (Quote(iid, _number(spread[0], "bid"), _number(spread[3], "bidVolume"),
                          _number(spread[1], "ask"), _number(spread[4], "askVolume"),
                          _time(spread[2], "timestamp"), ts),)
        raise RowError(f"unknown Kraken channel {shown(channel)}", "channelName")

    def _book(self, ts: int, iid: InstrumentId, msg: list[Any], depth: int, payload: bytes
              ) -> BookSnapshot | BookDelta:
        bids: list[Level] = []
        asks: list[Level] = []
        raw_bids: list[list[str]] = []
        raw_asks: list[list[str]] = []
        checksum: int | None = None
        snapshot = False
        latest = (0.0, "")
        for part in msg[1:-2]:
            if type(part) is not dict:
                raise RowError(f"expected a book object, got {type_name(part)}", "book")
            for key, value in part.items():
                if key == "a" or key == "as":
                    latest = _side(value, asks, raw_asks, latest, key)
                    snapshot = snapshot or key == "as"
                elif key == "b" or key == "bs":
                    latest = _side(value, bids, raw_bids, latest, key)
                    snapshot = snapshot or key == "bs"
                elif key == "c":
                    if (type(value) is not str or not value.isdigit() or not value.isascii()
                            or len(value) > 10 or int(value) > 0xFFFFFFFF):
                        raise RowError(f"expected a CRC32 string of digits, got "
                                       f"{type_name(value)} {shown(value)}", "c")
                    checksum = int(value)
        # text float() takes but a file may not hold ("1_000", full-width digits) needs a
        # `_`, a `\\u` escape or non-ASCII bytes in the frame (see common.is_plain_text)
        if 95 in payload or 92 in payload or not payload.isascii():
            _check_levels(raw_bids, bids, "b")
            _check_levels(raw_asks, asks, "a")
        raw = {"a": raw_asks, "b": raw_bids}
        ts_event = self._event_time(ts, latest)
        if snapshot:
            return BookSnapshot(iid, bids, asks, 0, ts_event, ts, raw, depth)
        return BookDelta(iid, bids, asks, 0, 0, ts_event, ts, checksum, raw)

    def _event_time(self, ts: int, latest: tuple[float, str]) -> int:
        """A book event's time: its latest level time (`latest`: as a float and its text),
        or the receive time when it has none."""
        ts_event = ts
        stamp = latest[1]
        if stamp:
            if not latest[0] < MAX_SECONDS:
                raise RowError(f"level time is not an epoch time: {shown(stamp)}", "time")
            whole, _, frac = stamp.partition(".")
            if whole == self._second and len(frac) <= 9 and frac.isdigit() and frac.isascii():
                # the second of the previous update, already checked and converted
                ts_event = self._second_ns + int(frac.ljust(9, "0"))
            else:
                try:
                    ts_event = epoch_to_ns(stamp)
                except ValueError as exc:
                    raise RowError(str(exc), "time") from None
                if (len(frac) <= 9 and frac.isdigit() and frac.isascii()
                        and ts_event - ts_event % NS_PER_SECOND + NS_PER_SECOND <= MAX_NS):
                    self._second = whole
                    self._second_ns = ts_event - int(frac.ljust(9, "0"))
        return ts_event

    def _read_snapshot(self, ts: int, payload: bytes) -> BookSnapshot | None:
        """A snapshot frame read by compiled code (frame_scan.kraken_snapshot), its levels
        and texts as views over what it read; None when the frame is not of the exact
        layout read there (then orjson and `_side` read it, with all their checks)."""
        from plugins.replay.formats import frame_scan  # compiled code: loaded when needed

        values, info = level_columns.scratch(len(payload))
        n_asks, n_levels, latest_at, name0, name1, depth = frame_scan.kraken_snapshot(
            np.frombuffer(payload, dtype=np.uint8), values, info, MAX_NS)
        if n_asks < 0:
            return None
        level_columns.exact(values, info, n_levels, payload)
        asks, bids = level_columns.tables(values, info, n_asks, n_levels)
        ask_texts, bid_texts = level_columns.spans(info, n_asks, n_levels)
        stamp = payload[latest_at:payload.index(b'"', latest_at)].decode("ascii")
        ts_event = self._event_time(ts, (float(stamp), stamp))
        return BookSnapshot(self.iid(payload[name0:name1].decode("ascii")), LevelView(bids),
                            LevelView(asks), 0, ts_event, ts,
                            LevelTexts(payload, {"a": ask_texts, "b": bid_texts}), depth,
                            {"a": asks, "b": bids})
