"""The books the engine maintains, one per instrument, with their sync state."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from terminal.core.bus import EventBus
from terminal.core.topics import Kind, Topics
from terminal.kernels.array_book import ArrayBook
from terminal.kernels.book_runs import STORE_COLUMNS
from terminal.model.ids import InstrumentId
from terminal.model.market import BookDelta, BookSnapshot, Level, Quote
from terminal.services.book_sync import BookSync, KrakenChecksumSync, SyncResult, policy_for


@dataclass(frozen=True, slots=True)
class BookStatus:
    instrument_id: InstrumentId
    usable: bool
    reason: str | None
    ts_ns: int


@dataclass(frozen=True, slots=True)
class BookAnalytics:
    """Top-of-book measures of a usable book; NaN where a side is empty."""

    instrument_id: InstrumentId
    best_bid: float
    best_ask: float
    mid: float
    spread: float
    microprice: float
    imbalance: float  # over the top `depth` levels: (bid volume - ask volume) / total
    bid_depth: list[float]  # cumulative size over the best levels, best first
    ask_depth: list[float]


class _Tracked:
    """A book with its sync policy, counters, topics and last published top of book."""

    __slots__ = ("iid", "slot", "text_slots", "book", "sync", "book_topic", "quote_topic",
                 "status_topic", "top", "snapshots", "deltas_applied", "deltas_dropped",
                 "stale_events")

    def __init__(self, iid: InstrumentId, slot: int) -> None:
        self.iid = iid
        self.slot = slot  # where the book's arrays are in BookStore
        self.text_slots = (-1, -1)  # and those of its text books (Kraken), if any
        self.book = ArrayBook()
        self.sync: BookSync = policy_for(iid.venue)(self.book)
        key = str(iid)
        self.book_topic = Topics.of(Kind.BOOK, key)
        self.quote_topic = Topics.of(Kind.QUOTE, key)
        self.status_topic = Topics.of(Kind.BOOK_STATUS, key)
        self.top: tuple[Level | None, Level | None] = (None, None)
        self.snapshots = 0
        self.deltas_applied = 0
        self.deltas_dropped = 0
        self.stale_events = 0


def text_books(sync: BookSync) -> tuple[ArrayBook, ...]:
    """The text books a sync policy keeps beside the book (Kraken's checksum text)."""
    if isinstance(sync, KrakenChecksumSync):
        return sync.text_prices, sync.text_volumes
    return ()


class BookStore:
    """Where every book's arrays are, by slot, for the run kernel: per slot the address and
    capacity of its level array and the address of its head (terminal.kernels.pointers).
    Holds each addressed array, so none is freed while addressed; `follow` after a book
    may have grown. And the updates the run kernel applied, per slot."""

    def __init__(self) -> None:
        self.table: npt.NDArray[np.int64] = np.zeros((16, STORE_COLUMNS), dtype=np.int64)
        self.applied: npt.NDArray[np.int64] = np.zeros(16, dtype=np.int64)
        self._held: list[tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]] = []

    def add(self, book: ArrayBook) -> int:
        slot = len(self._held)
        if slot == len(self.applied):
            self.table = np.concatenate([self.table, np.zeros_like(self.table)])
            self.applied = np.concatenate([self.applied, np.zeros_like(self.applied)])
        self._held.append((book.data, book.head))
        self._write(slot, book)
        return slot

    def follow(self, slot: int, book: ArrayBook) -> None:
        """After the book may have grown: address its current level array."""
        if self._held[slot][0] is not book.data:
            self._held[slot] = (book.data, book.head)
            self._write(slot, book)

    def _write(self, slot: int, book: ArrayBook) -> None:
        data = book.data
        self.table[slot] = (data.ctypes.data, data.shape[1], book.head.ctypes.data)


