"""Helpers shared by the readers: opening (plain or gzip), CSV records, numbers, instruments.

CSV records are split per physical line, never across lines: a stray or unterminated quote
costs one bad row at its own line instead of swallowing every later line into one field
(the csv module's behaviour). Lines without a quote are split on commas; a line with an even
number of quotes is parsed as one CSV record (quoted fields may hold commas and doubled
quotes, not line breaks); a line with an odd number of quotes is a bad row.

Numbers in files are plain ASCII decimal or scientific notation (`1.5`, `-2`, `1e-3`, with
blanks around allowed): digit separators (`1_000`), non-ASCII digits (full-width `１`) and
NaN/inf are bad values, although Python's float() takes them.

A gzip file that ends early (truncated download) keeps every complete line read before the
cut: the reader reports one problem "file is truncated" at the line where the cut is, and
the partial line there is never parsed (it could pass as a shorter, wrong number).
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import reprlib
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, TypeVar

from plugins.replay.formats.base import MarketEvent, ReadReport, ReplayEvent
from terminal.core.errors import DataError
from terminal.model.ids import InstrumentId
from terminal.model.instrument import generic_instrument

T = TypeVar("T")

HEAD_BYTES = 8192
PEEK_ROWS = 1000  # rows read ahead to decide a file-wide rule (time layout, bar interval)
SNIFF_ROWS = 20  # rows a headerless sniffer looks at; it accepts when at least half match
MAX_ID = 2**63  # sequence ids and counts are int64 >= 0
SHOWN_CHARS = 120  # at most this much of an offending value is quoted in a problem
TRUNCATED = "file is truncated"
_GZIP_MAGIC = b"\x1f\x8b"
_COMPRESSED = (".gz", ".gzip")
_READ_CHUNK = 1 << 16

_repr = reprlib.Repr()
_repr.maxstring = SHOWN_CHARS
_repr.maxother = SHOWN_CHARS
_repr.maxlong = 40
_repr.maxlist = _repr.maxtuple = _repr.maxdict = 6
_repr.maxlevel = 3


class RowError(Exception):
    """One row is unusable: why, and which field when one is to blame."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


def shown(value: Any) -> str:
    """`repr(value)` clipped to about SHOWN_CHARS, cheap even for a 50 MB string or list."""
    if isinstance(value, str | bytes) and len(value) > SHOWN_CHARS:
        return repr(value[:SHOWN_CHARS]) + "..."
    if isinstance(value, int) and value.bit_length() > 128:  # repr() refuses > 4300 digits
        return f"<an integer of {value.bit_length()} bits>"
    return _repr.repr(value)


def clipped(text: str) -> str:
    """Text (an exception message that may quote a whole line) cut to about SHOWN_CHARS."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."


def type_name(value: Any) -> str:
    """The JSON name of a decoded value's type, for problem reasons."""
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array",
            dict: "object"}.get(type(value), type(value).__name__)


def is_plain_number(text: str) -> bool:
    """False for text float() takes that a file may not hold: `1_000`, non-ASCII digits.

    (NaN/inf are left to the finiteness check, which names them.)
    """
    return text.isascii() and "_" not in text


def read_failure(exc: Exception, path: Path) -> DataError:
    """What a whole-file read failure escaping a reader becomes: DataError naming the file
    (I/O and corrupt gzip as "cannot read", anything else as "reader failed")."""
    if isinstance(exc, (OSError, EOFError, zlib.error)):
        return DataError(f"cannot read: {clipped(str(exc))}", source=str(path))
    return DataError(f"reader failed: {type(exc).__name__}: {clipped(str(exc))}",
                     source=str(path))


def float_columns(levels: list[Any], columns: int) -> list[list[float]] | None:
    """The first `columns` entries of each level as float columns, when every level is a
    list of at least that many strings and each column sums to a finite number; else None,
    and the caller's level-by-level checks find and name what is wrong (they also take
    finite columns whose sum overflows). C-level loops: for book snapshots, where a
    per-level Python loop costs several times more."""
    if set(map(type, levels)) - _LIST:
        return None
    out: list[list[float]] = []
    try:
        for k in range(columns):
            texts = list(map(itemgetter(k), levels))
            if set(map(type, texts)) - _STR:
                return None
            column = list(map(float, texts))
            total = sum(column)
            if total - total:  # NaN or inf: x - x is 0.0 only for a finite x
                return None
            out.append(column)
    except (IndexError, ValueError):
        return None
    return out


_LIST = {list}
_STR = {str}


def is_plain_text(raw: bytes) -> bool:
    """True when no string in this JSON text can hold a digit separator or a non-ASCII
    digit: no `_`, no backslash (a `\\uFF11` escape) and ASCII only. Three memchr-speed
    scans of the frame, far cheaper than checking each price string on the hot path."""
    return 95 not in raw and 92 not in raw and raw.isascii()  # 95 "_", 92 "\\"


class _TruncationSafe(io.RawIOBase):
    """A gzip stream whose premature end reads as EOF and sets `truncated`.

    Reads go through `read1`, which returns what is buffered before asking the decompressor
    again, so no byte decompressed before the cut is lost with the EOFError.
    """

    def __init__(self, gz: gzip.GzipFile) -> None:
        super().__init__()
        self._gz = gz
        self.truncated = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.truncated:
            return 0
        try:
            data = self._gz.read1(len(buffer))
        except EOFError:
            self.truncated = True
            return 0
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._gz.close()
        finally:
            super().close()


