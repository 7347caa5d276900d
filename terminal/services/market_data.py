"""The market data service: the sink every data client delivers into.

It drives the clock in replay, keeps last quotes and trades, feeds books and bar building, and
publishes everything on the bus.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from terminal.core.bus import EventBus
from terminal.core.topics import Kind
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument, generic_instrument
from terminal.model.market import Bar, BookDelta, BookSnapshot, Quote, Trade
from terminal.plugin_host.base import InputProblem
from terminal.services.bars import BarBuilder
from terminal.services.books import BookManager, BookStatus
from terminal.services.instruments import InstrumentService
from terminal.services.quality import QualityMonitor

log = logging.getLogger(__name__)

MAX_PROBLEMS_KEPT = 1000
QUALITY_CHECK_EVERY_NS = 1_000_000_000
PROBLEMS_LOGGED = 20


class MarketDataService:
    def __init__(self, bus: EventBus, instruments: InstrumentService, books: BookManager,
                 aggregator: BarBuilder, on_time: Callable[[int], None] | None = None,
                 on_bar: Callable[[Bar], None] | None = None) -> None:
        self._bus = bus
        self._instruments = instruments
        self._books = books
        self._aggregator = aggregator
        self._on_time = on_time
        self._on_bar = on_bar
        self.events: Counter[str] = Counter()
        self.instruments_seen: set[InstrumentId] = set()
        self.last_quote: dict[InstrumentId, Quote] = {}
        self.last_trade: dict[InstrumentId, Trade] = {}
        self.problems: list[InputProblem] = []
        self.problem_count = 0
        self.quality = QualityMonitor(bus)
        self._next_quality_check = 0
        bus.subscribe_kind(Kind.QUOTE, self._remember_quote)
        bus.subscribe_kind(Kind.BOOK_STATUS, self._book_status)

    def _book_status(self, _topic: str, status: BookStatus) -> None:
        if not status.usable and status.reason:
            self.quality.on_book_stale(status.instrument_id, status.reason, status.ts_ns)

    def _remember_quote(self, _topic: str, quote: Quote) -> None:
        self.last_quote[quote.instrument_id] = quote

    def on_time(self, ts_ns: int) -> None:
        if self._on_time is not None:
            self._on_time(ts_ns)
        if ts_ns >= self._next_quality_check:
            self._next_quality_check = ts_ns + QUALITY_CHECK_EVERY_NS
            self.quality.on_time(ts_ns)

    def on_instrument(self, instrument: Instrument) -> None:
        self.events["instrument"] += 1
        self._instruments.add(instrument)

    def _seen(self, iid: InstrumentId) -> None:
        if iid not in self.instruments_seen:
            self.instruments_seen.add(iid)
            if self._instruments.get(iid) is None:
                self._instruments.add(generic_instrument(iid))

    def on_quote(self, quote: Quote) -> None:
        self.events["quote"] += 1
        self._seen(quote.instrument_id)
        if not self.quality.check_quote(quote):
            return
        if self._books.is_usable(quote.instrument_id):
            return  # the book is the better source of top of book for this instrument
        self._bus.emit(Kind.QUOTE, str(quote.instrument_id), quote)

    def on_trade(self, trade: Trade) -> None:
        self.events["trade"] += 1
        self._seen(trade.instrument_id)
        if not self.quality.check_trade(trade):
            return
        self.last_trade[trade.instrument_id] = trade
        self._bus.emit(Kind.TRADE, str(trade.instrument_id), trade)
        self._aggregator.on_trade(trade)

    def on_bar(self, bar: Bar) -> None:
        self.events["bar"] += 1
        self._seen(bar.instrument_id)
        if not self.quality.check_bar(bar):
            return
        if bar.closed:
            self._bus.emit(Kind.BAR, str(bar.instrument_id), bar)
            if self._on_bar is not None:
                self._on_bar(bar)
        else:
            self._bus.emit(Kind.BAR_UPDATE, str(bar.instrument_id), bar)

    def on_book_snapshot(self, snapshot: BookSnapshot) -> None:
        self.events["book_snapshot"] += 1
        self._seen(snapshot.instrument_id)
        if not self.quality.check_book(snapshot):
            return
        self._books.on_snapshot(snapshot)

    def on_book_delta(self, delta: BookDelta) -> None:
        self.events["book_delta"] += 1
        if delta.instrument_id not in self.instruments_seen:
            self._seen(delta.instrument_id)
        if not self.quality.check_book(delta):
            return
        self._books.on_delta(delta)

    def on_input_problem(self, problem: InputProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)
        if self.problem_count <= PROBLEMS_LOGGED:
            log.warning("bad input: %s", problem)
        elif self.problem_count == PROBLEMS_LOGGED + 1:
            log.warning("more bad input rows follow; the run summary counts them all")
