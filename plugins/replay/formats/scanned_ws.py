"""The scanned reading of a cryptofeed websocket capture: book updates in MarketRuns.

The file is read in blocks of whole lines; `frame_scan.scan` reads the venue's ordinary
book updates into columns, and every other line goes through `LineDecoder` exactly as in
the line-by-line reading. The events and the report are the same as that reading's, with
each run of consecutive book updates delivered as one MarketRun (at most RUN_FRAMES
frames, so a consumer gives its loop a turn between runs).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import IO

import numpy as np

from plugins.replay.formats import frame_scan
from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.capture_lines import (
    FrameDecoder,
    LineDecoder,
    announced,
    delivered,
)
from plugins.replay.formats.common import TRUNCATED, is_truncated
from plugins.replay.formats.timeparse import MAX_MS, MAX_NS, recv_bytes_to_ns
from terminal.model.ids import InstrumentId
from terminal.model.market import BookSnapshot
from terminal.model.market_run import (
    F_TS_RECV,
    FRAME_COLUMNS,
    LEVEL_COLUMNS,
    MarketRun,
    RunSource,
)

BLOCK_BYTES = 1 << 20
RUN_FRAMES = 256
RUN_LEVELS = 16_384
NEVER = 2**63 - 1
_VENUES = {"coinbase": frame_scan.COINBASE, "binance": frame_scan.BINANCE,
           "kraken": frame_scan.KRAKEN}


class ProductTable:
    """The products `scan` recognises, as bytes, and their instrument ids (same order)."""

    def __init__(self, source: RunSource, capacity: int = 16) -> None:
        self.source = source
        self.names = np.zeros((capacity, frame_scan.MAX_NAME), dtype=np.uint8)
        self.lengths = np.zeros(capacity, dtype=np.int64)

    @property
    def count(self) -> int:
        return len(self.source.instruments)

    def add(self, name: bytes, iid: InstrumentId) -> None:
        k = self.count
        if k == self.names.shape[0]:
            self.names = np.concatenate([self.names, np.zeros_like(self.names)])
            self.lengths = np.concatenate([self.lengths, np.zeros_like(self.lengths)])
        self.names[k, :len(name)] = np.frombuffer(name, dtype=np.uint8)
        self.lengths[k] = len(name)
        self.source.instruments.append(iid)


def scanned_events(fh: IO[bytes], venue: str, decoder: FrameDecoder, lines: LineDecoder,
                   pending: deque[tuple[int, BookSnapshot]], seen: set[InstrumentId],
                   report: ReadReport) -> Iterator[tuple[int, ReplayEvent | MarketRun]]:
    """The events after the header line of `fh`, book updates in runs (see module doc)."""
    code = _VENUES[venue]
    products = ProductTable(RunSource(keep_raw=venue != "coinbase"))
    iid_of = getattr(decoder, "iid")  # noqa: B009  # every venue decoder interns ids so
    frames = np.empty((RUN_FRAMES, FRAME_COLUMNS), dtype=np.int64)
    values = np.empty((RUN_LEVELS, 2), dtype=np.float64)
    levels = np.empty((RUN_LEVELS, LEVEL_COLUMNS), dtype=np.int64)
    lineno = 2
    carry = b""
    stopped = False
    while not stopped:
        data = fh.read(BLOCK_BYTES)
        if data:
            text = carry + data
            cut = text.rfind(b"\n") + 1
            block, carry = text[:cut], text[cut:]
            if not block:
                continue
        else:
            block, carry = carry, b""
            if not block:
                break
        buf = np.frombuffer(block, dtype=np.uint8)
        size = len(block)
        pos = 0
        while pos < size:
            until = pending[0][0] if pending else NEVER
            why, start, stop, nf, nl, lineno, name0, name1 = frame_scan.scan(
                code, buf, pos, size, lineno, products.names, products.lengths,
                products.count, frames, values, levels, MAX_NS, MAX_MS, until)
            if nf:
                report.rows += nf
                report.events += nf
                yield int(frames[0, F_TS_RECV]), MarketRun(products.source, frames[:nf].copy(),
                                                      values[:nl].copy(), levels[:nl].copy(),
                                                      block)
            if why == frame_scan.END:
                break
            if why == frame_scan.FULL:
                pos = start
                continue
            if why == frame_scan.PENDING:
                ts = recv_bytes_to_ns(block[start:block.index(b": ", start)])
                while pending and pending[0][0] < ts:
                    yield from announced(*pending.popleft(), seen, report)
                pos = start
                continue
            name = block[name0:name1]
            if why == frame_scan.NEW_PRODUCT:
                iid = iid_of(name.decode("ascii"))
                if iid in seen:
                    products.add(name, iid)
                    pos = start
                    continue
            # SLOW, or the first frame of a product: the line-by-line way
            line = block[start:stop + 1]
            decoded = lines.events(lineno, line)
            lineno += 1
            pos = stop + 1
            if decoded is None:
                stopped = True
                break
            if decoded:
                ts, events = decoded
                while pending and pending[0][0] < ts:
                    yield from announced(*pending.popleft(), seen, report)
                yield from delivered(ts, events, seen, report)
            if why == frame_scan.NEW_PRODUCT and iid in seen:
                products.add(name, iid)
    if not stopped and is_truncated(fh):
        report.add_problem(lineno, TRUNCATED)
    while pending:
        yield from announced(*pending.popleft(), seen, report)