def is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when it is gzip; see `is_truncated` after reading."""
    if is_gzip(path):
        return io.BufferedReader(_TruncationSafe(gzip.GzipFile(path, "rb")), _READ_CHUNK)
    return path.open("rb")


def open_text(path: Path) -> IO[str]:
    """Text with line endings kept (newline=""); BOM dropped; undecodable bytes replaced."""
    if is_gzip(path):
        return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", errors="replace",
                                newline="")
    return path.open("r", encoding="utf-8-sig", errors="replace", newline="")


def is_truncated(fh: IO[Any]) -> bool:
    """True once reading a gzip file from `open_binary`/`open_text` hit its premature end."""
    stream: Any = getattr(fh, "buffer", fh)
    return bool(getattr(getattr(stream, "raw", None), "truncated", False))


def read_head(path: Path, size: int = HEAD_BYTES) -> str:
    """The first `size` bytes of the (decompressed) file as text, for sniffing."""
    try:
        with open_binary(path) as fh:
            data = fh.read(size)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"cannot read: {exc}", source=str(path)) from exc
    return data.decode("utf-8-sig", errors="replace")


def head_lines(head: str, count: int) -> list[str]:
    """The first `count` non-blank lines of a head (the last line may be cut: dropped)."""
    lines = head.splitlines()
    if len(head) >= HEAD_BYTES and lines:
        lines = lines[:-1]
    return [line for line in lines if line.strip()][:count]


def split_record(line: str) -> list[str] | None:
    """The fields of one line (no line ending), or None when its quotes are unbalanced."""
    if '"' not in line:
        return line.split(",")
    if line.count('"') % 2:
        return None
    try:
        return next(csv.reader((line,)), [])
    except csv.Error:
        return None


def head_records(head: str, count: int) -> list[list[str]]:
    """The first `count` parseable records of a head (lines with unbalanced quotes skipped)."""
    records = (split_record(line) for line in head_lines(head, count))
    return [record for record in records if record is not None]


def mostly(samples: Sequence[T], accept: Callable[[T], object]) -> bool:
    """True when at least half of `samples` (and at least one) pass `accept`: how sniffers
    and layout rules look at the first rows, so one bad row decides nothing."""
    hits = sum(1 for sample in samples if accept(sample))
    return hits > 0 and 2 * hits >= len(samples)


def csv_records(fh: IO[str], report: ReadReport) -> Iterator[tuple[int, list[str]]]:
    """(1-based line, fields) per record. Blank lines are skipped and are not bad rows.

    See the module docstring for quotes and truncated gzip files.
    """
    lineno = 0
    for lineno, line in enumerate(fh, 1):
        text = line.rstrip("\r\n")
        if len(text) == len(line) and is_truncated(fh):  # the cut, partial last line
            report.add_problem(lineno, TRUNCATED)
            return
        if '"' not in text:
            if not text or text.isspace():
                continue
            yield lineno, text.split(",")
            continue
        fields = split_record(text)
        if fields is None:
            report.add_problem(lineno, "unbalanced quote in the line")
            continue
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        yield lineno, fields
    if is_truncated(fh):
        report.add_problem(lineno + 1, TRUNCATED)


def header_key(name: str) -> str:
    """A header cell for matching: lower case, no spaces/underscores/quotes around."""
    return name.strip().strip('"').strip().lower().replace("_", "").replace(" ", "")


def number(text: str, field: str) -> float:
    """A finite float written plainly (see the module docstring), or RowError naming the field."""
    try:
        if not text.isascii() or "_" in text:  # is_plain_number, inlined: per field
            raise ValueError(text)
        value = float(text)
    except ValueError:
        raise RowError(f"not a number: {shown(text)}", field) from None
    if not math.isfinite(value):
        raise RowError(f"not a finite number: {shown(text)}", field)
    return value


def optional_number(text: str, field: str) -> float:
    """Like `number`, but empty or NaN means unknown (NaN), e.g. a missing volume."""
    stripped = text.strip()
    if not stripped:
        return math.nan
    try:
        if not is_plain_number(stripped):
            raise ValueError(stripped)
        value = float(stripped)
    except ValueError:
        raise RowError(f"not a number: {shown(text)}", field) from None
    if math.isinf(value):
        raise RowError(f"not a finite number: {shown(text)}", field)
    return value


def digits(text: str, field: str) -> int:
    """An integer 0 <= n < 2**63 (an id, or an epoch to check further) in ASCII digits."""
    stripped = text.strip()
    if (stripped.isascii() and stripped.isdigit() and len(stripped) <= 19
            and int(stripped) < MAX_ID):
        return int(stripped)
    raise RowError(f"not an integer 0 <= n < 2**63: {shown(text)}", field)


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
    # readers that peek ahead may report a line-level problem (an unbalanced quote, the
    # truncation) before the row problems of earlier lines: list them in file order
    report.problems.sort(key=lambda p: (p.source != report.source, p.line))
