"""ccxt/freqtrade OHLCV JSON: `[[open_time_ms, open, high, low, close, volume], ...]`.

Time rule: open_time is epoch milliseconds UTC and is the bar's open (`ts`). The file may be
gzip-compressed. Bars follow `bars.emit_bars` (interval inferred, replay time = close).
A problem's `line` is the 1-based record number in the array (the file is usually one line).

Detection parses the complete records in the file's head and accepts when at least half of
the first SNIFF_ROWS have the layout, so a bad first record is a bad row, not an unknown
file. A number orjson refuses (`1e400`) does not make the whole file unreadable: the file is
then parsed by the standard json module and that record is a bad row. A file cut short
(gzip or plain) keeps the complete records before the cut and reports one problem at the
next record number ("file is truncated" for a gzip stream that ends early).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from plugins.replay.formats.bars import BarRow, emit_bars
from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.common import (
    SNIFF_ROWS,
    TRUNCATED,
    RowError,
    announce,
    clipped,
    default_instrument_id,
    is_plain_number,
    is_truncated,
    mostly,
    open_binary,
    shown,
    type_name,
)
from plugins.replay.formats.timeparse import MAX_MS, WINDOW
from terminal.core.errors import DataError
from terminal.model.ids import InstrumentId

MS = 1_000_000
NAMES = ("timestamp", "open", "high", "low", "close", "volume")
# strings and brackets of JSON text: enough to find where each top-level element ends
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_BYTE_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_SALVAGE_TRIES = 20


def loads(data: str | bytes) -> Any:
    """JSON with orjson, falling back to the json module for what orjson refuses but a
    record-level check can reject on its own (numbers out of double range, NaN literals)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            raise exc from None


def _element_ends(text: str | bytes) -> list[int]:
    """Offsets just past each complete top-level element of a JSON array that may be cut."""
    tokens = _TOKENS.finditer(text) if isinstance(text, str) else _BYTE_TOKENS.finditer(text)
    ends: list[int] = []
    depth = 0
    for m in tokens:
        first = m.group()[:1]
        if first in ("[", "{", b"[", b"{"):
            depth += 1
        elif first in ("]", "}", b"]", b"}"):
            depth -= 1
            if depth == 1:
                ends.append(m.end())
            elif depth <= 0:
                break
    return ends


def parse_prefix(text: str | bytes, records: int | None = None) -> list[Any] | None:
    """The complete leading records of a JSON array cut anywhere (the first `records` of
    them when given), or None when no prefix parses."""
    ends = _element_ends(text)
    if records is not None:
        ends = ends[:records]
    close = "]" if isinstance(text, str) else b"]"
    for end in reversed(ends[-_SALVAGE_TRIES:]):
        try:
            data = loads(text[:end] + close)  # type: ignore[operator]
        except ValueError:
            continue
        if isinstance(data, list):
            return data
    return None


def head_json_records(head: str) -> list[Any]:
    """Up to SNIFF_ROWS complete records at the start of a head holding a JSON array."""
    if not head.lstrip().startswith("["):
        return []
    return parse_prefix(head, SNIFF_ROWS) or []


def load_json_array(path: Path, report: ReadReport) -> list[Any]:
    """The file's array. A file that ends inside the array (a gzip or plain file cut
    short) gives the complete records before the cut and a problem in `report`; anything
    else unparseable is a DataError naming the file."""
    with open_binary(path) as fh:
        raw = fh.read()
        truncated = is_truncated(fh)
    try:
        data = loads(raw)
    except orjson.JSONDecodeError as exc:
        salvaged = parse_prefix(raw)
        if salvaged is None:
            reason = TRUNCATED if truncated else f"not valid JSON: {clipped(str(exc))}"
            raise DataError(reason, source=str(path)) from exc
        report.add_problem(len(salvaged) + 1, TRUNCATED if truncated else
                           f"the JSON array breaks off after record {len(salvaged)}: "
                           f"{clipped(str(exc))}")
        return salvaged
    if not isinstance(data, list):
        raise DataError("expected a JSON array of records", source=str(path))
    if truncated:
        report.add_problem(len(data) + 1, TRUNCATED)
    return data


def json_number(value: Any, field: str) -> float:
    """A finite number from a JSON number, or a string holding a plain one."""
    kind = type(value)
    try:
        if not (kind is float or kind is int or (kind is str and is_plain_number(value))):
            raise ValueError
        number = float(value)
    except (ValueError, OverflowError):
        raise RowError(f"not a number: {shown(value)}", field) from None
    if not math.isfinite(number):
        raise RowError(f"not a finite number: {shown(value)}", field)
    return number


def json_ms(value: Any, field: str = "timestamp") -> int:
    """Epoch ms from an int (or an integral float, or a string of ASCII digits) to ns,
    inside the `timeparse` window."""
    kind = type(value)
    text = value.strip() if kind is str else ""
    if not (kind is int or (kind is float and value.is_integer())
            or (text.isascii() and text.isdigit() and len(text) <= 19)):
        raise RowError(f"not an epoch ms integer: {type_name(value)} {shown(value)}", field)
    ms = int(value)
    if 0 <= ms < MAX_MS:
        return ms * MS
    raise RowError(f"time outside {WINDOW}: {shown(value)}", field)


def _is_ohlcv(record: Any) -> bool:
    return (type(record) is list and len(record) == 6
            and type(record[0]) in (int, float) and 10**11 <= record[0] < 10**13
            and all(type(v) in (int, float) or v is None for v in record[1:]))


class CcxtOhlcvJson:
    name = "ccxt-ohlcv-json"
    description = "ccxt/freqtrade OHLCV JSON array [[ms, o, h, l, c, v], ...] (optionally .gz)"

    def sniff(self, path: Path, head: str) -> bool:
        return mostly(head_json_records(head), _is_ohlcv)

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        iid = instrument_id or default_instrument_id(path)
        return announce(emit_bars(self._rows(path, report), iid, report), report)

    def _rows(self, path: Path, report: ReadReport) -> Iterator[BarRow]:
        for index, record in enumerate(load_json_array(path, report), 1):
            try:
                if type(record) is not list or len(record) < 5:
                    raise RowError("expected [ms, open, high, low, close, volume], got "
                                   f"{shown(record)}")
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
