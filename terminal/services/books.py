"""The books the engine maintains, one per instrument, with their sync state."""

from __future__ import annotations

import math
from dataclasses import dataclass

from terminal.core.bus import EventBus
from terminal.core.topics import Kind
from terminal.model.ids import InstrumentId
from terminal.model.market import BookDelta, BookSnapshot, Level, Quote
from terminal.services.book_sync import BookSync, SyncResult, policy_for
from terminal.services.order_book import OrderBook


@dataclass(frozen=True, slots=True)
class BookStatus:
    instrument_id: InstrumentId
    usable: bool
    reason: str | None
    ts_ns: int


@dataclass(slots=True)
class BookCounters:
    snapshots: int = 0
    deltas_applied: int = 0
    deltas_dropped: int = 0
    stale_events: int = 0


class BookManager:
    """Keeps books in sync and publishes book updates, status changes and top-of-book quotes.

    A stale book publishes no quote: consumers never see prices from a book we know is wrong.
    """

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._syncs: dict[InstrumentId, BookSync] = {}
        self.counters: dict[InstrumentId, BookCounters] = {}

    def _sync_for(self, instrument_id: InstrumentId) -> BookSync:
        sync = self._syncs.get(instrument_id)
        if sync is None:
            sync = policy_for(instrument_id.venue)(OrderBook())
            self._syncs[instrument_id] = sync
            self.counters[instrument_id] = BookCounters()
        return sync

    def on_snapshot(self, snap: BookSnapshot) -> None:
        sync = self._sync_for(snap.instrument_id)
        was_usable = sync.synced
        result = sync.on_snapshot(snap)
        self.counters[snap.instrument_id].snapshots += 1
        self._after(snap.instrument_id, sync, result, was_usable, snap.ts_recv, snap.ts_event,
                    changed=True)

    def on_delta(self, delta: BookDelta) -> None:
        sync = self._sync_for(delta.instrument_id)
        was_usable = sync.synced
        result = sync.on_delta(delta)
        self._after(delta.instrument_id, sync, result, was_usable, delta.ts_recv, delta.ts_event,
                    changed=result.applied > 0)

    def _after(self, iid: InstrumentId, sync: BookSync, result: SyncResult, was_usable: bool,
               ts_recv: int, ts_event: int, *, changed: bool) -> None:
        counters = self.counters[iid]
        counters.deltas_applied += result.applied
        counters.deltas_dropped += result.dropped
        key = str(iid)
        if result.stale_reason:
            counters.stale_events += 1
        if sync.synced != was_usable or result.stale_reason:
            self._bus.emit(Kind.BOOK_STATUS, key,
                           BookStatus(iid, sync.synced, sync.stale_reason, ts_recv))
        if not sync.synced or not changed:
            return
        self._bus.emit(Kind.BOOK, key, iid)
        bid, ask = sync.book.best_bid(), sync.book.best_ask()
        if bid is not None and ask is not None:
            self._bus.emit(Kind.QUOTE, key,
                           Quote(iid, bid[0], bid[1], ask[0], ask[1], ts_event, ts_recv))

    # BookView
    def levels(self, instrument_id: InstrumentId, depth: int) -> tuple[list[Level], list[Level]]:
        sync = self._syncs.get(instrument_id)
        if sync is None or not sync.synced:
            return [], []
        return sync.book.top(depth)

    def is_usable(self, instrument_id: InstrumentId) -> bool:
        sync = self._syncs.get(instrument_id)
        return sync is not None and sync.synced

    def status(self, instrument_id: InstrumentId) -> BookStatus | None:
        sync = self._syncs.get(instrument_id)
        if sync is None:
            return None
        return BookStatus(instrument_id, sync.synced, sync.stale_reason, sync.book.ts_event)

    def instruments(self) -> list[InstrumentId]:
        return sorted(self._syncs)

    def summary(self) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        for iid, sync in sorted(self._syncs.items()):
            c = self.counters[iid]
            bid, ask = sync.book.best_bid(), sync.book.best_ask()
            out[str(iid)] = {
                "usable": sync.synced,
                "stale_reason": sync.stale_reason,
                "sequence": sync.book.sequence,
                "bid_levels": len(sync.book.bids),
                "ask_levels": len(sync.book.asks),
                "best_bid": bid[0] if bid else math.nan,
                "best_ask": ask[0] if ask else math.nan,
                "snapshots": c.snapshots,
                "deltas_applied": c.deltas_applied,
                "deltas_dropped": c.deltas_dropped,
                "stale_events": c.stale_events,
                "sync_policy": sync.name,
            }
        return out
