"""Binance spot frames from cryptofeed captures, and the REST depth snapshots beside them.

Time rule: `ts_recv` is the capture's receive time (epoch seconds text, converted exactly).
`ts_event` is the venue's `E` (ms) for depth updates and klines, `T` for trades; spot
`bookTicker` frames carry no time, so their `ts_event` is the receive time. REST snapshots
carry no venue time either: both times are the line's receive time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from plugins.replay.formats.base import MarketEvent, ReadReport, ReplayEvent
from plugins.replay.formats.common import announce, open_binary
from plugins.replay.formats.timeparse import epoch_to_ns, interval_from_code
from terminal.model.ids import InstrumentId
from terminal.model.market import Aggressor, Bar, BookDelta, BookSnapshot, Level, Quote, Trade

VENUE = "BINANCE"
MS = 1_000_000
_HTTP_LINE = re.compile(r"https?://\S*binance\S*/depth\?\S* -> \d+(\.\d+)?: \{")


def _levels(raw: list[list[str]]) -> list[Level]:
    return [(float(price), float(qty)) for price, qty in raw]


class BinanceDecoder:
    """Turns one parsed-on-demand frame into events. Keeps instrument ids interned."""

    def __init__(self) -> None:
        self._ids: dict[str, InstrumentId] = {}

    def iid(self, symbol: str) -> InstrumentId:
        iid = self._ids.get(symbol)
        if iid is None:
            iid = self._ids[symbol] = InstrumentId(VENUE, symbol.upper())
        return iid

    def decode(self, ts: int, payload: bytes) -> Sequence[MarketEvent]:
        msg = orjson.loads(payload)
        data: dict[str, Any] = msg.get("data", msg)
        kind = data.get("e")
        if kind == "depthUpdate":
            bids, asks = data["b"], data["a"]
            return (BookDelta(self.iid(data["s"]), _levels(bids), _levels(asks), data["U"],
                              data["u"], data["E"] * MS, ts, None, {"b": bids, "a": asks}),)
        if kind is None:
            if "A" in data and "B" in data:  # spot bookTicker: the only stream without "e"
                return (Quote(self.iid(data["s"]), float(data["b"]), float(data["B"]),
                              float(data["a"]), float(data["A"]), ts, ts),)
            if "lastUpdateId" in data:  # partial book depth stream: symbol only in the name
                symbol = msg["stream"].partition("@")[0]
                bids, asks = data["bids"], data["asks"]
                return (BookSnapshot(self.iid(symbol), _levels(bids), _levels(asks),
                                     data["lastUpdateId"], ts, ts, {"b": bids, "a": asks}),)
            return ()  # subscription replies ({"result": null, "id": 1})
        if kind == "aggTrade" or kind == "trade":
            # m = buyer is the maker, so the aggressor sold
            side = Aggressor.SELL if data["m"] else Aggressor.BUY
            trade_id = data["a"] if kind == "aggTrade" else data["t"]
            return (Trade(self.iid(data["s"]), float(data["p"]), float(data["q"]), side,
                          str(trade_id), data["T"] * MS, ts),)
        if kind == "bookTicker":  # futures streams do stamp it
            return (Quote(self.iid(data["s"]), float(data["b"]), float(data["B"]),
                          float(data["a"]), float(data["A"]), data.get("T", data["E"]) * MS,
                          ts),)
        if kind == "kline":
            k = data["k"]
            return (Bar(self.iid(data["s"]), interval_from_code(k["i"]), k["t"] * MS,
                        float(k["o"]), float(k["h"]), float(k["l"]), float(k["c"]),
                        float(k["v"]), int(k["n"]), bool(k["x"])),)
        return ()


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
        for lineno, line in enumerate(fh, 1):
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
                ts = epoch_to_ns(stamp.decode("ascii"))
                symbol = parse_qs(query.query)["symbol"][0]
                book = orjson.loads(body)
                bids, asks = book["bids"], book["asks"]
                snapshot = BookSnapshot(decoder.iid(symbol), _levels(bids), _levels(asks),
                                        int(book["lastUpdateId"]), ts, ts,
                                        {"b": bids, "a": asks})
            except KeyError as exc:
                report.add_problem(lineno, "missing field", str(exc.args[0]), source=source)
                continue
            except (ValueError, TypeError, UnicodeDecodeError) as exc:
                report.add_problem(lineno, f"bad REST depth line: {exc}", source=source)
                continue
            report.rows += 1
            yield ts, snapshot


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

