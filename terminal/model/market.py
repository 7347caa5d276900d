"""Market data values. Prices and sizes are float64 (market data); time is int64 ns UTC.

Events are built at feed rate, so these are plain slotted dataclasses (a frozen one costs
four times as much to construct). Treat them as values: never mutate an event after it is
published.

`ts_event` is the venue's time for the event, `ts_recv` the time it reached us (for replay,
the original receive time from the recording).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from terminal.model.ids import InstrumentId


class Aggressor(StrEnum):
    BUY = "buy"
    SELL = "sell"
    UNKNOWN = "unknown"


@dataclass(slots=True)
class Quote:
    instrument_id: InstrumentId
    bid: float
    bid_size: float
    ask: float
    ask_size: float
    ts_event: int
    ts_recv: int

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2.0

    @property
    def spread(self) -> float:
        return self.ask - self.bid


@dataclass(slots=True)
class Trade:
    instrument_id: InstrumentId
    price: float
    size: float
    aggressor: Aggressor
    trade_id: str
    ts_event: int
    ts_recv: int


@dataclass(slots=True)
class Bar:
    """An OHLCV bar. `ts` is the bar's open time; `interval_ns` its length (0 if unknown).

    Volume may be NaN when the source has no volume column, which is not the same as 0.
    """

    instrument_id: InstrumentId
    interval_ns: int
    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    trades: int = 0
    closed: bool = True

    @property
    def is_flat(self) -> bool:
        return self.open == self.high == self.low == self.close

    def is_consistent(self) -> bool:
        values = (self.open, self.high, self.low, self.close)
        if any(math.isnan(v) for v in values):
            return False
        return self.low <= min(self.open, self.close) and self.high >= max(self.open, self.close)


Level = tuple[float, float]


@dataclass(slots=True)
class BookSnapshot:
    """A full book. `sequence` is the venue's update id for the snapshot (0 if none).

    Levels are best first; a reader may give them as read-only views over its columns
    (terminal.model.levels), which compare equal to the lists they stand for."""

    instrument_id: InstrumentId
    bids: Sequence[Level]
    asks: Sequence[Level]
    sequence: int
    ts_event: int
    ts_recv: int
    raw: Mapping[str, list[list[str]]] | None = field(default=None, compare=False)
    depth: int = 0  # the subscribed depth the venue maintains (0 = not bounded)
    # the same levels in columns, when the reader has them: per side ("b"/"a") a float64
    # array (n, 4) of price, size and the digit integers of the price and size text as
    # text-book sizes (see book_sync.KrakenChecksumSync), in the order of `bids`/`asks`
    columns: dict[str, Any] | None = field(default=None, compare=False)


@dataclass(slots=True)
class BookDelta:
    """Changes to a book: a size of 0 deletes the level.

    `first_sequence`/`sequence` are the first and last update ids covered (Binance U/u);
    venues with one id per message set both to it; 0 means the venue sends none.
    `checksum` is the venue's checksum after applying, when it sends one.
    """

    instrument_id: InstrumentId
    bids: list[Level]
    asks: list[Level]
    first_sequence: int
    sequence: int
    ts_event: int
    ts_recv: int
    checksum: int | None = None
    # venue strings ({"a": [[price, size], ...], "b": ...}) for checksums over text
    raw: dict[str, list[list[str]]] | None = field(default=None, compare=False)
