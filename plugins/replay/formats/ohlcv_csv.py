"""OHLCV bar CSV files with a header, read by column name.

Four named formats share one reader; they differ in how they are recognised and in the
time rule (see each class). Common rules:
- Columns are matched by name, case-insensitively (`Open`, `high`, `Adj Close` ignored...).
  A missing volume column gives volume NaN (unknown), which is not 0.
- Date-only values are the session date at 00:00 UTC. Naive date-times are UTC.
  Tz-aware values are converted to UTC. `a/b/YYYY` dates are ordered by
  `timeparse.choose_day_first`; integer epochs get their unit from their length.
- A header naming one column fewer than the rows carry, where the second field is a time of
  day, means the rows are `date,time,...` (backtrader's volume-min-001 file): the time column
  is inserted after the date instead of shifting every column by one. This, and the way the
  time column is written, is decided by most of the first rows, not by the first alone.
- Rows with a non-number or non-finite OHLC, an unreadable time or a wrong field count are
  bad rows; zero volume and flat bars are valid. Bars follow `bars.emit_bars`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

from plugins.replay.formats.bars import BarRow, emit_bars
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
)
from plugins.replay.formats.timeparse import make_time_parser
from terminal.core.errors import DataError
from terminal.model.ids import InstrumentId
from terminal.model.market import Bar

TIME_KEYS = ("datetime", "timestamp", "date", "time", "opentime", "gmttime", "localtime")
VOLUME_KEYS = ("volume", "vol", "tickvolume", "tickvol", "realvolume")
OHLC_KEYS = ("open", "high", "low", "close")
_CLOCK = re.compile(r"\s*\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?\s*$", re.ASCII)


@dataclass(frozen=True)
class BarLayout:
    names: list[str]  # a display name per field, for problem reports
    date: int
    time: int | None
    ohlc: tuple[int, int, int, int]
    volume: int | None

    def time_text(self, fields: list[str]) -> str:
        if self.time is None:
            return fields[self.date]
        return f"{fields[self.date].strip()} {fields[self.time].strip()}"


def _time_column_missing(keys: list[str], rows: list[list[str]]) -> bool:
    """Most sample rows carry one field more than the header names, a time of day second."""
    if "time" in keys:
        return False
    return mostly(rows[:SNIFF_ROWS], lambda row: len(row) == len(keys) + 1 and len(row) > 1
                  and _CLOCK.match(row[1]) is not None)


def bar_layout(header: list[str], rows: list[list[str]], source: str) -> BarLayout:
    """Where the columns are, from the header and the first data rows (`rows`, may be [])."""
    names = [name.strip() or "index" for name in header]
    keys = [header_key(name) for name in header]
    if _time_column_missing(keys, rows):
        # the header forgot the time column: keep the columns where the data puts them
        names.insert(1, "Time")
        keys.insert(1, "time")
    missing = [key for key in OHLC_KEYS if key not in keys]
    if missing:
        raise DataError(f"no {'/'.join(missing)} column in the header", source=source, line=1)
    if "date" in keys and "time" in keys:
        date, time = keys.index("date"), keys.index("time")
    else:
        time = None
        found = [keys.index(key) for key in TIME_KEYS if key in keys]
        if found:
            date = min(found)
        elif keys[0] == "":  # pandas wrote its (time) index without a name
            date = 0
        else:
            raise DataError("no date/time column in the header", source=source, line=1)
    o, h, low, c = (keys.index(key) for key in OHLC_KEYS)
    volume = next((keys.index(key) for key in VOLUME_KEYS if key in keys), None)
    return BarLayout(names, date, time, (o, h, low, c), volume)


def parse_bar_rows(records: Iterator[tuple[int, list[str]]], layout: BarLayout,
                   parse_time: Callable[[str], int], report: ReadReport) -> Iterator[BarRow]:
    names = layout.names
    o, h, low, c = layout.ohlc
    v = layout.volume
    for line, fields in records:
        try:
            need_fields(fields, names)
            try:
                stamp = parse_time(layout.time_text(fields))
            except ValueError as exc:
                raise RowError(str(exc), names[layout.date]) from None
            row = (stamp, number(fields[o], names[o]), number(fields[h], names[h]),
                   number(fields[low], names[low]), number(fields[c], names[c]),
                   optional_number(fields[v], names[v]) if v is not None else float("nan"))
        except RowError as exc:
            report.add_problem(line, exc.reason, exc.field)
            continue
        report.rows += 1
        yield row


def read_bar_csv(path: Path, report: ReadReport, instrument_id: InstrumentId, *,
                 bar_end: bool) -> Iterator[tuple[int, Bar]]:
    with open_text(path) as fh:
        records = csv_records(fh, report)
        first = next(records, None)
        if first is None:
            return
        header = first[1]
        peek = list(islice(records, PEEK_ROWS))
        if not peek:
            return
        layout = bar_layout(header, [fields for _, fields in peek[:SNIFF_ROWS]], str(path))
        width = len(layout.names)
        samples = [layout.time_text(f) for _, f in peek if len(f) == width]
        parse_time, note = make_time_parser(samples)
        if note:
            report.note(note)
        rows = parse_bar_rows(chain(peek, records), layout, parse_time, report)
        yield from emit_bars(rows, instrument_id, report, bar_end=bar_end)


def _head(head: str) -> tuple[list[str], list[str]]:
    """(header keys, first data row) of a head."""
    records = head_records(head, 2)
    keys = [header_key(name) for name in records[0]] if records else []
    return keys, (records[1] if len(records) > 1 else [])


def _has_ohlc(keys: list[str]) -> bool:
    return all(key in keys for key in OHLC_KEYS)


class _BarCsv:
    name = ""
    description = ""
    bar_end = False

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        iid = instrument_id or default_instrument_id(path)
        return announce(read_bar_csv(path, report, iid, bar_end=self.bar_end), report)


class YahooCsv(_BarCsv):
    """Yahoo Finance daily download: Date,Open,High,Low,Close,Adj Close,Volume.

    Time rule: the date is the exchange session date, stamped 00:00 UTC. OHLC are taken as
    given (split-adjusted); Adj Close is ignored.
    """

    name = "yahoo-csv"
    description = "Yahoo Finance CSV (Date,Open,High,Low,Close,Adj Close,Volume)"

    def sniff(self, path: Path, head: str) -> bool:
        keys, _ = _head(head)
        return keys[:1] == ["date"] and _has_ohlc(keys) and "adjclose" in keys


class BacktraderCsv(_BarCsv):
    """backtrader's CSV: Date[,Time],Open,High,Low,Close,Volume,OpenInterest.

    Time rule: naive, taken as UTC. Daily rows are the session date at 00:00 UTC. Intraday
    rows are stamped at the bar END (backtrader's convention: the 5-minute file's first bar
    of each day is 09:05, the 1-minute file's 09:01), so `ts` = stamp - interval.
    Also reads the file whose header omits the Time column its rows carry.
    """

    name = "backtrader-csv"
    description = "backtrader CSV bars (Date[,Time],OHLC,Volume,OpenInterest; bar-end stamps)"
    bar_end = True

    def sniff(self, path: Path, head: str) -> bool:
        keys, _ = _head(head)
        return keys[:1] in (["date"], ["datetime"]) and _has_ohlc(keys) and (
            "openinterest" in keys)


class PandasOhlcvCsv(_BarCsv):
    """A pandas DataFrame written with its DatetimeIndex: `,Open,High,Low,Close,Volume`.

    Time rule: naive index values are UTC; date-only values are 00:00 UTC.
    """

    name = "pandas-ohlcv-csv"
    description = "pandas OHLCV CSV with an unnamed datetime index column (backtesting.py)"

    def sniff(self, path: Path, head: str) -> bool:
        keys, _ = _head(head)
        return keys[:1] == [""] and _has_ohlc(keys)


class OhlcCsv(_BarCsv):
    """Any CSV with a time column and open/high/low/close (volume optional), e.g. FXCM's
    `timestamp,open,high,low,close`.

    Time rule: tz-aware values are converted to UTC, naive ones are UTC, dates are 00:00 UTC.
    """

    name = "ohlc-csv"
    description = "generic OHLC(V) CSV with a header and a time column (e.g. FXCM)"

    def sniff(self, path: Path, head: str) -> bool:
        keys, _ = _head(head)
        return bool(keys) and keys[0] in TIME_KEYS and _has_ohlc(keys)
