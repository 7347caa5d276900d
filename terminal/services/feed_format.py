"""The `ttrec` feed recording format: records and frames, encoded and decoded side by side.

File layout (integers little-endian):

    magic    6 bytes   b"TTREC\\n"
    version  u16       FORMAT_VERSION
    header   u32 n, then n bytes of JSON: {"created_ns", "writer", "codec"}
    frames   repeated: u32 n, then n bytes of one complete zlib stream

Each frame inflates to a JSON array of records, and frames are independent of each other's
compression, so a file cut anywhere keeps every frame before the cut. A record is a JSON
array whose first item is its kind:

    [0, index, venue, symbol]                                 names an instrument id
    [1, dts, iid, base, quote, tick_size, lot_size, min_qty, max_qty, min_notional,
        trading, price_precision, size_precision, info]       Instrument
    [2, dts, iid, bid, bid_size, ask, ask_size, d_recv, d_event]             Quote
    [3, dts, iid, price, size, aggressor, trade_id, d_recv, d_event]         Trade
    [4, dts, iid, interval_ns, d_bar, open, high, low, close, volume, trades, closed]  Bar
    [5, dts, iid, bids, asks, sequence, d_recv, d_event, raw, depth]         BookSnapshot
    [6, dts, iid, bids, asks, first_sequence, d_sequence, d_recv, d_event, checksum, raw]
                                                                             BookDelta

Instrument ids are numbered file-wide by a kind-0 record before their first use (`iid` is
that number). Record times are deltas to keep the file small: `dts` is the record's time
minus the previous record's time in the same frame (the first of a frame counts from 0);
`d_recv = ts_recv - record time`, `d_event = ts_event - ts_recv`, `d_bar = bar.ts - record
time`, `d_sequence = sequence - first_sequence`. Decimals are their exact `str()`. Floats are
JSON numbers in shortest round-trip form; a non-finite one is the string "nan", "inf" or
"-inf" (JSON has none). Book sides are [[price, size], ...], or {"f": [[price, size], ...]}
when one of them is not finite, so the common case needs no look at each number.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import orjson

from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.levels import as_lists
from terminal.model.market import Aggressor, Bar, BookDelta, BookSnapshot, Level, Quote, Trade

MAGIC = b"TTREC\n"
FORMAT_VERSION = 1
CODEC = "zlib"
PREAMBLE = struct.Struct("<HI")  # version, header length
FRAME_PREFIX = struct.Struct("<I")
MAX_FRAME_BYTES = 1 << 28  # a larger length prefix can only be damage

ID, INSTRUMENT, QUOTE, TRADE, BAR, SNAPSHOT, DELTA = range(7)
KIND_NAMES = ("instrument_id", "instrument", "quote", "trade", "bar", "book_snapshot",
              "book_delta")

Event = Instrument | Quote | Trade | Bar | BookSnapshot | BookDelta
Record = list[Any]

_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_AGGRESSORS = {a.value: a for a in Aggressor}


class RecordError(Exception):
    """A record this reader cannot turn into an event."""


def header_bytes(created_ns: int, writer: str) -> bytes:
    header = orjson.dumps({"created_ns": created_ns, "writer": writer, "codec": CODEC})
    return MAGIC + PREAMBLE.pack(FORMAT_VERSION, len(header)) + header


def frame_bytes(payload: bytes, level: int) -> bytes:
    body = zlib.compress(payload, level)
    return FRAME_PREFIX.pack(len(body)) + body


def decode_frame(body: bytes) -> list[Record]:
    """The records of one frame; zlib.error or orjson.JSONDecodeError when it is damaged."""
    records = orjson.loads(zlib.decompress(body))
    if type(records) is not list:
        raise RecordError("a frame is not an array of records")
    return records


# encoding ---------------------------------------------------------------------------------

def _num(value: float) -> float | str:
    if value - value == 0.0:  # false for NaN and both infinities
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _side(levels: Sequence[Level]) -> list[Level] | dict[str, list[list[float | str]]]:
    if type(levels) is not list:
        levels = list(levels)  # a view over a reader's columns
    if not levels:
        return levels
    total = sum(map(sum, levels))
    if total - total == 0.0:  # all finite (an overflow to inf only costs the slow path)
        return levels
    return {"f": [[_num(price), _num(size)] for price, size in levels]}


class RecordEncoder:
    """Turns events into records, numbering instruments as they first appear.

    `last_ts` is the time of the frame's last written record: the caller moves it (and calls
    `new_frame`), because only it knows whether a record made it into the frame.
    """

    def __init__(self, on_new_id: Callable[[Record], None]) -> None:
        self._on_new_id = on_new_id
        self._ids: dict[InstrumentId, int] = {}
        self.last_ts = 0
        self._table: dict[type, Callable[[int, Any, int], Record]] = {
            Instrument: self._instrument, Quote: self._quote, Trade: self._trade,
            Bar: self._bar, BookSnapshot: self._snapshot, BookDelta: self._delta}

    def new_frame(self) -> None:
        self.last_ts = 0

    def encode(self, ts: int, event: Event) -> Record:
        """The event's record; TypeError for what is not a market data event."""
        encode = self._table.get(type(event))
        if encode is None:
            raise TypeError(f"not a market data event: {type(event).__name__}")
        iid = event.id if isinstance(event, Instrument) else event.instrument_id
        index = self._ids.get(iid)
        if index is None:
            index = len(self._ids)
            self._on_new_id([ID, index, iid.venue, iid.symbol])
            self._ids[iid] = index
        return encode(ts, event, index)

    def _instrument(self, ts: int, i: Instrument, index: int) -> Record:
        return [INSTRUMENT, ts - self.last_ts, index, i.base, i.quote, str(i.tick_size),
                str(i.lot_size), str(i.min_qty), str(i.max_qty), str(i.min_notional),
                i.trading, i.price_precision, i.size_precision, i.info]

    def _quote(self, ts: int, q: Quote, index: int) -> Record:
        recv = q.ts_recv
        return [QUOTE, ts - self.last_ts, index, _num(q.bid), _num(q.bid_size), _num(q.ask),
                _num(q.ask_size), recv - ts, q.ts_event - recv]

    def _trade(self, ts: int, t: Trade, index: int) -> Record:
        recv = t.ts_recv
        return [TRADE, ts - self.last_ts, index, _num(t.price), _num(t.size),
                t.aggressor.value, t.trade_id, recv - ts, t.ts_event - recv]

    def _bar(self, ts: int, b: Bar, index: int) -> Record:
        return [BAR, ts - self.last_ts, index, b.interval_ns, b.ts - ts, _num(b.open),
                _num(b.high), _num(b.low), _num(b.close), _num(b.volume), b.trades, b.closed]

    def _snapshot(self, ts: int, s: BookSnapshot, index: int) -> Record:
        recv = s.ts_recv
        return [SNAPSHOT, ts - self.last_ts, index, _side(s.bids), _side(s.asks), s.sequence,
                recv - ts, s.ts_event - recv, as_lists(s.raw), s.depth]

    def _delta(self, ts: int, d: BookDelta, index: int) -> Record:
        recv = d.ts_recv
        return [DELTA, ts - self.last_ts, index, _side(d.bids), _side(d.asks), d.first_sequence,
                d.sequence - d.first_sequence, recv - ts, d.ts_event - recv,
                d.checksum, d.raw]


