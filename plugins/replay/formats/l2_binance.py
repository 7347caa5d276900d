"""Binance public-data T_DEPTH CSV (data.binance.vision `bookDepth`/`depth` dumps):
`symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu`.

Time rule: `timestamp` is epoch ms UTC and is both ts_event and ts_recv.
Consecutive rows with the same (symbol, timestamp, first_update_id, last_update_id,
update_type) form one event: `snap` rows one BookSnapshot (sequence = last_update_id),
`set` rows one BookDelta (sequence = last_update_id; first_sequence = pu + 1 when the `pu`
column holds the previous event's last id, as on futures streams, so the generic "first ==
previous + 1" check becomes futures' "pu == previous u"; else first_update_id).
qty 0 deletes a level. Price/qty strings are kept in `raw`. The venue is BINANCE (the file
does not say spot or futures; the `pu` column suggests USD-M futures). Ids are ASCII-digit
integers below 2**63 and timestamps lie in the `timeparse` window; a row breaking that is a
bad row.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from pathlib import Path

from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.common import (
    MAX_ID,
    RowError,
    announce,
    csv_records,
    digits,
    head_records,
    header_key,
    need_fields,
    number,
    open_text,
    shown,
)
from plugins.replay.formats.timeparse import ms_to_ns
from terminal.core.errors import DataError
from terminal.model.ids import InstrumentId
from terminal.model.market import BookDelta, BookSnapshot, Level

VENUE = "BINANCE"
KEYS = ["symbol", "timestamp", "firstupdateid", "lastupdateid", "side", "updatetype", "price",
        "qty"]

# (symbol, ts, first id, last id, is snapshot), is_bid, price, qty, price text, qty text
DepthRow = tuple[tuple[str, int, int, int, bool], bool, float, float, str, str]


def _timestamp(text: str) -> int:
    try:
        return ms_to_ns(digits(text, "timestamp"))
    except ValueError as exc:
        raise RowError(str(exc), "timestamp") from None


class BinanceDepthCsv:
    name = "binance-depth-csv"
    description = "Binance public-data T_DEPTH CSV (snap/set rows grouped into book events)"

    def sniff(self, path: Path, head: str) -> bool:
        records = head_records(head, 1)
        keys = [header_key(name) for name in records[0]] if records else []
        return keys[: len(KEYS)] == KEYS

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        return announce(self._books(path, report), report)

    def _rows(self, path: Path, report: ReadReport) -> Iterator[DepthRow]:
        with open_text(path) as fh:
            records = csv_records(fh, report)
            first = next(records, None)
            if first is None:
                return
            names = [name.strip() for name in first[1]]
            if [header_key(n) for n in names][: len(KEYS)] != KEYS:
                raise DataError("not a Binance T_DEPTH header", source=str(path), line=1)
            for line, fields in records:
                try:
                    need_fields(fields, names)
                    side, kind = fields[4].strip(), fields[5].strip()
                    if side not in ("a", "b"):
                        raise RowError(f"unknown side {shown(side)}", "side")
                    if kind not in ("snap", "set"):
                        raise RowError(f"unknown update_type {shown(kind)}", "update_type")
                    symbol = fields[0].strip()
                    if not symbol:
                        raise RowError("empty symbol", "symbol")
                    first_id = digits(fields[2], "first_update_id")
                    pu = fields[8].strip() if len(fields) > 8 else ""
                    # -1 on snapshots; pu + 1 must stay an int64 id
                    previous = digits(pu, "pu") if pu.isascii() and pu.isdigit() else -1
                    if previous >= MAX_ID - 1:
                        raise RowError(f"not an id below 2**63 - 1: {shown(pu)}", "pu")
                    key = (symbol, _timestamp(fields[1]),
                           previous + 1 if previous >= 0 else first_id,
                           digits(fields[3], "last_update_id"), kind == "snap")
                    row = (key, side == "b", number(fields[6], "price"),
                           number(fields[7], "qty"), fields[6].strip(), fields[7].strip())
                except RowError as exc:
                    report.add_problem(line, exc.reason, exc.field)
                    continue
                report.rows += 1
                yield row

    def _books(self, path: Path,
               report: ReadReport) -> Iterator[tuple[int, BookSnapshot | BookDelta]]:
        ids: dict[str, InstrumentId] = {}
        for key, group in groupby(self._rows(path, report), key=lambda r: r[0]):
            symbol, ts, first_id, last_id, snapshot = key
            iid = ids.get(symbol)
            if iid is None:
                iid = ids[symbol] = InstrumentId(VENUE, symbol.upper())
            bids: list[Level] = []
            asks: list[Level] = []
            raw: dict[str, list[list[str]]] = {"b": [], "a": []}
            for _, is_bid, price, qty, price_text, qty_text in group:
                (bids if is_bid else asks).append((price, qty))
                raw["b" if is_bid else "a"].append([price_text, qty_text])
            if snapshot:
                yield ts, BookSnapshot(iid, bids, asks, last_id, ts, ts, raw)
            else:
                yield ts, BookDelta(iid, bids, asks, first_id, last_id, ts, ts, None, raw)
