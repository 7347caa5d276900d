"""cryptofeed raw websocket captures (`*.ws.*`): Binance spot, Coinbase Pro, Kraken v1.

Line 1 is `<ws url> <-> <connect ts>` and names the venue. Outbound lines
`<url> <- <ts>: <json>` (subscribe requests) are skipped and are not bad rows. Inbound lines
are `<recv ts>: <frame>`; the receive time (epoch seconds, variable digits) is converted
exactly and is every event's `ts_recv`. Each venue module documents its `ts_event` rule.

Binance captures are merged with the REST depth snapshots of `*BINANCE.http.*` files in the
same folder, in time order (a snapshot goes before the first frame received after it; on
an equal time the frame goes first), so a book can be synced the documented way.

`rows` counts inbound frames decoded (control frames included) plus merged REST lines.

A frame that fails its venue's checks (each venue module lists them, and which control
messages are skipped silently) is a bad row with its line and, when one is to blame, field;
the replay goes on with the next frame. A gzip capture cut short keeps its complete lines
and reports "file is truncated" at the cut.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from plugins.replay.formats.base import MarketEvent, ReadReport, ReplayEvent
from plugins.replay.formats.common import (
    SHOWN_CHARS,
    TRUNCATED,
    RowError,
    clipped,
    is_truncated,
    open_binary,
    read_failure,
)
from plugins.replay.formats.cryptofeed_binance import BinanceDecoder, sibling_snapshots
from plugins.replay.formats.cryptofeed_coinbase import CoinbaseDecoder
from plugins.replay.formats.cryptofeed_kraken import KrakenDecoder
from plugins.replay.formats.timeparse import MAX_NS, NS_PER_SECOND, recv_bytes_to_ns
from terminal.core.errors import DataError
from terminal.model.ids import InstrumentId
from terminal.model.instrument import generic_instrument
from terminal.model.market import BookSnapshot

_HEADER = re.compile(r"\s*(wss?://\S+) <-> \d+(\.\d+)?\s*$", re.ASCII)


class FrameDecoder(Protocol):
    def decode(self, ts: int, payload: bytes) -> Sequence[MarketEvent]: ...


def venue_of(url: str) -> str | None:
    host = url.split("//", 1)[-1].split("/", 1)[0].lower()
    for venue in ("binance", "coinbase", "kraken"):
        if venue in host:
            return venue
    return None


def _decoder(venue: str) -> FrameDecoder:
    if venue == "binance":
        return BinanceDecoder()
    if venue == "coinbase":
        return CoinbaseDecoder()
    return KrakenDecoder()


class CryptofeedWs:
    name = "cryptofeed-ws"
    description = ("cryptofeed raw websocket capture (Binance spot combined streams with their "
                   "REST depth snapshots, Coinbase Pro, Kraken v1)")

    def sniff(self, path: Path, head: str) -> bool:
        m = _HEADER.match(head.split("\n", 1)[0])
        return m is not None and venue_of(m.group(1)) is not None

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        return self._events(path, report)

    def _events(self, path: Path, report: ReadReport) -> Iterator[tuple[int, ReplayEvent]]:
        # announcing instruments inline (not through common.announce), and turning read
        # failures into DataError here (not in formats._guard), each save a generator hop
        # per event on the hottest path of the replay
        try:
            seen: set[InstrumentId] = set()
            with open_binary(path) as fh:
                first = fh.readline().decode("utf-8", "replace")
                m = _HEADER.match(first)
                venue = venue_of(m.group(1)) if m else None
                if m is None or venue is None:
                    raise DataError("not a cryptofeed websocket capture of a known venue", line=1,
                                    source=str(path))
                decoder = _decoder(venue)
                pending: deque[tuple[int, BookSnapshot]] = deque()
                if isinstance(decoder, BinanceDecoder):
                    pending.extend(sibling_snapshots(path, m.group(1), report, decoder))
                decode = decoder.decode
                second, second_ns = b"", 0  # receive stamps repeat their whole seconds
                lineno = 1
                for lineno, line in enumerate(fh, 2):
                    if not line[:1].isdigit():
                        if not line.endswith(b"\n") and is_truncated(fh):
                            report.add_problem(lineno, TRUNCATED)
                            break
                        if line.strip() and b" <- " not in line:
                            report.add_problem(lineno, "not a capture line")
                        continue
                    stamp, sep, payload = line.partition(b": ")
                    try:
                        if not sep:
                            raise RowError("no `<ts>: ` prefix")
                        whole, _, frac = stamp.partition(b".")
                        if whole == second and len(frac) <= 9 and frac.isdigit():
                            # the second of the previous stamp, already checked and converted
                            ts = second_ns + int(frac.ljust(9, b"0"))
                        else:
                            try:
                                ts = recv_bytes_to_ns(stamp)
                            except ValueError as exc:
                                raise RowError(str(exc), "receive time") from None
                            if len(frac) <= 9 and frac.isdigit() and \
                                    ts - ts % NS_PER_SECOND + NS_PER_SECOND <= MAX_NS:
                                second, second_ns = whole, ts - int(frac.ljust(9, b"0"))
                        events = decode(ts, payload)
                    except RowError as exc:
                        if not line.endswith(b"\n") and is_truncated(fh):
                            report.add_problem(lineno, TRUNCATED)
                            break
                        report.add_problem(lineno, f"bad {venue} frame: {exc.reason}", exc.field)
                        continue
                    except KeyError as exc:
                        report.add_problem(lineno, f"bad {venue} frame: missing field",
                                           str(exc.args[0])[:SHOWN_CHARS])
                        continue
                    except (ValueError, TypeError, IndexError, AttributeError, OverflowError,
                            RecursionError, UnicodeDecodeError) as exc:
                        if not line.endswith(b"\n") and is_truncated(fh):
                            report.add_problem(lineno, TRUNCATED)
                            break
                        report.add_problem(lineno, f"bad {venue} frame: {clipped(str(exc))}")
                        continue
                    report.rows += 1
                    while pending and pending[0][0] < ts:
                        yield from _announced(*pending.popleft(), seen, report)
                    for event in events:
                        iid = event.instrument_id
                        if iid not in seen:
                            seen.add(iid)
                            report.events += 1
                            yield ts, generic_instrument(iid)
                        report.events += 1
                        yield ts, event
                else:
                    if is_truncated(fh):
                        report.add_problem(lineno + 1, TRUNCATED)
                while pending:
                    yield from _announced(*pending.popleft(), seen, report)
        except DataError:
            raise
        except Exception as exc:  # the contract: only DataError leaves a reader
            raise read_failure(exc, path) from exc


def _announced(ts: int, event: MarketEvent, seen: set[InstrumentId],
               report: ReadReport) -> Iterator[tuple[int, ReplayEvent]]:
    if event.instrument_id not in seen:
        seen.add(event.instrument_id)
        report.events += 1
        yield ts, generic_instrument(event.instrument_id)
    report.events += 1
    yield ts, event
