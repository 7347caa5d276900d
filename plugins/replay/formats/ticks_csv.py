"""Trade and quote CSV files with a header, read by column name.

Time rule (all three formats): the time column is parsed by `timeparse.make_time_parser`
from the first rows: integer epochs get their unit from their length (13 digits = ms),
tz-aware ISO values are converted to UTC, naive ones are UTC, and `a/b/YYYY` dates are
ordered by `timeparse.choose_day_first` (a number above 12 decides; when nothing decides,
as in backtrader's bidask.csv `02/03/2010`, month-first: 2010-02-03, which is how backtrader's
own sample reads that file). The decision is written to `report.notes`.
`ts_event` = `ts_recv` = the row's time (the files record one time only).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from itertools import chain, islice
from pathlib import Path

from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.common import (
    PEEK_ROWS,
    SNIFF_ROWS,
    RowError,
    announce,
    csv_records,
    default_instrument_id,
    head_records,
    header_key,
    mostly,
    need_fields,
    number,
    open_text,
    optional_number,
    shown,
)
from plugins.replay.formats.ohlcv_csv import OHLC_KEYS, TIME_KEYS, bar_layout
from plugins.replay.formats.timeparse import make_time_parser
from terminal.core.errors import DataError
from terminal.model.ids import InstrumentId
from terminal.model.market import Aggressor, Quote, Trade

NAN = math.nan
SIZE_KEYS = ("amount", "size", "qty", "quantity", "volume")
BID_SIZE_KEYS = ("bidsize", "bidvolume", "bidamount", "bidqty", "bidvol")
ASK_SIZE_KEYS = ("asksize", "askvolume", "askamount", "askqty", "askvol")
_SIDES = {"buy": Aggressor.BUY, "b": Aggressor.BUY, "sell": Aggressor.SELL, "s": Aggressor.SELL}
_FRACTIONAL_TIME = re.compile(r".*\d:\d{2}:\d{2}[.,]\d+", re.ASCII)

TickEvent = Quote | Trade
RowParser = Callable[[list[str], int], TickEvent]


def _find(keys: list[str], candidates: tuple[str, ...]) -> int | None:
    return next((keys.index(key) for key in candidates if key in keys), None)


def _require(keys: list[str], candidates: tuple[str, ...], path: Path) -> int:
    found = _find(keys, candidates)
    if found is None:
        raise DataError(f"no {'/'.join(candidates)} column in the header", source=str(path),
                        line=1)
    return found


def _time_column(keys: list[str]) -> int | None:
    found = [keys.index(key) for key in TIME_KEYS if key in keys]
    return min(found) if found else None


def _read_ticks(path: Path, report: ReadReport,
                build: Callable[[list[str], list[str], Callable[[str], int]], RowParser],
                time_index: Callable[[list[str]], int]) -> Iterator[tuple[int, TickEvent]]:
    """Shared loop: header, peek for the time rule, then one event per good row.

    `build(names, keys, parse_time)` returns the row parser; `time_index(keys)` the column.
    """
    with open_text(path) as fh:
        records = csv_records(fh, report)
        first = next(records, None)
        if first is None:
            return
        names = [name.strip() or "index" for name in first[1]]
        keys = [header_key(name) for name in first[1]]
        t = time_index(keys)
        peek = list(islice(records, PEEK_ROWS))
        parse_time, note = make_time_parser([f[t] for _, f in peek if len(f) > t])
        if note:
            report.note(note)
        parse_row = build(names, keys, parse_time)
        for line, fields in chain(peek, records):
            try:
                need_fields(fields, names)
                try:
                    ts = parse_time(fields[t])
                except ValueError as exc:
                    raise RowError(str(exc), names[t]) from None
                event = parse_row(fields, ts)
            except RowError as exc:
                report.add_problem(line, exc.reason, exc.field)
                continue
            report.rows += 1
            yield ts, event


def _required_time(source: str) -> Callable[[list[str]], int]:
    def index(keys: list[str]) -> int:
        found = _time_column(keys)
        if found is None:
            raise DataError("no time column in the header", source=source, line=1)
        return found
    return index


class BacktraderTicks:
    """backtrader tick files: trades written as bars with O=H=L=C (`ticksample.csv`).

    Each row is a Trade at the close price with size = Volume (aggressor unknown, no id).
    Time rule: naive ISO with milliseconds (`2015-09-23T20:57:42.146`), taken as UTC.
    Recognised by a backtrader header where most of the first rows are flat and have
    sub-second times.
    """

    name = "backtrader-ticks"
    description = "backtrader tick CSV (trades as O=H=L=C rows with sub-second times)"

    def sniff(self, path: Path, head: str) -> bool:
        records = head_records(head, SNIFF_ROWS + 1)
        if len(records) < 2:
            return False
        keys = [header_key(name) for name in records[0]]
        if not (keys[:1] in (["date"], ["datetime"]) and "openinterest" in keys
                and all(key in keys for key in OHLC_KEYS)):
            return False
        o, h, low, c = (keys.index(key) for key in OHLC_KEYS)
        return mostly(records[1:], lambda r: len(r) == len(keys) and bool(
            r[o].strip() == r[h].strip() == r[low].strip() == r[c].strip()
            and _FRACTIONAL_TIME.match(r[0])))

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        iid = instrument_id or default_instrument_id(path)
        return announce(self._trades(path, report, iid), report)

    def _trades(self, path: Path, report: ReadReport,
                iid: InstrumentId) -> Iterator[tuple[int, TickEvent]]:
        def build(names: list[str], keys: list[str],
                  _parse: Callable[[str], int]) -> RowParser:
            layout = bar_layout(names, [], str(path))
            close, volume = layout.ohlc[3], layout.volume

            def row(fields: list[str], ts: int) -> Trade:
                size = NAN if volume is None else number(fields[volume], names[volume])
                return Trade(iid, number(fields[close], names[close]), size,
                             Aggressor.UNKNOWN, "", ts, ts)
            return row
        return _read_ticks(path, report, build, _required_time(str(path)))


class QuotesCsv:
    """Quote CSV: a time column, `bid`, `ask` and optional bid/ask size columns
    (backtrader's bidask.csv, TrueFX). Missing sizes are NaN. See the module time rule;
    TrueFX times mix `...:35.907000+00:00` and `...:27+00:00` and both parse.
    """

    name = "quotes-csv"
    description = "quote CSV with a header: time, bid, ask[, bid size, ask size]"

    def sniff(self, path: Path, head: str) -> bool:
        records = head_records(head, 1)
        keys = [header_key(name) for name in records[0]] if records else []
        return ("bid" in keys and "ask" in keys and "open" not in keys
                and _time_column(keys) is not None)

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        iid = instrument_id or default_instrument_id(path)
        return announce(self._quotes(path, report, iid), report)

    def _quotes(self, path: Path, report: ReadReport,
                iid: InstrumentId) -> Iterator[tuple[int, TickEvent]]:
        def build(names: list[str], keys: list[str],
                  _parse: Callable[[str], int]) -> RowParser:
            bid, ask = _require(keys, ("bid",), path), _require(keys, ("ask",), path)
            bid_size, ask_size = _find(keys, BID_SIZE_KEYS), _find(keys, ASK_SIZE_KEYS)

            def row(fields: list[str], ts: int) -> Quote:
                bs = NAN if bid_size is None else optional_number(fields[bid_size],
                                                                  names[bid_size])
                az = NAN if ask_size is None else optional_number(fields[ask_size],
                                                                  names[ask_size])
                return Quote(iid, number(fields[bid], names[bid]), bs,
                             number(fields[ask], names[ask]), az, ts, ts)
            return row
        return _read_ticks(path, report, build, _required_time(str(path)))


class TradesCsv:
    """Trade CSV with a header: time, price, amount/size/qty[, side][, id], optionally after
    an unnamed pandas index column (freqtrade's public trades list). `side` is the taker's
    side (ccxt convention) and gives the aggressor; without it the aggressor is unknown.
    When both an epoch `timestamp` and a text `date` exist, the first time column is used.
    """

    name = "trades-csv"
    description = "trade CSV with a header: time, price, amount[, side, id] (freqtrade/ccxt)"

    def sniff(self, path: Path, head: str) -> bool:
        records = head_records(head, 1)
        keys = [header_key(name) for name in records[0]] if records else []
        return ("price" in keys and _find(keys, SIZE_KEYS) is not None
                and _time_column(keys) is not None and "bid" not in keys
                and "open" not in keys)

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        iid = instrument_id or default_instrument_id(path)
        return announce(self._trades(path, report, iid), report)

    def _trades(self, path: Path, report: ReadReport,
                iid: InstrumentId) -> Iterator[tuple[int, TickEvent]]:
        def build(names: list[str], keys: list[str],
                  _parse: Callable[[str], int]) -> RowParser:
            price = _require(keys, ("price",), path)
            size = _require(keys, SIZE_KEYS, path)
            side = _find(keys, ("side", "takerside"))
            ident = _find(keys, ("id", "tradeid"))

            def row(fields: list[str], ts: int) -> Trade:
                aggressor = Aggressor.UNKNOWN
                if side is not None and fields[side].strip():
                    found = _SIDES.get(fields[side].strip().lower())
                    if found is None:
                        raise RowError(f"unknown side {shown(fields[side])}", names[side])
                    aggressor = found
                return Trade(iid, number(fields[price], names[price]),
                             number(fields[size], names[size]), aggressor,
                             "" if ident is None else fields[ident].strip(), ts, ts)
            return row
        return _read_ticks(path, report, build, _required_time(str(path)))
