"""`MarketRun`: consecutive book updates and top-of-book quotes of one source, in columns.

A replay reader that scans its file in compiled code hands the engine runs of frames
instead of one event object per frame. A run is exactly the BookDelta / Quote sequence it
stands for (`events()` rebuilds it), in arrival order; nothing else arrives between two of
its frames. Columns (numpy, owned by the run):

- `frames` int64 (n, FRAME_COLUMNS): instrument index into `source.instruments`, first and
  last sequence, ts_event, ts_recv, checksum (-1: none), the frame's levels lo:hi, its
  line in the file, and its kind (BOOK_FRAME: a BookDelta; QUOTE_FRAME: a Quote whose bid
  and ask are its two levels, bid first, sizes as the level sizes).
- `prices_sizes` float64 (m, 2) and `levels` int64 (m, LEVEL_COLUMNS): per level its side
  (1 bid), the digit integers of the price and size text (the text with the point removed
  and leading zeros stripped, for checksums over text) plus DIGIT_BITS (see
  terminal.kernels.book_runs), and where both texts lie in `text`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from terminal.model.ids import InstrumentId
from terminal.model.market import BookDelta, Level, Quote

F_INST, F_FIRST, F_SEQ, F_TS_EVENT, F_TS_RECV, F_CHECKSUM, F_LO, F_HI, F_LINE, F_KIND = \
    range(10)
FRAME_COLUMNS = 10
BOOK_FRAME, QUOTE_FRAME = 0, 1
L_BID, L_MP, L_MV, L_P0, L_P1, L_S0, L_S1 = range(7)
LEVEL_COLUMNS = 7
NO_CHECKSUM = -1
# a digit integer 0 <= v < 10**18 as a float64 text-book size: the double whose bits are
# DIGIT_BITS + v (terminal.kernels.book_runs)
DIGIT_BITS = 2**62

I64Array = npt.NDArray[np.int64]
F64Array = npt.NDArray[np.float64]


@dataclass(eq=False)
class RunSource:
    """One reader's instruments, indexed as its runs' frames index them (append-only).
    `keep_raw`: the venue's BookDelta carries its level strings (`raw`)."""

    instruments: list[InstrumentId] = field(default_factory=list)
    keep_raw: bool = False


@dataclass(slots=True, eq=False)
class MarketRun:
    source: RunSource
    frames: I64Array
    prices_sizes: F64Array
    levels: I64Array
    text: bytes  # what the level text offsets point into

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    @property
    def first_ts(self) -> int:
        return int(self.frames[0, F_TS_RECV])

    @property
    def last_ts(self) -> int:
        return int(self.frames[-1, F_TS_RECV])

    def event(self, j: int) -> BookDelta | Quote:
        """Frame j as the event the venue decoder makes of it."""
        row = self.frames[j].tolist()
        if row[F_KIND] == QUOTE_FRAME:
            (bid, bid_size), (ask, ask_size) = self.prices_sizes[row[F_LO]:row[F_HI]].tolist()
            return Quote(self.source.instruments[row[F_INST]], bid, bid_size, ask, ask_size,
                         row[F_TS_EVENT], row[F_TS_RECV])
        lo, hi = row[F_LO], row[F_HI]
        values = self.prices_sizes[lo:hi].tolist()
        info = self.levels[lo:hi].tolist()
        bids: list[Level] = []
        asks: list[Level] = []
        raw_bids: list[list[str]] = []
        raw_asks: list[list[str]] = []
        text = self.text
        for (price, size), meta in zip(values, info, strict=True):
            level = (price, size)
            strings = [text[meta[L_P0]:meta[L_P1]].decode("ascii"),
                       text[meta[L_S0]:meta[L_S1]].decode("ascii")]
            if meta[L_BID]:
                bids.append(level)
                raw_bids.append(strings)
            else:
                asks.append(level)
                raw_asks.append(strings)
        checksum = row[F_CHECKSUM]
        return BookDelta(self.source.instruments[row[F_INST]], bids, asks, row[F_FIRST],
                         row[F_SEQ], row[F_TS_EVENT], row[F_TS_RECV],
                         None if checksum == NO_CHECKSUM else checksum,
                         {"b": raw_bids, "a": raw_asks} if self.source.keep_raw else None)

    def events(self) -> Iterator[tuple[int, BookDelta | Quote]]:
        """(ts_recv, event) per frame, in order."""
        for j in range(len(self)):
            event = self.event(j)
            yield event.ts_recv, event
