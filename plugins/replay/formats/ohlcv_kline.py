"""Binance public-data kline CSV (data.binance.vision): 12 columns, usually no header.

Columns: open_time, open, high, low, close, volume, close_time, quote_volume, trades,
taker_buy_base, taker_buy_quote, ignore. Time rule: epoch integers in ms (µs in newer spot
dumps: the unit is taken from the number of digits), UTC. `ts` = open_time and `interval_ns`
= close_time - open_time + 1 unit, per row; the replay time is the close (ts + interval).
An optional header row (`open_time,...`) is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.common import (
    RowError,
    announce,
    csv_records,
    default_instrument_id,
    need_fields,
    number,
    open_text,
)
from plugins.replay.formats.timeparse import UNIT_NS, epoch_unit_from_digits
from terminal.model.ids import InstrumentId
from terminal.model.market import Bar

NAMES = ["open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume",
         "count", "taker_buy_volume", "taker_buy_quote_volume", "ignore"]
_ROW = re.compile(r"\s*(\d{13}|\d{16}),([^,]*,){5}(\d{13}|\d{16}),([^,]*,){4}[^,]*\s*$")


def _integer(text: str, field: str) -> int:
    stripped = text.strip()
    if not stripped.isdigit():
        raise RowError(f"not an integer: {text!r}", field)
    return int(stripped)


class BinanceKlineCsv:
    name = "binance-kline-csv"
    description = "Binance public-data kline CSV (12 columns, ms/µs epochs, no header)"

    def sniff(self, path: Path, head: str) -> bool:
        lines = [line for line in head.splitlines() if line.strip()][:3]
        if lines and lines[0].lower().startswith("open_time,"):
            lines = lines[1:]
        return bool(lines) and _ROW.match(lines[0]) is not None

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        iid = instrument_id or default_instrument_id(path)
        return announce(self._bars(path, report, iid), report)

    def _bars(self, path: Path, report: ReadReport,
              iid: InstrumentId) -> Iterator[tuple[int, Bar]]:
        with open_text(path) as fh:
            for line, fields in csv_records(fh, report):
                if line == 1 and fields[0].strip().lower() == "open_time":
                    continue
                try:
                    need_fields(fields, NAMES)
                    unit = epoch_unit_from_digits(fields[0])
                    ts = _integer(fields[0], "open_time") * UNIT_NS[unit]
                    close = _integer(fields[6], "close_time") * UNIT_NS[unit]
                    interval = close + UNIT_NS[unit] - ts
                    if interval <= 0:
                        raise RowError("close_time is before open_time", "close_time")
                    bar = Bar(iid, interval, ts, number(fields[1], "open"),
                              number(fields[2], "high"), number(fields[3], "low"),
                              number(fields[4], "close"), number(fields[5], "volume"),
                              _integer(fields[8], "count"))
                except RowError as exc:
                    report.add_problem(line, exc.reason, exc.field)
                    continue
                report.rows += 1
                yield ts + interval, bar
