"""Helpers shared by the readers: opening (plain or gzip), CSV records, numbers, instruments."""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, cast

from plugins.replay.formats.base import MarketEvent, ReadReport, ReplayEvent
from terminal.core.errors import DataError
from terminal.model.ids import InstrumentId
from terminal.model.instrument import generic_instrument

HEAD_BYTES = 8192
PEEK_ROWS = 1000  # rows read ahead to decide a file-wide rule (time layout, bar interval)
_GZIP_MAGIC = b"\x1f\x8b"
_COMPRESSED = (".gz", ".gzip")


class RowError(Exception):
    """One row is unusable: why, and which field when one is to blame."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


def is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def open_binary(path: Path) -> IO[bytes]:
    if is_gzip(path):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def open_text(path: Path) -> IO[str]:
    """Text with universal newlines left to the csv module (newline=""); BOM dropped."""
    if is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8-sig", errors="replace", newline="")
    return path.open("r", encoding="utf-8-sig", errors="replace", newline="")


def read_head(path: Path, size: int = HEAD_BYTES) -> str:
    """The first `size` bytes of the (decompressed) file as text, for sniffing."""
    try:
        with open_binary(path) as fh:
            data = fh.read(size)
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read: {exc}", source=str(path)) from exc
    return data.decode("utf-8-sig", errors="replace")


def head_lines(head: str, count: int) -> list[str]:
    """The first `count` non-blank lines of a head (the last line may be cut: dropped)."""
    lines = head.splitlines()
    if len(head) >= HEAD_BYTES and lines:
        lines = lines[:-1]
    return [line for line in lines if line.strip()][:count]


def head_records(head: str, count: int) -> list[list[str]]:
    return list(csv.reader(head_lines(head, count)))


def csv_records(fh: IO[str], report: ReadReport) -> Iterator[tuple[int, list[str]]]:
    """(1-based line, fields) per record. Blank lines are skipped and are not bad rows."""
    reader = csv.reader(fh)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.add_problem(reader.line_num, f"unreadable CSV: {exc}")
            continue
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        yield reader.line_num, fields


def header_key(name: str) -> str:
    """A header cell for matching: lower case, no spaces/underscores/quotes around."""
    return name.strip().strip('"').strip().lower().replace("_", "").replace(" ", "")


def number(text: str, field: str) -> float:
    """A finite float, or RowError naming the field."""
    try:
        value = float(text)
    except ValueError:
        raise RowError(f"not a number: {text!r}", field) from None
    if not math.isfinite(value):
        raise RowError(f"not a finite number: {text!r}", field)
    return value


def optional_number(text: str, field: str) -> float:
    """Like `number`, but empty or NaN means unknown (NaN), e.g. a missing volume."""
    stripped = text.strip()
    if not stripped:
        return math.nan
    try:
        value = float(stripped)
    except ValueError:
        raise RowError(f"not a number: {text!r}", field) from None
    if math.isinf(value):
        raise RowError(f"not a finite number: {text!r}", field)
    return value


def need_fields(fields: list[str], names: list[str]) -> None:
    """RowError unless the record has exactly one field per name."""
    if len(fields) < len(names):
        raise RowError(f"expected {len(names)} fields, got {len(fields)}", names[len(fields)])
    if len(fields) > len(names):
        raise RowError(f"expected {len(names)} fields, got {len(fields)}")


def default_instrument_id(path: Path) -> InstrumentId:
    """REPLAY:<stem after the `source__` prefix, upper case, '.' and ' ' turned into '-'>."""
    name = path.name
    for suffix in _COMPRESSED:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    stem = Path(name).stem if "." in name else name
    if "__" in stem:
        stem = stem.split("__", 1)[1]
    symbol = stem.replace(".", "-").replace(" ", "-").upper().strip("-")
    return InstrumentId("REPLAY", symbol or "UNKNOWN")


def announce(events: Iterable[tuple[int, MarketEvent]],
             report: ReadReport) -> Iterator[tuple[int, ReplayEvent]]:
    """Pass events through, preceded by an Instrument the first time each instrument shows."""
    seen: set[InstrumentId] = set()
    for ts, event in events:
        iid = event.instrument_id
        if iid not in seen:
            seen.add(iid)
            report.events += 1
            yield ts, generic_instrument(iid)
        report.events += 1
        yield ts, event
