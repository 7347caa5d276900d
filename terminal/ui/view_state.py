"""Plain view-models the bus handlers write into and the frame timer reads from.

Handlers run per event and only touch dicts and counters here; widgets are refreshed from
these at frame rate, so a burst of events costs one repaint.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from terminal.model.ids import InstrumentId
from terminal.model.market import Bar, Quote, Trade
from terminal.model.orders import Order
from terminal.model.portfolio import Account, Fill, Position
from terminal.model.signals import Signal

MAX_FILLS = 10_000
MAX_LOG_LINES = 2_000
MAX_CLOSED_BARS = 20_000
MAX_SIGNALS = 5_000


@dataclass
class WatchRow:
    instrument_id: InstrumentId
    last: float = math.nan
    first: float = math.nan  # first price seen this session: change is measured from it
    bid: float = math.nan
    ask: float = math.nan
    ts_ns: int = 0

    @property
    def change_pct(self) -> float:
        if math.isnan(self.last) or math.isnan(self.first) or not self.first:
            return math.nan
        return (self.last / self.first - 1.0) * 100.0

    @property
    def spread(self) -> float:
        return self.ask - self.bid


@dataclass
class QualityRow:
    instrument_id: InstrumentId
    kind: str
    count: int
    last_detail: str
    ts_ns: int


@dataclass
class ViewState:
    """Everything the window shows, as plain data, with a version per area."""

    orders: dict[str, Order] = field(default_factory=dict)
    fills: deque[Fill] = field(default_factory=lambda: deque(maxlen=MAX_FILLS))
    positions: dict[InstrumentId, Position] = field(default_factory=dict)
    account: Account | None = None
    watch: dict[InstrumentId, WatchRow] = field(default_factory=dict)
    quality: dict[tuple[InstrumentId, str], QualityRow] = field(default_factory=dict)
    log: deque[str] = field(default_factory=lambda: deque(maxlen=MAX_LOG_LINES))
    books_changed: set[InstrumentId] = field(default_factory=set)
    bars_changed: set[InstrumentId] = field(default_factory=set)
    closed_bars: deque[Bar] = field(default_factory=lambda: deque(maxlen=MAX_CLOSED_BARS))
    bars_closed: int = 0  # closed bars seen since start (closed_bars keeps the newest)
    signals: deque[Signal] = field(default_factory=lambda: deque(maxlen=MAX_SIGNALS))
    signals_seen: int = 0  # signals since start (signals keeps the newest)
    versions: dict[str, int] = field(default_factory=dict)
    last_latency_ns: int | None = None  # receive time minus venue time of the last quote

    def touch(self, area: str) -> None:
        self.versions[area] = self.versions.get(area, 0) + 1

    def version(self, area: str) -> int:
        return self.versions.get(area, 0)

    def on_quote(self, quote: Quote) -> None:
        row = self._watch_row(quote.instrument_id)
        row.bid, row.ask, row.ts_ns = quote.bid, quote.ask, quote.ts_event
        if math.isnan(row.last):
            mid = (quote.bid + quote.ask) / 2
            row.first = mid if math.isnan(row.first) else row.first
        self.touch("watch")

    def on_trade(self, trade: Trade) -> None:
        row = self._watch_row(trade.instrument_id)
        if math.isnan(row.first):
            row.first = trade.price
        row.last, row.ts_ns = trade.price, trade.ts_event
        self.touch("watch")

    def add_instrument(self, iid: InstrumentId) -> None:
        if iid not in self.watch:
            self.watch[iid] = WatchRow(iid)
            self.touch("watch")

    def _watch_row(self, iid: InstrumentId) -> WatchRow:
        row = self.watch.get(iid)
        if row is None:
            row = self.watch[iid] = WatchRow(iid)
        return row
