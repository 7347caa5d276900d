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
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.capture_lines import (
    FrameDecoder,
    LineDecoder,
    announced,
    delivered,
)
from plugins.replay.formats.common import TRUNCATED, is_truncated, open_binary, read_failure
from plugins.replay.formats.cryptofeed_binance import BinanceDecoder, sibling_snapshots
from plugins.replay.formats.cryptofeed_coinbase import CoinbaseDecoder
from plugins.replay.formats.cryptofeed_kraken import KrakenDecoder
from terminal.core.errors import DataError
from terminal.model.ids import InstrumentId
from terminal.model.market import BookSnapshot
from terminal.model.market_run import MarketRun

_HEADER = re.compile(r"\s*(wss?://\S+) <-> \d+(\.\d+)?\s*$", re.ASCII)


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
        return self._events(path, report, False)  # type: ignore[return-value]  # no runs

    def read_runs(self, path: Path, report: ReadReport
                  ) -> Iterator[tuple[int, ReplayEvent | MarketRun]]:
        """`read`, with the venue's ordinary book updates as MarketRuns (read by compiled
        code, see frame_scan) instead of one BookDelta per frame."""
        return self._events(path, report, True)

    def _events(self, path: Path, report: ReadReport, runs: bool
                ) -> Iterator[tuple[int, ReplayEvent | MarketRun]]:
        # announcing instruments inline (not through common.announce), and turning read
        # failures into DataError here (not in formats._guard), each save a generator hop
        # per event on the hottest path of the replay
        try:
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
                lines = LineDecoder(venue, decoder, report, fh)
                seen: set[InstrumentId] = set()
                if runs:
                    from plugins.replay.formats.scanned_ws import scanned_events  # compiled

                    yield from scanned_events(fh, venue, decoder, lines, pending, seen, report)
                else:
                    yield from _line_events(fh, lines, pending, seen, report)
        except DataError:
            raise
        except Exception as exc:  # the contract: only DataError leaves a reader
            raise read_failure(exc, path) from exc


def _line_events(fh: IO[bytes], lines: LineDecoder, pending: deque[tuple[int, BookSnapshot]],
                 seen: set[InstrumentId], report: ReadReport
                 ) -> Iterator[tuple[int, ReplayEvent]]:
    decode = lines.events
    lineno = 1
    for lineno, line in enumerate(fh, 2):
        decoded = decode(lineno, line)
        if decoded is None:
            break  # the file is cut short here
        if not decoded:
            continue
        ts, events = decoded
        while pending and pending[0][0] < ts:
            yield from announced(*pending.popleft(), seen, report)
        yield from delivered(ts, events, seen, report)
    else:
        if is_truncated(fh):
            report.add_problem(lineno + 1, TRUNCATED)
    while pending:
        yield from announced(*pending.popleft(), seen, report)
