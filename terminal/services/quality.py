"""Data quality checks on every incoming stream, whatever its source.

Each finding is published on the bus (Kind.QUALITY) and counted per instrument and kind.
What each kind means and what happens to the event is in docs/market-data.md ("Quality").
"""

from __future__ import annotations

import math
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

from terminal.core.bus import EventBus
from terminal.core.topics import Kind
from terminal.kernels.book import levels_in_range
from terminal.model.ids import InstrumentId
from terminal.model.market import Bar, BookDelta, BookSnapshot, Quote, Trade
from terminal.services.freshness import Freshness

RECENT_TRADE_IDS = 4096
EWMA_WEIGHT = 0.05
GAP_WEIGHT = 0.1
QUIET_GAPS = 50  # a silence this many usual gaps long is a stale feed


@dataclass(frozen=True, slots=True)
class QualityFinding:
    instrument_id: InstrumentId
    kind: str
    detail: str
    ts_ns: int
    count: int  # findings of this kind for this instrument so far, this one included


class QualityMonitor:
    def __init__(self, bus: EventBus, outlier_ratio: float = 0.10,
                 stale_after_s: float = 60.0) -> None:
        self._bus = bus
        self.outlier_ratio = outlier_ratio
        self.stale_after_ns = int(stale_after_s * 1e9)
        self.counts: dict[InstrumentId, dict[str, int]] = defaultdict(dict)
        self._last_ts: dict[tuple[InstrumentId, str], int] = {}
        self._trade_ids: dict[InstrumentId, OrderedDict[str, None]] = {}
        self._reference: dict[InstrumentId, float] = {}
        self._same_time_prints: dict[InstrumentId, tuple[int, set[tuple[float, float, str]]]] = {}
        self.freshness = Freshness(GAP_WEIGHT)
        self._stale: set[InstrumentId] = set()
        self.stale_version = 0  # changes whenever the set of quiet feeds changes

    def report(self, iid: InstrumentId, kind: str, detail: str, ts_ns: int) -> None:
        per = self.counts[iid]
        count = per[kind] = per.get(kind, 0) + 1
        self._bus.emit(Kind.QUALITY, str(iid), QualityFinding(iid, kind, detail, ts_ns, count))

    def _order(self, iid: InstrumentId, stream: str, ts: int, live: bool = True) -> None:
        key = (iid, stream)
        last = self._last_ts.get(key, 0)
        if ts < last:
            self.report(iid, "out_of_order", f"{stream} at {ts} after {last}", ts)
        else:
            self._last_ts[key] = ts
        if live:  # bar series pause by design (nights, weekends): not a stale feed
            self._seen(iid, ts)

    def _seen(self, iid: InstrumentId, ts: int) -> None:
        self.freshness.seen(iid, ts)
        if iid in self._stale:
            self._stale.discard(iid)
            self.stale_version += 1

    def check_trade(self, trade: Trade) -> bool:
        iid, price, size = trade.instrument_id, trade.price, trade.size
        if not (0.0 < price < math.inf) or not (0.0 <= size < math.inf):
            self.report(iid, "bad_value", f"trade price {price} size {size}", trade.ts_recv)
            return False
        if trade.trade_id:
            recent = self._trade_ids.get(iid)
            if recent is None:
                recent = self._trade_ids[iid] = OrderedDict()
            if trade.trade_id in recent:
                self.report(iid, "duplicate", f"trade id {trade.trade_id}", trade.ts_recv)
                return False
            recent[trade.trade_id] = None
            if len(recent) > RECENT_TRADE_IDS:
                recent.popitem(last=False)
        else:
            ts, prints = self._same_time_prints.get(iid, (-1, set()))
            if ts != trade.ts_event:
                prints = set()
                self._same_time_prints[iid] = (trade.ts_event, prints)
            key = (price, size, trade.aggressor.value)
            if key in prints:
                self.report(iid, "repeated_print", f"{size} @ {price} at {trade.ts_event}",
                            trade.ts_recv)
            prints.add(key)
        self._order(iid, "trade", trade.ts_event)
        reference = self._reference.get(iid)
        if reference is None:
            self._reference[iid] = price
        else:
            if abs(price - reference) > self.outlier_ratio * reference:
                self.report(iid, "outlier", f"trade at {price}, recent price {reference:.10g}",
                            trade.ts_recv)
            else:
                self._reference[iid] = reference + EWMA_WEIGHT * (price - reference)
        return True

    def check_quote(self, quote: Quote) -> bool:
        iid, bid, ask = quote.instrument_id, quote.bid, quote.ask
        if not (0.0 < bid < math.inf) or not (0.0 < ask < math.inf) or \
                quote.bid_size < 0.0 or quote.ask_size < 0.0:
            self.report(iid, "bad_value", f"quote {bid} x {ask}", quote.ts_recv)
            return False
        if bid > ask:
            self.report(iid, "crossed_quote", f"bid {bid} > ask {ask}", quote.ts_recv)
            return False
        if bid == ask:
            self.report(iid, "locked_quote", f"bid = ask = {bid}", quote.ts_recv)
        # _order for quotes, whose last time lives beside the freshness (the run path
        # notes quotes too)
        ts, fresh = quote.ts_event, self.freshness
        slot = fresh.slot(iid)
        last = fresh.quote_times[slot]
        if ts < last:
            self.report(iid, "out_of_order", f"quote at {ts} after {last}", ts)
        else:
            fresh.quote_times[slot] = ts
        self._seen(iid, ts)
        return True

    def check_bar(self, bar: Bar) -> bool:
        if not bar.is_consistent() or not (bar.low > 0.0) or bar.volume < 0.0:
            self.report(bar.instrument_id, "inconsistent_bar",
                        f"O {bar.open} H {bar.high} L {bar.low} C {bar.close} V {bar.volume}",
                        bar.ts)
            return False
        self._order(bar.instrument_id, f"bar{bar.interval_ns}", bar.ts, live=False)
        return True

    def check_book(self, event: BookSnapshot | BookDelta) -> bool:
        inf = math.inf
        columns = event.columns if type(event) is BookSnapshot else None
        if columns is not None and levels_in_range(columns["b"]) \
                and levels_in_range(columns["a"]):
            self.freshness.seen(event.instrument_id, event.ts_recv)
            self._fresh(event.instrument_id)
            return True
        for price, size in event.bids:
            if not (0.0 < price < inf) or not (0.0 <= size < inf):
                return self._bad_level(event, price, size)
        for price, size in event.asks:
            if not (0.0 < price < inf) or not (0.0 <= size < inf):
                return self._bad_level(event, price, size)
        iid = event.instrument_id
        self.freshness.seen(iid, event.ts_recv)
        if self._stale:
            self._fresh(iid)
        return True

    def _fresh(self, iid: InstrumentId) -> None:
        if iid in self._stale:
            self._stale.discard(iid)
            self.stale_version += 1

    def is_quiet(self, iid: InstrumentId) -> bool:
        """The feed of `iid` is flagged stale (quiet) until its next event."""
        return iid in self._stale

    def _bad_level(self, event: BookSnapshot | BookDelta, price: float, size: float) -> bool:
        self.report(event.instrument_id, "bad_value", f"book level {price} x {size}",
                    event.ts_recv)
        return False

    def on_book_stale(self, iid: InstrumentId, reason: str, ts_ns: int) -> None:
        self.report(iid, "book_stale", reason, ts_ns)

    def on_time(self, now_ns: int) -> None:
        """Flag instruments whose feed went quiet (called at a low rate)."""
        for key, seen, usual in self.freshness.items():
            iid: InstrumentId = key  # type: ignore[assignment]  # only instrument ids go in
            quiet = now_ns - seen
            if quiet <= self.stale_after_ns or iid in self._stale:
                continue
            if usual is not None and quiet > QUIET_GAPS * usual:
                self._stale.add(iid)
                self.stale_version += 1
                self.report(iid, "stale_feed",
                            f"no data for {(now_ns - seen) / 1e9:.0f} s", now_ns)

    def summary(self) -> dict[str, dict[str, int]]:
        return {str(iid): dict(sorted(kinds.items()))
                for iid, kinds in sorted(self.counts.items()) if kinds}
