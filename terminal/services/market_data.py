"""The market data service: the sink every data client delivers into.

It drives the clock in replay, keeps last quotes and trades, feeds books and bar building, and
publishes everything on the bus.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
import numpy.typing as npt

from terminal.core.bus import EventBus
from terminal.core.topics import Kind
from terminal.kernels.book_runs import (
    CHECKSUM,
    CROSSED,
    DONE,
    GROW,
    PUBLISH,
    SLOW,
    TIME,
    compiled_apply_run,
)
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument, generic_instrument
from terminal.model.market import Bar, BookDelta, BookSnapshot, Quote, Trade
from terminal.model.market_run import (
    F_CHECKSUM,
    F_HI,
    F_INST,
    F_LO,
    F_TS_EVENT,
    MarketRun,
    RunSource,
)
from terminal.plugin_host.base import InputProblem
from terminal.services.bars import BarBuilder
from terminal.services.book_runs import RunContext
from terminal.services.books import BookManager, BookStatus
from terminal.services.instruments import InstrumentService
from terminal.services.quality import GAP_WEIGHT, QualityMonitor

log = logging.getLogger(__name__)

MAX_PROBLEMS_KEPT = 1000
QUALITY_CHECK_EVERY_NS = 1_000_000_000
PROBLEMS_LOGGED = 20
LATEST = 2**63 - 1


class MarketDataService:
    def __init__(self, bus: EventBus, instruments: InstrumentService, books: BookManager,
                 aggregator: BarBuilder, on_time: Callable[[int], None] | None = None,
                 on_bar: Callable[[Bar], None] | None = None,
                 horizon: Callable[[], int] | None = None,
                 advance_clock: Callable[[int], None] | None = None) -> None:
        """`horizon`: the earliest market time at which `on_time` does more than advance the
        clock (`advance_clock`), for the run path; without it every new time is one."""
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
        self._horizon = horizon
        self._advance_clock = advance_clock
        self._horizon_at: int | None = None
        self._apply_run: Callable[..., int] | None = None  # compiled on the first run
        self._contexts: WeakKeyDictionary[RunSource, RunContext] = WeakKeyDictionary()
        bus.subscribe_kind(Kind.QUOTE, self._remember_quote)
        bus.subscribe_kind(Kind.BOOK_STATUS, self._book_status)

    def _book_status(self, _topic: str, status: BookStatus) -> None:
        if not status.usable and status.reason:
            self.quality.on_book_stale(status.instrument_id, status.reason, status.ts_ns)

    def _remember_quote(self, _topic: str, quote: Quote) -> None:
        self.last_quote[quote.instrument_id] = quote

    def on_time(self, ts_ns: int) -> None:
        if ts_ns < self.time_horizon():  # nothing is due: only the clock moves
            if self._advance_clock is not None:
                self._advance_clock(ts_ns)
            return
        if self._on_time is not None:
            self._on_time(ts_ns)
        if ts_ns >= self._next_quality_check:
            self._next_quality_check = ts_ns + QUALITY_CHECK_EVERY_NS
            self.quality.on_time(ts_ns)
        self._horizon_at = None

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
        self._horizon_at = None  # a new forming bar may close before it

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

    def time_horizon(self) -> int:
        """The earliest market time at which on_time acts (see __init__); kept until on_time
        acts or a trade may start a bar."""
        horizon = self._horizon_at
        if horizon is None:
            if self._horizon is None:
                return 0
            horizon = self._horizon_at = min(self._horizon(), self._next_quality_check, LATEST)
        return horizon

    def on_market_run(self, run: MarketRun) -> None:
        """Every update of the run, as `on_time` + `on_book_delta` for each would (see
        terminal.kernels.book_runs): the compiled kernel applies the ordinary ones, and
        stops for everything the Python path must do."""
        source = run.source
        ctx = self._contexts.get(source)
        if ctx is None:
            ctx = self._contexts[source] = RunContext(
                self._books, self.quality, source,
                lambda: (self._books.version, self.quality.stale_version, self._bus.version))
        if len(ctx.tracked) != len(source.instruments):
            for iid in source.instruments[len(ctx.tracked):]:
                self._seen(iid)
        ctx.ready()
        books, store, fresh = self._books, self._books.store, self.quality.freshness
        frames, values, levels = _c(run.frames), _c(run.prices_sizes), _c(run.levels)
        apply_run = self._apply_run
        if apply_run is None:
            apply_run = self._apply_run = compiled_apply_run()
        advance = self._advance_clock
        out = ctx.out
        out[1] = out[3] = 0
        horizon = self.time_horizon()
        start = slow_deltas = slow_quotes = told = 0
        # the time of the event before frame `start`: the data client gave the first frame
        # its on_time, or it shares the time of the event before it
        timed = run.first_ts
        while True:
            why = apply_run(store.table, store.applied, ctx.inst, ctx.tops,
                            fresh.last_seen, fresh.usual_gap, fresh.last_quote, frames, values,
                            levels, start, horizon, timed, GAP_WEIGHT, out)
            if why == DONE:
                break
            stop, clock, moved, _, ts = out.tolist()
            start = stop
            timed = ts  # frame `stop`'s time is dealt with (TIME: by the on_time below)
            if why == TIME:
                self.on_time(ts)
                horizon = self.time_horizon()
                ctx.ready()
                continue
            row = frames[stop].tolist()
            tracked = ctx.tracked[row[F_INST]]
            if why == GROW:
                assert tracked is not None  # the kernel applies only to books kept
                books.run_grow(tracked, row[F_HI] - row[F_LO])
                continue
            if advance is not None:
                advance(max(clock, ts))
            if why == SLOW:  # the Python path, which counts it
                ctx.settle()
                event = run.event(stop)
                if type(event) is Quote:
                    slow_quotes += 1
                    self.on_quote(event)
                else:
                    slow_deltas += 1
                    self.on_book_delta(event)  # type: ignore[arg-type]
            elif tracked is None:  # applied only to books kept: cannot be
                raise AssertionError(f"run kernel stop {why} for an instrument without a book")
            elif why == PUBLISH:
                k = row[F_INST]
                books.run_published(tracked, ctx.tops[k].tolist() if moved else None,
                                    row[F_TS_EVENT], ts)
                told += 1
                if ctx.versions_seen():
                    start = stop + 1
                    continue
            elif why == CROSSED:
                books.run_crossed(tracked, row[F_TS_EVENT], ts)
                told += 1
            elif why == CHECKSUM:
                books.run_checksum_failed(tracked, row[F_CHECKSUM], int(out[2]),
                                          row[F_TS_EVENT], ts)
                told += 1
            ctx.ready()
            start = stop + 1
        ctx.settle()
        if advance is not None and out[1]:
            advance(int(out[1]))
        quotes = int(out[3])
        applied = len(run) - quotes - slow_quotes - slow_deltas
        if applied:
            self.events["book_delta"] += applied
        if quotes:
            self.events["quote"] += quotes
        books.note_silent_updates(applied - told)

    def on_input_problem(self, problem: InputProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)
        if self.problem_count <= PROBLEMS_LOGGED:
            log.warning("bad input: %s", problem)
        elif self.problem_count == PROBLEMS_LOGGED + 1:
            log.warning("more bad input rows follow; the run summary counts them all")


def _c(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """The array, C-contiguous (the compiled entry point relies on it)."""
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)
