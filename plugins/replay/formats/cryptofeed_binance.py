"""Binance spot frames from cryptofeed captures, and the REST depth snapshots beside them.

Time rule: `ts_recv` is the capture's receive time (epoch seconds text, converted exactly).
`ts_event` is the venue's `E` (ms) for depth updates and klines, `T` for trades; spot
`bookTicker` frames carry no time, so their `ts_event` is the receive time. REST snapshots
carry no venue time either: both times are the line's receive time.

Every field is checked for the JSON type Binance sends before it is used, and a frame that
fails is a bad row naming the field: times (`E`, `T`, kline `t`/`T`) are integers (never
booleans, strings or arrays) inside the window of `timeparse` (1970 <= t < 2262); ids and
sequences (`U`, `u`, `lastUpdateId`, trade `a`/`t`, kline `n`) are integers 0 <= v < 2**63;
prices and sizes are strings holding plain finite numbers; book levels are [price, size]
string pairs; symbols are non-empty strings; `m` and kline `x` are booleans.

Frames decoded: depthUpdate, aggTrade, trade, bookTicker (spot without `e`, futures with
it), kline, and partial book depth (`lastUpdateId`, no `e`). Skipped silently (control
messages): subscription replies `{"result": ..., "id": ...}`. Every other frame is a bad row:
an unknown event type ("unknown Binance event '24hrTicker'"), an error reply
(`{"error": ...}`), or an object of no known shape.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import orjson

from plugins.replay.formats import level_columns
from plugins.replay.formats.base import MarketEvent, ReadReport, ReplayEvent
from plugins.replay.formats.common import (
    MAX_ID,
    SHOWN_CHARS,
    TRUNCATED,
    RowError,
    announce,
    clipped,
    float_columns,
    is_plain_number,
    is_plain_text,
    is_truncated,
    open_binary,
    shown,
    type_name,
)
from plugins.replay.formats.timeparse import MAX_MS, WINDOW, epoch_to_ns, interval_from_code
from terminal.model.ids import InstrumentId
from terminal.model.levels import LevelTexts, LevelView
from terminal.model.market import Aggressor, Bar, BookDelta, BookSnapshot, Level, Quote, Trade

VENUE = "BINANCE"
MS = 1_000_000
BULK_LEVELS = 16  # from this many levels, `common.float_columns` is the cheaper path
_PAIR = {2}
_HTTP_LINE = re.compile(r"https?://\S*binance\S*/depth\?\S* -> \d+(\.\d+)?: \{", re.ASCII)
_isfinite = math.isfinite


def _levels(raw: Any, field: str) -> list[Level]:
    """[[price, size], ...] (strings holding finite numbers) as floats, or RowError naming
    `field`. Digit separators and non-ASCII digits are left to `check_plain`, which only a
    frame failing `common.is_plain_text` needs."""
    if type(raw) is not list:
        raise RowError(f"expected an array of [price, size] levels, got {type_name(raw)}",
                       field)
    if len(raw) > BULK_LEVELS:
        columns = float_columns(raw, 2)  # C-level loops for snapshots
        if columns is not None and set(map(len, raw)) == _PAIR:
            return list(zip(columns[0], columns[1], strict=True))
    levels: list[Level] = []
    level: Any = None
    try:
        for level in raw:
            if type(level) is not list:
                raise ValueError
            price, size = level
            if type(price) is not str or type(size) is not str:
                raise ValueError
            pair = (float(price), float(size))
            total = pair[0] + pair[1]
            if total - total:  # NaN or inf: x - x is 0.0 only for a finite x
                raise ValueError
            levels.append(pair)
    except ValueError:
        raise RowError(f"level is not [price, size] strings holding finite numbers: "
                       f"{shown(level)}", field) from None
    return levels


def check_plain(raw: list[list[str]], field: str) -> None:
    """Each price and size text of already-parsed levels plain (`is_plain_number`)."""
    for texts in raw:
        if not (is_plain_number(texts[0]) and is_plain_number(texts[1])):
            raise RowError(f"level is not two plain numbers: {shown(texts)}", field)


def _number(value: Any, field: str) -> float:
    """A price or size: a string holding a plain finite number."""
    if type(value) is str and value.isascii() and "_" not in value:  # is_plain_number
        number = float(value)
        if _isfinite(number):
            return number
    raise RowError(f"expected a string holding a finite number, got {shown(value)}", field)


def _id(value: Any, field: str) -> int:
    """A sequence or trade id: an integer 0 <= v < 2**63 (not a bool, string or float)."""
    if type(value) is int and 0 <= value < MAX_ID:
        return value
    raise RowError(f"expected an integer id 0 <= id < 2**63, got {type_name(value)} "
                   f"{shown(value)}", field)


def _ms(value: Any, field: str) -> int:
    """A venue time: integer epoch ms inside the window, as ns."""
    if type(value) is int and 0 <= value < MAX_MS:
        return value * MS
    raise RowError(f"expected an integer epoch-ms time ({WINDOW}), got {type_name(value)} "
                   f"{shown(value)}", field)


def _flag(value: Any, field: str) -> bool:
    if type(value) is bool:
        return value
    raise RowError(f"expected a boolean, got {type_name(value)} {shown(value)}", field)


class BinanceDecoder:
    """Turns one parsed-on-demand frame into events. Keeps instrument ids interned."""

    def __init__(self) -> None:
        self._ids: dict[str, InstrumentId] = {}

    def iid(self, symbol: Any, field: str = "s") -> InstrumentId:
        if type(symbol) is not str:
            raise RowError(f"expected a symbol string, got {type_name(symbol)} "
                           f"{shown(symbol)}", field)
        iid = self._ids.get(symbol)
        if iid is None:
            if not symbol.strip():
                raise RowError("empty symbol", field)
            iid = self._ids[symbol] = InstrumentId(VENUE, symbol.upper())
        return iid

    def decode(self, ts: int, payload: bytes) -> Sequence[MarketEvent]:
        msg = orjson.loads(payload)
        if type(msg) is not dict:
            raise RowError(f"expected a JSON object, got {type_name(msg)}")
        data = msg.get("data", msg)
        if type(data) is not dict:
            raise RowError(f"expected an object, got {type_name(data)}", "data")
        kind = data.get("e")
        if kind == "depthUpdate":
            bids, asks = data["b"], data["a"]
            first, last, stamp = data["U"], data["u"], data["E"]
            if type(first) is not int or not 0 <= first < MAX_ID:
                _id(first, "U")
            if type(last) is not int or not 0 <= last < MAX_ID:
                _id(last, "u")
            if type(stamp) is not int or not 0 <= stamp < MAX_MS:
                _ms(stamp, "E")
            symbol = data["s"]
            iid = self._ids.get(symbol) if type(symbol) is str else None
            if iid is None:
                iid = self.iid(symbol)
            bid_levels, ask_levels = _levels(bids, "b"), _levels(asks, "a")
            if 95 in payload or 92 in payload or not payload.isascii():  # is_plain_text
                check_plain(bids, "b")
                check_plain(asks, "a")
            return (BookDelta(iid, bid_levels, ask_levels, first, last, stamp * MS, ts, None,
                              {"b": bids, "a": asks}),)
        if kind is None:
            if "A" in data and "B" in data:  # spot bookTicker: the only stream without "e"
                return (Quote(self.iid(data["s"]), _number(data["b"], "b"),
                              _number(data["B"], "B"), _number(data["a"], "a"),
                              _number(data["A"], "A"), ts, ts),)
            if "lastUpdateId" in data:  # partial book depth stream: symbol only in the name
                stream = msg["stream"]
                if type(stream) is not str or "@" not in stream:
                    raise RowError(f"expected a stream name `symbol@...`, got {shown(stream)}",
                                   "stream")
                bids, asks = data["bids"], data["asks"]
                snapshot = BookSnapshot(self.iid(stream.partition("@")[0], "stream"),
                                        _levels(bids, "bids"), _levels(asks, "asks"),
                                        _id(data["lastUpdateId"], "lastUpdateId"), ts, ts,
                                        {"b": bids, "a": asks})
                if not is_plain_text(payload):
                    check_plain(bids, "bids")
                    check_plain(asks, "asks")
                return (snapshot,)
            if "result" in data and "id" in data:
                return ()  # subscription replies ({"result": null, "id": 1}): control
            if "error" in data:
                raise RowError(f"error reply: {shown(data['error'])}", "error")
            raise RowError(f"unknown Binance frame (no event type): {shown(list(data)[:6])}",
                           "e")
        if kind == "aggTrade" or kind == "trade":
            # m = buyer is the maker, so the aggressor sold
            side = Aggressor.SELL if _flag(data["m"], "m") else Aggressor.BUY
            trade_id = (_id(data["a"], "a") if kind == "aggTrade" else _id(data["t"], "t"))
            return (Trade(self.iid(data["s"]), _number(data["p"], "p"),
                          _number(data["q"], "q"), side, str(trade_id), _ms(data["T"], "T"),
                          ts),)
        if kind == "bookTicker":  # futures streams do stamp it
            stamp = _ms(data["T"], "T") if "T" in data else _ms(data["E"], "E")
            return (Quote(self.iid(data["s"]), _number(data["b"], "b"),
                          _number(data["B"], "B"), _number(data["a"], "a"),
                          _number(data["A"], "A"), stamp, ts),)
        if kind == "kline":
            return (self._kline(data),)
        if type(kind) is not str:
            raise RowError(f"expected an event type string, got {type_name(kind)}", "e")
        raise RowError(f"unknown Binance event {shown(kind)}", "e")

    def _kline(self, data: dict[str, Any]) -> Bar:
        k = data["k"]
        if type(k) is not dict:
            raise RowError(f"expected an object, got {type_name(k)}", "k")
        code = k["i"]
        if type(code) is not str:
            raise RowError(f"expected an interval string, got {type_name(code)}", "i")
        try:
            interval = interval_from_code(code)
        except ValueError as exc:
            raise RowError(str(exc), "i") from None
        start = _ms(k["t"], "t")
        if "T" in k:
            _ms(k["T"], "T")  # the close time: unused, but a bad one marks a bad frame
        trades = k["n"]
        if type(trades) is not int or not 0 <= trades < MAX_ID:
            raise RowError(f"expected a trade count integer, got {shown(trades)}", "n")
        return Bar(self.iid(data["s"]), interval, start, _number(k["o"], "o"),
                   _number(k["h"], "h"), _number(k["l"], "l"), _number(k["c"], "c"),
                   _number(k["v"], "v"), trades, _flag(k["x"], "x"))


def stream_symbols(url: str) -> set[str]:
    """Upper-case symbols named by a stream URL (`?streams=a@x/b@y` or `/ws/a@x`)."""
    parts = urlsplit(url)
    names = parse_qs(parts.query).get("streams", [""])[0].split("/")
    if "/ws/" in parts.path:
        names += parts.path.split("/ws/", 1)[1].split("/")
    return {name.partition("@")[0].upper() for name in names if "@" in name}


def read_http_snapshots(path: Path, report: ReadReport, decoder: BinanceDecoder,
                        source: str | None = None
                        ) -> Iterator[tuple[int, BookSnapshot]]:
    """`<url> -> <ts>: <body>` lines of REST `/depth` answers as BookSnapshots.

    Lines for other endpoints are skipped (not bad). `source` tags problems when this file
    is merged into another file's report.
    """
    with open_binary(path) as fh:
        lineno = 0
        for lineno, line in enumerate(fh, 1):
            if not line.endswith(b"\n") and is_truncated(fh):
                report.add_problem(lineno, TRUNCATED, source=source)
                return
            if not line.strip():
                continue
            url, sep, rest = line.partition(b" -> ")
            stamp, sep2, body = rest.partition(b": ")
            if not sep or not sep2:
                report.add_problem(lineno, "not a `<url> -> <ts>: <body>` line", source=source)
                continue
            query = urlsplit(url.decode("ascii", "replace"))
            if not query.path.endswith("/depth"):
                continue
            try:
                try:
                    ts = epoch_to_ns(stamp.decode("ascii", "replace"))
                except ValueError as exc:
                    raise RowError(str(exc), "receive time") from None
                symbols = parse_qs(query.query).get("symbol")
                if not symbols:
                    raise RowError("no symbol in the URL", "symbol")
                iid = decoder.iid(symbols[0], "symbol")
                snapshot = _read_depth(iid, body, ts)
                if snapshot is None:  # not of the exact layout read by compiled code
                    book = orjson.loads(body)
                    if type(book) is not dict:
                        raise RowError(f"expected a JSON object, got {type_name(book)}")
                    bids, asks = book["bids"], book["asks"]
                    snapshot = BookSnapshot(iid, _levels(bids, "bids"), _levels(asks, "asks"),
                                            _id(book["lastUpdateId"], "lastUpdateId"), ts, ts,
                                            {"b": bids, "a": asks})
                    if not is_plain_text(body):
                        check_plain(bids, "bids")
                        check_plain(asks, "asks")
            except RowError as exc:
                report.add_problem(lineno, f"bad REST depth line: {exc.reason}", exc.field,
                                   source=source)
                continue
            except KeyError as exc:
                report.add_problem(lineno, "missing field", str(exc.args[0])[:SHOWN_CHARS],
                                   source=source)
                continue
            except (ValueError, TypeError, OverflowError, UnicodeDecodeError) as exc:
                report.add_problem(lineno, f"bad REST depth line: {clipped(str(exc))}",
                                   source=source)
                continue
            report.rows += 1
            yield ts, snapshot
        if is_truncated(fh):
            report.add_problem(lineno + 1, TRUNCATED, source=source)


def _read_depth(iid: InstrumentId, body: bytes, ts: int) -> BookSnapshot | None:
    """A REST depth answer read by compiled code (frame_scan.binance_depth), its levels and
    texts as views over what it read; None when it is not of the exact layout read there.
    """
    from plugins.replay.formats import frame_scan  # compiled code: loaded when needed

    values, info = level_columns.scratch(len(body))
    n_bids, n_levels, last_update = frame_scan.binance_depth(
        np.frombuffer(body, dtype=np.uint8), values, info)
    if n_bids < 0:
        return None
    bids, asks = level_columns.tables(values, info, n_bids, n_levels)
    bid_texts, ask_texts = level_columns.spans(info, n_bids, n_levels)
    return BookSnapshot(iid, LevelView(bids), LevelView(asks), last_update, ts, ts,
                        LevelTexts(body, {"b": bid_texts, "a": ask_texts}),
                        columns={"b": bids, "a": asks})


def snapshot_siblings(ws_path: Path) -> list[Path]:
    """The REST capture files a Binance websocket capture merges in (see sibling_snapshots)."""
    return [http for http in sorted(ws_path.parent.glob("*BINANCE.http.*"))
            if http != ws_path and http.is_file()]


def sibling_snapshots(ws_path: Path, url: str, report: ReadReport,
                      decoder: BinanceDecoder) -> list[tuple[int, BookSnapshot]]:
    """REST depth snapshots from `*BINANCE.http.*` files in the capture's folder, in time
    order (stable), limited to the symbols the stream URL subscribes to when it names any."""
    symbols = stream_symbols(url)
    found: list[tuple[int, BookSnapshot]] = []
    for http in snapshot_siblings(ws_path):
        for ts, snap in read_http_snapshots(http, report, decoder, source=str(http)):
            if not symbols or snap.instrument_id.symbol in symbols:
                found.append((ts, snap))
        report.note(f"merged REST depth snapshots from {http.name}")
    found.sort(key=lambda item: item[0])
    return found


class CryptofeedBinanceHttp:
    """cryptofeed REST capture of Binance `GET /api/v3/depth` answers (one per line).

    Each line becomes a BookSnapshot with sequence = lastUpdateId, stamped with the line's
    receive time (the REST answer has no venue time).
    """

    name = "cryptofeed-http"
    description = "cryptofeed REST capture of Binance depth snapshots (<url> -> <ts>: <json>)"

    def sniff(self, path: Path, head: str) -> bool:
        return _HTTP_LINE.match(head.lstrip()) is not None

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        return announce(read_http_snapshots(path, report, BinanceDecoder()), report)

