"""Headerless tick files with a fixed column layout: HistData quotes, Kraken trade dumps.

Detection looks at the first SNIFF_ROWS non-blank lines and accepts when at least half of
them have the layout, so a bad first row is reported as a bad row instead of hiding the file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.common import (
    SNIFF_ROWS,
    RowError,
    announce,
    csv_records,
    default_instrument_id,
    head_lines,
    mostly,
    need_fields,
    number,
    open_text,
)
from plugins.replay.formats.timeparse import NS_PER_HOUR, compact_to_ns, epoch_to_ns
from terminal.model.ids import InstrumentId
from terminal.model.market import Aggressor, Quote, Trade

NAN = math.nan
HISTDATA_NAMES = ["datetime", "bid", "ask", "volume"]
KRAKEN_NAMES = ["timestamp", "price", "volume"]
_HISTDATA = re.compile(r"\s*\d{8} \d{6,9},[^,]+,[^,]+(,[^,]*)?\s*$", re.ASCII)
_KRAKEN = re.compile(r"\s*\d{9,10}(\.\d+)?,\d+(\.\d+)?,\d+(\.\d+)?\s*$", re.ASCII)
# HistData publishes in "EST without daylight saving", i.e. a fixed UTC-5
HISTDATA_OFFSET_NS = 5 * NS_PER_HOUR


class HistDataTicks:
    """HistData.com tick quotes: `YYYYMMDD HHMMSSfff,bid,ask,volume`, no header.

    Time rule: HistData's documented zone is EST WITHOUT daylight saving, a fixed UTC-5, so
    5 h are added to get UTC (20200101 170000065 -> 2020-01-01 22:00:00.065 UTC).
    The volume column is always 0 and is not a quote size: sizes are NaN.
    """

    name = "histdata-ticks"
    description = "HistData.com tick CSV (YYYYMMDD HHMMSSfff,bid,ask,volume; fixed UTC-5)"

    def sniff(self, path: Path, head: str) -> bool:
        return mostly(head_lines(head, SNIFF_ROWS), _HISTDATA.match)

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        iid = instrument_id or default_instrument_id(path)
        return announce(self._quotes(path, report, iid), report)

    def _quotes(self, path: Path, report: ReadReport,
                iid: InstrumentId) -> Iterator[tuple[int, Quote]]:
        with open_text(path) as fh:
            for line, fields in csv_records(fh, report):
                try:
                    if len(fields) != 3:  # the volume column is optional
                        need_fields(fields, HISTDATA_NAMES)
                    try:
                        ts = compact_to_ns(fields[0], HISTDATA_OFFSET_NS)
                    except ValueError as exc:
                        raise RowError(str(exc), "datetime") from None
                    quote = Quote(iid, number(fields[1], "bid"), NAN, number(fields[2], "ask"),
                                  NAN, ts, ts)
                except RowError as exc:
                    report.add_problem(line, exc.reason, exc.field)
                    continue
                report.rows += 1
                yield ts, quote


class KrakenTradesCsv:
    """Kraken's downloadable time-and-sales CSV: `epoch_seconds,price,volume`, no header.

    Time rule: epoch seconds (fraction allowed), UTC, converted exactly. No side and no id:
    aggressor unknown, trade_id "". Duplicate rows are real (several fills in one second)
    and are kept; flagging them is the quality layer's job.
    """

    name = "kraken-trades-csv"
    description = "Kraken trades CSV (epoch_seconds,price,volume; no header)"

    def sniff(self, path: Path, head: str) -> bool:
        return mostly(head_lines(head, SNIFF_ROWS), _KRAKEN.match)

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        iid = instrument_id or default_instrument_id(path)
        return announce(self._trades(path, report, iid), report)

    def _trades(self, path: Path, report: ReadReport,
                iid: InstrumentId) -> Iterator[tuple[int, Trade]]:
        with open_text(path) as fh:
            for line, fields in csv_records(fh, report):
                try:
                    need_fields(fields, KRAKEN_NAMES)
                    try:
                        ts = epoch_to_ns(fields[0].strip())
                    except ValueError as exc:
                        raise RowError(str(exc), "timestamp") from None
                    trade = Trade(iid, number(fields[1], "price"), number(fields[2], "volume"),
                                  Aggressor.UNKNOWN, "", ts, ts)
                except RowError as exc:
                    report.add_problem(line, exc.reason, exc.field)
                    continue
                report.rows += 1
                yield ts, trade
