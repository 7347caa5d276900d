"""Tardis.dev order-book CSVs: `incremental_book_L2` and `book_snapshot_N`.

Time rule as for every Tardis file (`tardis_csv`): µs epochs, `timestamp` = ts_event,
`local_timestamp` = ts_recv and replay time. Neither dataset has update ids: sequences are 0.

- incremental_book_L2 (`is_snapshot,side,price,amount`): consecutive rows with the same
  instrument, is_snapshot flag and both timestamps form one event: a BookSnapshot when the
  rows are snapshot rows, else a BookDelta (amount 0 deletes a level).
- book_snapshot_N (`asks[0].price,asks[0].amount,bids[0].price,...`, asks and bids
  interleaved by level): one BookSnapshot per row; empty levels (thin books) are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path

from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.common import RowError, announce, number, shown
from plugins.replay.formats.tardis_csv import TardisRows, tardis_keys
from terminal.model.ids import InstrumentId
from terminal.model.market import BookDelta, BookSnapshot, Level

_LEVEL = re.compile(r"(asks|bids)\[(\d{1,6})\]\.(price|amount)$", re.ASCII)
_FLAGS = {"true": True, "false": False}

# instrument, is_snapshot, ts_event, ts_recv, is_bid, price, amount, price text, amount text
L2Row = tuple[InstrumentId, bool, int, int, bool, float, float, str, str]


class TardisBookL2:
    name = "tardis-book-l2"
    description = "Tardis.dev incremental_book_L2 CSV (snapshot rows and level updates)"
    _COLUMNS = ("issnapshot", "side", "price", "amount")

    def sniff(self, path: Path, head: str) -> bool:
        keys = tardis_keys(head)
        return all(key in keys for key in self._COLUMNS)

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        return announce(self._books(path, report), report)

    def _rows(self, path: Path, report: ReadReport) -> Iterator[L2Row]:
        tardis = TardisRows(path, report, self._COLUMNS)
        for line, fields in tardis.rows():
            try:
                ts_event, ts_recv = tardis.times(fields)
                flag = _FLAGS.get(fields[tardis.col["issnapshot"]].strip().lower())
                if flag is None:
                    raise RowError("is_snapshot is not true/false", "is_snapshot")
                side = fields[tardis.col["side"]].strip().lower()
                if side not in ("bid", "ask"):
                    raise RowError(f"unknown side {shown(side)}", "side")
                price_text = fields[tardis.col["price"]].strip()
                amount_text = fields[tardis.col["amount"]].strip()
                row = (tardis.iid(fields), flag, ts_event, ts_recv, side == "bid",
                       tardis.number(fields, "price"), tardis.number(fields, "amount"),
                       price_text, amount_text)
            except RowError as exc:
                report.add_problem(line, exc.reason, exc.field)
                continue
            report.rows += 1
            yield row

    def _books(self, path: Path,
               report: ReadReport) -> Iterator[tuple[int, BookSnapshot | BookDelta]]:
        rows = self._rows(path, report)
        for (iid, snapshot, ts_event, ts_recv), group in groupby(rows, key=lambda r: r[:4]):
            bids: list[Level] = []
            asks: list[Level] = []
            raw: dict[str, list[list[str]]] = {"b": [], "a": []}
            for row in group:
                (bids if row[4] else asks).append((row[5], row[6]))
                raw["b" if row[4] else "a"].append([row[7], row[8]])
            if snapshot:
                yield ts_recv, BookSnapshot(iid, bids, asks, 0, ts_event, ts_recv, raw)
            else:
                yield ts_recv, BookDelta(iid, bids, asks, 0, 0, ts_event, ts_recv, None, raw)


class TardisBookSnapshot:
    name = "tardis-book-snapshot"
    description = "Tardis.dev book_snapshot_N CSV (one top-N book per row)"

    def sniff(self, path: Path, head: str) -> bool:
        keys = tardis_keys(head)
        return "asks[0].price" in keys and "bids[0].price" in keys

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        return announce(self._books(path, report), report)

    def _books(self, path: Path, report: ReadReport) -> Iterator[tuple[int, BookSnapshot]]:
        tardis = TardisRows(path, report, ("asks[0].price", "bids[0].price"))
        levels: list[tuple[bool, int, int]] | None = None  # (is_bid, price col, amount col)
        for line, fields in tardis.rows():
            if levels is None:
                levels = self._levels(tardis.names)
            try:
                ts_event, ts_recv = tardis.times(fields)
                bids: list[Level] = []
                asks: list[Level] = []
                raw: dict[str, list[list[str]]] = {"b": [], "a": []}
                for is_bid, p, a in levels:
                    price_text, amount_text = fields[p].strip(), fields[a].strip()
                    if not price_text:
                        continue
                    level = (number(price_text, tardis.names[p]),
                             number(amount_text, tardis.names[a]))
                    (bids if is_bid else asks).append(level)
                    raw["b" if is_bid else "a"].append([price_text, amount_text])
                book = BookSnapshot(tardis.iid(fields), bids, asks, 0, ts_event, ts_recv, raw)
            except RowError as exc:
                report.add_problem(line, exc.reason, exc.field)
                continue
            report.rows += 1
            yield ts_recv, book

    @staticmethod
    def _levels(names: list[str]) -> list[tuple[bool, int, int]]:
        prices: dict[tuple[str, int], int] = {}
        amounts: dict[tuple[str, int], int] = {}
        for index, name in enumerate(names):
            m = _LEVEL.match(name.strip())
            if m:
                target = prices if m.group(3) == "price" else amounts
                target[(m.group(1), int(m.group(2)))] = index
        order = sorted(prices, key=lambda k: (k[1], k[0]))
        return [(side == "bids", prices[(side, depth)], amounts[(side, depth)])
                for side, depth in order if (side, depth) in amounts]
