"""Binance public-data kline CSV (data.binance.vision): 12 columns, usually no header.

Columns: open_time, open, high, low, close, volume, close_time, quote_volume, trades,
taker_buy_base, taker_buy_quote, ignore. Time rule: epoch integers in ms (µs in newer spot
dumps: the unit is taken from the number of digits), UTC. `ts` = open_time and `interval_ns`
= close_time - open_time + 1 unit, per row; the replay time is the close (ts + interval).
An optional header row (`open_time,...`) is skipped. Detection looks at the first
SNIFF_ROWS rows and accepts when at least half look like klines, so a bad first row is
reported as a bad row instead of hiding the file. Times lie in the `timeparse` window.
"""

from __future__ import annotations

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
    digits,
    head_lines,
    mostly,
    need_fields,
    number,
    open_text,
)
from plugins.replay.formats.timeparse import UNIT_NS, epoch_unit_from_digits, in_window
from terminal.model.ids import InstrumentId
from terminal.model.market import Bar

NAMES = ["open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume",
         "count", "taker_buy_volume", "taker_buy_quote_volume", "ignore"]
_ROW = re.compile(r"\s*(\d{13}|\d{16}),([^,]*,){5}(\d{13}|\d{16}),([^,]*,){4}[^,]*\s*$",
                  re.ASCII)


def _time(text: str, field: str) -> tuple[int, str]:
    """(ns, unit) of an epoch-ms/µs integer, inside the `timeparse` window."""
    unit = epoch_unit_from_digits(text)
    try:
        return in_window(digits(text, field) * UNIT_NS[unit], text), unit
    except ValueError as exc:
        raise RowError(str(exc), field) from None


class BinanceKlineCsv:
    name = "binance-kline-csv"
    description = "Binance public-data kline CSV (12 columns, ms/µs epochs, no header)"

    def sniff(self, path: Path, head: str) -> bool:
        lines = head_lines(head, SNIFF_ROWS + 1)
        if lines and lines[0].lower().startswith("open_time,"):
            lines = lines[1:]
        return mostly(lines[:SNIFF_ROWS], _ROW.match)

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
                    ts, unit = _time(fields[0], "open_time")
                    close, _ = _time(fields[6], "close_time")
                    interval = close + UNIT_NS[unit] - ts
                    if interval <= 0:
                        raise RowError("close_time is before open_time", "close_time")
                    bar = Bar(iid, interval, ts, number(fields[1], "open"),
                              number(fields[2], "high"), number(fields[3], "low"),
                              number(fields[4], "close"), number(fields[5], "volume"),
                              digits(fields[8], "count"))
                except RowError as exc:
                    report.add_problem(line, exc.reason, exc.field)
                    continue
                report.rows += 1
                yield ts + interval, bar