# decoding ---------------------------------------------------------------------------------

def _float(value: Any) -> Any:
    return _NON_FINITE[value] if type(value) is str else value


def _levels(side: Any) -> list[Level]:
    if type(side) is list:
        return list(map(tuple, side))
    return [(_float(price), _float(size)) for price, size in side["f"]]


class RecordDecoder:
    """Turns records back into (ts, event). Feed it every record of a file in order."""

    def __init__(self) -> None:
        self._ids: dict[int, InstrumentId] = {}
        self.last_ts = 0
        self._table: dict[int, Callable[[int, InstrumentId, Record], Event]] = {
            INSTRUMENT: _instrument, QUOTE: _quote, TRADE: _trade, BAR: _bar,
            SNAPSHOT: _snapshot, DELTA: _delta}

    def new_frame(self) -> None:
        self.last_ts = 0

    def decode(self, record: Any) -> tuple[int, Event] | None:
        """(ts, event), or None for an id record. RecordError when the record is bad."""
        try:
            kind = record[0]
            if kind == ID:
                self._ids[record[1]] = InstrumentId(record[2], record[3])
                return None
            decode = self._table.get(kind)
            if decode is None:
                raise RecordError(f"unknown record kind {str(kind)[:20]!r}")
            # the time moves even when the rest of the record is bad: later ones count from it
            ts = self.last_ts + record[1]
            self.last_ts = ts
            iid = self._ids.get(record[2])
            if iid is None:
                raise RecordError(f"instrument number {str(record[2])[:20]} was never named")
            return ts, decode(ts, iid, record)
        except RecordError:
            raise
        except (TypeError, ValueError, IndexError, KeyError, ArithmeticError) as exc:
            raise RecordError(f"malformed record: {type(exc).__name__}: {exc}"[:200]) from None


def _instrument(ts: int, iid: InstrumentId, r: Record) -> Instrument:
    return Instrument(iid, r[3], r[4], Decimal(r[5]), Decimal(r[6]), Decimal(r[7]),
                      Decimal(r[8]), Decimal(r[9]), r[10], r[11], r[12], r[13])


def _quote(ts: int, iid: InstrumentId, r: Record) -> Quote:
    recv = ts + r[7]
    return Quote(iid, _float(r[3]), _float(r[4]), _float(r[5]), _float(r[6]), recv + r[8], recv)


def _trade(ts: int, iid: InstrumentId, r: Record) -> Trade:
    recv = ts + r[7]
    return Trade(iid, _float(r[3]), _float(r[4]), _AGGRESSORS[r[5]], r[6], recv + r[8], recv)


def _bar(ts: int, iid: InstrumentId, r: Record) -> Bar:
    return Bar(iid, r[3], ts + r[4], _float(r[5]), _float(r[6]), _float(r[7]), _float(r[8]),
               _float(r[9]), r[10], r[11])


def _snapshot(ts: int, iid: InstrumentId, r: Record) -> BookSnapshot:
    recv = ts + r[6]
    return BookSnapshot(iid, _levels(r[3]), _levels(r[4]), r[5], recv + r[7], recv, r[8], r[9])


def _delta(ts: int, iid: InstrumentId, r: Record) -> BookDelta:
    recv = ts + r[7]
    return BookDelta(iid, _levels(r[3]), _levels(r[4]), r[5], r[5] + r[6], recv + r[8], recv,
                     r[9], r[10])
