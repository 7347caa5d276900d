"""One L2 order book: price levels per side, kept sorted. Depth beyond what the venue sent is
unknown, not empty: `depth_known` tells how far a level list can be trusted."""

from __future__ import annotations

from collections.abc import Iterable

from sortedcontainers import SortedDict

from terminal.model.market import Level


class OrderBook:
    __slots__ = ("bids", "asks", "sequence", "ts_event", "updates")

    def __init__(self) -> None:
        # bids keyed by negated price so iteration starts at the best level on both sides
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()
        self.sequence = 0
        self.ts_event = 0
        self.updates = 0

    def clear(self) -> None:
        self.bids.clear()
        self.asks.clear()

    def load(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        self.clear()
        self.apply(bids, asks)

    def apply(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        for price, size in bids:
            if size > 0.0:
                self.bids[-price] = size
            else:
                self.bids.pop(-price, None)
        for price, size in asks:
            if size > 0.0:
                self.asks[price] = size
            else:
                self.asks.pop(price, None)
        self.updates += 1

    def best_bid(self) -> Level | None:
        if not self.bids:
            return None
        key, size = self.bids.peekitem(0)
        return -key, size

    def best_ask(self) -> Level | None:
        if not self.asks:
            return None
        return self.asks.peekitem(0)

    def is_crossed_or_locked(self) -> bool:
        bid, ask = self.best_bid(), self.best_ask()
        return bid is not None and ask is not None and bid[0] >= ask[0]

    def top(self, depth: int) -> tuple[list[Level], list[Level]]:
        bids = [(-k, v) for k, v in self.bids.items()[:depth]]
        asks = list(self.asks.items()[:depth])
        return bids, asks

    def truncate(self, depth: int) -> None:
        while len(self.bids) > depth:
            self.bids.popitem(-1)
        while len(self.asks) > depth:
            self.asks.popitem(-1)
