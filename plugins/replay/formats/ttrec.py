"""Trading Terminal feed recordings (`--record`, format in terminal.services.feed_format).

Events come back exactly as they were delivered, each at its recorded time. A file whose
last frame was cut short (a crash while recording) keeps every event of the frames before
the cut and reports "file is truncated" with the byte offset; a damaged frame ends the read
the same way. Problem lines count records: line N is the N-th record of the file. The
recording names its instruments, so `--instrument` is not used.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.common import TRUNCATED, clipped, open_binary
from terminal.core.errors import DataError
from terminal.model.ids import InstrumentId
from terminal.services.feed_format import (
    FORMAT_VERSION,
    FRAME_PREFIX,
    MAGIC,
    MAX_FRAME_BYTES,
    PREAMBLE,
    RecordDecoder,
    RecordError,
    decode_frame,
)

_MAGIC_TEXT = MAGIC.decode("ascii")


class _Cursor:
    """Reads the file in pieces, knowing its byte offset."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self.offset = 0

    def take(self, size: int) -> bytes:
        data = self._fh.read(size)
        self.offset += len(data)
        return data


class TtrecFormat:
    name = "ttrec"
    description = "Trading Terminal feed recording (--record): every event as delivered"

    def sniff(self, path: Path, head: str) -> bool:
        return head.startswith(_MAGIC_TEXT)

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        if instrument_id is not None:
            report.note(f"--instrument {instrument_id} is not used: the recording names its "
                        "instruments")
        return self._events(path, report)

    def _events(self, path: Path, report: ReadReport) -> Iterator[tuple[int, ReplayEvent]]:
        with open_binary(path) as fh:
            cursor = _Cursor(fh)
            if not _header(cursor, path, report):
                return
            decoder = RecordDecoder()
            record_no = 0
            frame_no = 0
            while prefix := cursor.take(FRAME_PREFIX.size):
                frame_no += 1
                start = cursor.offset - len(prefix)
                records = _frame(cursor, prefix, frame_no, start, report, record_no)
                if records is None:
                    return
                decoder.new_frame()
                for record in records:
                    record_no += 1
                    try:
                        decoded = decoder.decode(record)
                    except RecordError as exc:
                        report.add_problem(record_no, f"frame {frame_no}: {exc}")
                        continue
                    if decoded is not None:
                        report.rows += 1
                        report.events += 1
                        yield decoded


def _header(cursor: _Cursor, path: Path, report: ReadReport) -> bool:
    """Check the header; False (with the problem reported) when the file ends inside it."""
    magic = cursor.take(len(MAGIC))
    if not magic or not MAGIC.startswith(magic):
        raise DataError("not a ttrec recording (no TTREC magic at the start)", source=str(path))
    preamble = cursor.take(PREAMBLE.size)
    if len(magic) == len(MAGIC) and len(preamble) == PREAMBLE.size:
        version, size = PREAMBLE.unpack(preamble)
        if version != FORMAT_VERSION:
            raise DataError(f"ttrec format version {version} is not supported (this reader "
                            f"knows version {FORMAT_VERSION})", source=str(path))
        text = cursor.take(size)
        if len(text) == size:
            _note_header(text, path, report)
            return True
    report.add_problem(1, f"{TRUNCATED} at byte {cursor.offset}, inside the header")
    return False


def _note_header(text: bytes, path: Path, report: ReadReport) -> None:
    try:
        header: Any = orjson.loads(text)
        created = datetime.fromtimestamp(header["created_ns"] / 1e9, UTC)
        writer = str(header["writer"])
        codec = header["codec"]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, OverflowError) as exc:
        raise DataError(f"damaged ttrec header: {clipped(repr(exc))}", source=str(path)) \
            from None
    if codec != "zlib":
        raise DataError(f"ttrec codec {clipped(str(codec))!r} is not supported",
                        source=str(path))
    report.note(f"recorded by {clipped(writer)} at {created:%Y-%m-%d %H:%M:%S} UTC")


def _frame(cursor: _Cursor, prefix: bytes, frame_no: int, start: int, report: ReadReport,
           records_before: int) -> list[Any] | None:
    """The records of one frame, or None (problem reported) when it is cut short or damaged."""
    line = records_before + 1
    if len(prefix) < FRAME_PREFIX.size:
        report.add_problem(line, f"{TRUNCATED} at byte {start}: frame {frame_no} has "
                           f"{len(prefix)} of the {FRAME_PREFIX.size} bytes of its length")
        return None
    (size,) = FRAME_PREFIX.unpack(prefix)
    if size > MAX_FRAME_BYTES:
        report.add_problem(line, f"frame {frame_no} at byte {start} is damaged: it claims "
                           f"{size} bytes; nothing after it is read")
        return None
    body = cursor.take(size)
    if len(body) < size:
        report.add_problem(line, f"{TRUNCATED} at byte {start}: frame {frame_no} has "
                           f"{len(body)} of its {size} bytes; its records are lost")
        return None
    try:
        return decode_frame(body)
    except (zlib.error, orjson.JSONDecodeError, RecordError) as exc:
        report.add_problem(line, f"frame {frame_no} at byte {start} is damaged "
                           f"({clipped(str(exc))}); nothing after it is read")
        return None