class BookManager:
    """Keeps books in sync and publishes book updates, status changes and top-of-book quotes.

    A quote is published when the best bid or ask (price or size) changes. A stale book
    publishes no quote: consumers never see prices from a book we know is wrong.

    `version` changes whenever a book's sync state or last published top may have changed
    by the Python path (the run path's RunContext rebuilds from it).
    """

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._books: dict[InstrumentId, _Tracked] = {}
        self.store = BookStore()
        self.version = 0

    def _tracked(self, iid: InstrumentId) -> _Tracked:
        tracked = self._books.get(iid)
        if tracked is None:
            tracked = _Tracked(iid, -1)
            tracked.slot = self.store.add(tracked.book)
            texts = text_books(tracked.sync)
            if texts:
                prices, volumes = texts
                tracked.text_slots = (self.store.add(prices), self.store.add(volumes))
            self._books[iid] = tracked
        return tracked

    # -- the run path (see terminal.kernels.book_runs) ----------------------------------
    def tracked_if_any(self, iid: InstrumentId) -> _Tracked | None:
        """The book of `iid` if one is kept (the run path never makes one)."""
        return self._books.get(iid)

    def is_watched(self, tracked: _Tracked) -> bool:
        """Someone is told of every update of this book (not only top-of-book changes)."""
        return self._bus.has_handlers(tracked.book_topic)

    def run_published(self, tracked: _Tracked, top: list[float] | None, ts_event: int,
                      ts_recv: int) -> None:
        """What `on_delta` does after an update applied by the run kernel left the book
        usable with a new top (or a watched book): tell, and quote when the top moved.
        `top`: the new (bid, bid size, ask, ask size), NaN for an empty side; None when
        the top is the one last published."""
        bus = self._bus
        bus.publish(tracked.book_topic, tracked.iid)
        if top is not None:
            bid_price, bid_size, ask_price, ask_size = top
            bid = (bid_price, bid_size) if bid_price == bid_price else None
            ask = (ask_price, ask_size) if ask_price == ask_price else None
            tracked.top = (bid, ask)
            if bid is not None and ask is not None:
                bus.publish(tracked.quote_topic,
                            Quote(tracked.iid, bid_price, bid_size, ask_price, ask_size,
                                  ts_event, ts_recv))

    def run_crossed(self, tracked: _Tracked, ts_event: int, ts_recv: int) -> None:
        """What `on_delta` does after an update applied by the run kernel crossed the book."""
        self.store.applied[tracked.slot] -= 1  # `_after` counts this update itself
        result = SyncResult(applied=1)
        tracked.sync._check_crossed(result)
        self._after(tracked, result, True, ts_event, ts_recv, changed=True)

    def run_grow(self, tracked: _Tracked, levels: int) -> None:
        """Make room for `levels` more levels on each side of the book (and its text)."""
        for slot, book in zip((tracked.slot, *tracked.text_slots),
                              (tracked.book, *text_books(tracked.sync)), strict=False):
            book.reserve(max(len(book.bids), len(book.asks)) + levels)
            self.store.follow(slot, book)

    def run_follow(self, tracked: _Tracked) -> None:
        """The store holds the book's (and its text books') current arrays."""
        self.store.follow(tracked.slot, tracked.book)
        for slot, book in zip(tracked.text_slots, text_books(tracked.sync), strict=False):
            self.store.follow(slot, book)

    def run_checksum_failed(self, tracked: _Tracked, venue: int, computed: int,
                            ts_event: int, ts_recv: int) -> None:
        """What `on_delta` does after an update applied by the run kernel failed the venue's
        checksum."""
        self.store.applied[tracked.slot] -= 1  # `_after` counts this update itself
        result = SyncResult(applied=1)
        tracked.sync._go_stale(result, f"checksum mismatch: venue {venue}, book {computed}")
        self._after(tracked, result, True, ts_event, ts_recv, changed=True)

    def note_silent_updates(self, count: int) -> None:
        """`count` updates the run kernel applied without a publish nobody would hear."""
        self._bus.count_unheard(Kind.BOOK, count)

    def on_snapshot(self, snap: BookSnapshot) -> None:
        self.version += 1
        tracked = self._tracked(snap.instrument_id)
        was_usable = tracked.sync.synced
        result = tracked.sync.on_snapshot(snap)
        tracked.snapshots += 1
        self._after(tracked, result, was_usable, snap.ts_event, snap.ts_recv, changed=True)

    def on_delta(self, delta: BookDelta) -> None:
        tracked = self._books.get(delta.instrument_id) or self._tracked(delta.instrument_id)
        sync = tracked.sync
        self.version += 1
        if not sync.synced:
            result = sync.on_delta(delta)
            self._after(tracked, result, False, delta.ts_event, delta.ts_recv,
                        changed=result.applied > 0)
            return
        top = sync.step(delta)
        if type(top) is not tuple:
            assert isinstance(top, SyncResult)
            if top.stale_reason or not sync.synced:
                self._after(tracked, top, True, delta.ts_event, delta.ts_recv,
                            changed=top.applied > 0)
                return
            tracked.deltas_applied += top.applied
            tracked.deltas_dropped += top.dropped
            if not top.applied:
                return
            top = (top.best_bid, top.best_ask)
        else:
            tracked.deltas_applied += 1
        # _after for a diff that applied to a book that stays usable: this runs for every diff
        bus = self._bus
        bus.publish(tracked.book_topic, tracked.iid)
        if top != tracked.top:
            tracked.top = top
            bid, ask = top
            if bid is not None and ask is not None:
                bus.publish(tracked.quote_topic,
                            Quote(tracked.iid, bid[0], bid[1], ask[0], ask[1], delta.ts_event,
                                  delta.ts_recv))

    def _after(self, tracked: _Tracked, result: SyncResult, was_usable: bool, ts_event: int,
               ts_recv: int, *, changed: bool) -> None:
        sync = tracked.sync
        self.version += 1
        tracked.deltas_applied += result.applied
        tracked.deltas_dropped += result.dropped
        if result.stale_reason:
            tracked.stale_events += 1
        if sync.synced != was_usable or result.stale_reason:
            tracked.top = (None, None)
            self._bus.publish(tracked.status_topic,
                              BookStatus(tracked.iid, sync.synced, sync.stale_reason, ts_recv))
        if not sync.synced or not changed:
            return
        bus = self._bus
        bus.publish(tracked.book_topic, tracked.iid)
        top = (result.best_bid, result.best_ask)
        if top != tracked.top:
            tracked.top = top
            bid, ask = top
            if bid is not None and ask is not None:
                bus.publish(tracked.quote_topic,
                            Quote(tracked.iid, bid[0], bid[1], ask[0], ask[1], ts_event,
                                  ts_recv))

    # BookView
    def levels(self, instrument_id: InstrumentId, depth: int) -> tuple[list[Level], list[Level]]:
        tracked = self._books.get(instrument_id)
        if tracked is None or not tracked.sync.synced:
            return [], []
        return tracked.sync.book.top(depth)

    def analytics(self, instrument_id: InstrumentId, depth: int = 10) -> BookAnalytics | None:
        """Measures of a usable book; None when the book is stale or unknown."""
        tracked = self._books.get(instrument_id)
        if tracked is None or not tracked.sync.synced:
            return None
        book = tracked.book
        bid, ask = book.best_bid(), book.best_ask()
        nan = math.nan
        best_bid = bid[0] if bid else nan
        best_ask = ask[0] if ask else nan
        return BookAnalytics(instrument_id, best_bid, best_ask, (best_bid + best_ask) / 2,
                             best_ask - best_bid, book.microprice(), book.imbalance(depth),
                             book.cumulative_depth(depth, True).tolist(),
                             book.cumulative_depth(depth, False).tolist())

    def depth_at(self, instrument_id: InstrumentId, price: float, is_bid: bool) -> float:
        """Size resting at a price. NaN when the book is stale or the price lies beyond the
        deepest level we know: depth past what the venue sent is unknown, not empty."""
        tracked = self._books.get(instrument_id)
        if tracked is None or not tracked.sync.synced:
            return math.nan
        side = tracked.book.bids if is_bid else tracked.book.asks
        if not len(side):
            return math.nan
        worst = side.prices()[-1]
        if (is_bid and price < worst) or (not is_bid and price > worst):
            return math.nan
        return tracked.book.depth_at(price, is_bid)

    def is_usable(self, instrument_id: InstrumentId) -> bool:
        tracked = self._books.get(instrument_id)
        return tracked is not None and tracked.sync.synced

    def status(self, instrument_id: InstrumentId) -> BookStatus | None:
        tracked = self._books.get(instrument_id)
        if tracked is None:
            return None
        sync = tracked.sync
        return BookStatus(instrument_id, sync.synced, sync.stale_reason, sync.book.ts_event)

    def instruments(self) -> list[InstrumentId]:
        return sorted(self._books)

    def summary(self) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        for iid, t in sorted(self._books.items()):
            book = t.sync.book
            bid, ask = book.best_bid(), book.best_ask()
            out[str(iid)] = {
                "usable": t.sync.synced,
                "stale_reason": t.sync.stale_reason,
                "sequence": book.sequence,
                "bid_levels": len(book.bids),
                "ask_levels": len(book.asks),
                "best_bid": bid[0] if bid else math.nan,
                "best_ask": ask[0] if ask else math.nan,
                "snapshots": t.snapshots,
                "deltas_applied": t.deltas_applied + int(self.store.applied[t.slot]),
                "deltas_dropped": t.deltas_dropped,
                "stale_events": t.stale_events,
                "sync_policy": t.sync.name,
            }
        return out
