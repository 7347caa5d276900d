"""ccxt/freqtrade OHLCV JSON: `[[open_time_ms, open, high, low, close, volume], ...]`.

Time rule: open_time is epoch milliseconds UTC and is the bar's open (`ts`). The file may be
gzip-compressed. Bars follow `bars.emit_bars` (interval inferred, replay time = close).
A problem's `line` is the 1-based record number in the array (the file is usually one line).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from plugins.replay.formats.bars import BarRow, emit_bars
from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.common import RowError, announce, default_instrument_id, open_binary
from terminal.core.errors import DataError
from terminal.model.ids import InstrumentId

MS = 1_000_000
NAMES = ("timestamp", "open", "high", "low", "close", "volume")
_NUMBER = r"\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*"
_FIRST = re.compile(r"\s*\[\s*\[\s*\d{12,13}(\.0+)?\s*(,(" + _NUMBER + r"|null)){5}\]")


def load_json_array(path: Path) -> list[Any]:
    try:
        with open_binary(path) as fh:
            data = orjson.loads(fh.read())
    except orjson.JSONDecodeError as exc:
        raise DataError(f"not valid JSON: {exc}", source=str(path)) from exc
    if not isinstance(data, list):
        raise DataError("expected a JSON array of records", source=str(path))
    return data


def json_number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RowError(f"not a number: {value!r}", field)
    try:
        number = float(value)
    except ValueError:
        raise RowError(f"not a number: {value!r}", field) from None
    if not math.isfinite(number):
        raise RowError(f"not a finite number: {value!r}", field)
    return number


def json_ms(value: Any, field: str = "timestamp") -> int:
    """Epoch ms from an int (or an integral float/str) to ns."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value * MS
    if isinstance(value, float) and value.is_integer():
        return int(value) * MS
    if isinstance(value, str) and value.strip().isdigit():
        return int(value) * MS
    raise RowError(f"not an epoch ms integer: {value!r}", field)


class CcxtOhlcvJson:
    name = "ccxt-ohlcv-json"
    description = "ccxt/freqtrade OHLCV JSON array [[ms, o, h, l, c, v], ...] (optionally .gz)"

    def sniff(self, path: Path, head: str) -> bool:
        return _FIRST.match(head) is not None

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        iid = instrument_id or default_instrument_id(path)
        return announce(emit_bars(self._rows(path, report), iid, report), report)

    def _rows(self, path: Path, report: ReadReport) -> Iterator[BarRow]:
        for index, record in enumerate(load_json_array(path), 1):
            try:
                if not isinstance(record, list) or len(record) < 5:
                    raise RowError(f"expected [ms, open, high, low, close, volume], got "
                                   f"{record!r}"[:200])
                volume = (math.nan if len(record) < 6 or record[5] is None
                          else json_number(record[5], "volume"))
                row = (json_ms(record[0]), json_number(record[1], "open"),
                       json_number(record[2], "high"), json_number(record[3], "low"),
                       json_number(record[4], "close"), volume)
            except RowError as exc:
                report.add_problem(index, exc.reason, exc.field)
                continue
            report.rows += 1
            yield row
