"""One inbound line of a cryptofeed websocket capture to events, with its bad-row report.

Shared by the line-by-line reader and the scanned one (which hands over every line its
compiled scan does not read), so both report the same problems for the same lines.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO, Protocol

from plugins.replay.formats.base import MarketEvent, ReadReport, ReplayEvent
from plugins.replay.formats.common import (
    SHOWN_CHARS,
    TRUNCATED,
    RowError,
    clipped,
    is_truncated,
)
from plugins.replay.formats.timeparse import MAX_NS, NS_PER_SECOND, recv_bytes_to_ns
from terminal.model.ids import InstrumentId
from terminal.model.instrument import generic_instrument

NOTHING: tuple[()] = ()


class FrameDecoder(Protocol):
    def decode(self, ts: int, payload: bytes) -> Sequence[MarketEvent]: ...


class LineDecoder:
    """`events(lineno, line)`: (receive ts, events) of an inbound frame line; () for a line
    that holds none (outbound requests, blank lines, control frames, bad rows, which go to
    the report); None when the file is cut short at this line (reported)."""

    def __init__(self, venue: str, decoder: FrameDecoder, report: ReadReport,
                 fh: IO[bytes]) -> None:
        self._venue = venue
        self._decode = decoder.decode
        self._report = report
        self._fh = fh
        self._second, self._second_ns = b"", 0  # receive stamps repeat their whole seconds

    def events(self, lineno: int, line: bytes
               ) -> tuple[int, Sequence[MarketEvent]] | tuple[()] | None:
        report = self._report
        venue = self._venue
        if not line[:1].isdigit():
            if not line.endswith(b"\n") and is_truncated(self._fh):
                report.add_problem(lineno, TRUNCATED)
                return None
            if line.strip() and b" <- " not in line:
                report.add_problem(lineno, "not a capture line")
            return NOTHING
        stamp, sep, payload = line.partition(b": ")
        try:
            if not sep:
                raise RowError("no `<ts>: ` prefix")
            whole, _, frac = stamp.partition(b".")
            if whole == self._second and len(frac) <= 9 and frac.isdigit():
                # the second of the previous stamp, already checked and converted
                ts = self._second_ns + int(frac.ljust(9, b"0"))
            else:
                try:
                    ts = recv_bytes_to_ns(stamp)
                except ValueError as exc:
                    raise RowError(str(exc), "receive time") from None
                if len(frac) <= 9 and frac.isdigit() and \
                        ts - ts % NS_PER_SECOND + NS_PER_SECOND <= MAX_NS:
                    self._second, self._second_ns = whole, ts - int(frac.ljust(9, b"0"))
            events = self._decode(ts, payload)
        except RowError as exc:
            if not line.endswith(b"\n") and is_truncated(self._fh):
                report.add_problem(lineno, TRUNCATED)
                return None
            report.add_problem(lineno, f"bad {venue} frame: {exc.reason}", exc.field)
            return NOTHING
        except KeyError as exc:
            report.add_problem(lineno, f"bad {venue} frame: missing field",
                               str(exc.args[0])[:SHOWN_CHARS])
            return NOTHING
        except (ValueError, TypeError, IndexError, AttributeError, OverflowError,
                RecursionError, UnicodeDecodeError) as exc:
            if not line.endswith(b"\n") and is_truncated(self._fh):
                report.add_problem(lineno, TRUNCATED)
                return None
            report.add_problem(lineno, f"bad {venue} frame: {clipped(str(exc))}")
            return NOTHING
        report.rows += 1
        return ts, events


def announced(ts: int, event: MarketEvent, seen: set[InstrumentId],
              report: ReadReport) -> Iterator[tuple[int, ReplayEvent]]:
    """The event, preceded by its Instrument the first time that instrument shows."""
    if event.instrument_id not in seen:
        seen.add(event.instrument_id)
        report.events += 1
        yield ts, generic_instrument(event.instrument_id)
    report.events += 1
    yield ts, event


def delivered(ts: int, events: Sequence[MarketEvent], seen: set[InstrumentId],
              report: ReadReport) -> Iterator[tuple[int, ReplayEvent]]:
    """A frame's events, each preceded by its Instrument the first time it shows."""
    for event in events:
        iid = event.instrument_id
        if iid not in seen:
            seen.add(iid)
            report.events += 1
            yield ts, generic_instrument(iid)
        report.events += 1
        yield ts, event
