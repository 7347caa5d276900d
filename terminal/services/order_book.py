"""A pure-Python L2 book: the reference the array kernel (terminal.kernels) is checked and
benchmarked against. The engine runs on ArrayBook.

Price -> size per side, with the best level found in O(1) amortised.

Levels live in plain dicts; each side also keeps a heap of its prices with lazy deletion (a
price whose level was removed is dropped when it reaches the top). Updates and top-of-book
reads are cheap; full sorted views (`top`) are built on demand, which consumers do at frame
rate, not per update. Depth beyond what the venue sent is unknown, not empty.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from terminal.model.market import Level

_REBUILD_FACTOR = 4  # rebuild a heap when it holds this many times more entries than levels


class _Side:
    __slots__ = ("levels", "_heap", "_sign")

    def __init__(self, sign: float) -> None:
        self.levels: dict[float, float] = {}
        self._heap: list[float] = []
        self._sign = sign  # -1 for bids so the heap's smallest key is the highest price

    def clear(self) -> None:
        self.levels.clear()
        self._heap.clear()

    def set(self, price: float, size: float) -> None:
        levels = self.levels
        if size > 0.0:
            if price not in levels:
                heapq.heappush(self._heap, self._sign * price)
            levels[price] = size
        elif levels.pop(price, None) is not None and \
                len(self._heap) > _REBUILD_FACTOR * len(levels) + 64:
            self._heap = [self._sign * p for p in levels]
            heapq.heapify(self._heap)

    def best(self) -> Level | None:
        heap, levels = self._heap, self.levels
        while heap:
            price = self._sign * heap[0]
            size = levels.get(price)
            if size is not None:
                return price, size
            heapq.heappop(heap)
        return None

    def sorted_levels(self, depth: int) -> list[Level]:
        if self._sign < 0:
            prices = heapq.nlargest(depth, self.levels)
        else:
            prices = heapq.nsmallest(depth, self.levels)
        levels = self.levels
        return [(p, levels[p]) for p in prices]

    def truncate(self, depth: int) -> list[float]:
        """Keep the best `depth` levels; return the prices dropped."""
        excess = len(self.levels) - depth
        if excess <= 0:
            return []
        if self._sign < 0:
            dropped = heapq.nsmallest(excess, self.levels)
        else:
            dropped = heapq.nlargest(excess, self.levels)
        for price in dropped:
            self.set(price, 0.0)
        return dropped

    def __len__(self) -> int:
        return len(self.levels)


class OrderBook:
    __slots__ = ("bids", "asks", "sequence", "ts_event", "updates")

    def __init__(self) -> None:
        self.bids = _Side(-1.0)
        self.asks = _Side(1.0)
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
        """Set each level's size; a size of 0 deletes the level."""
        set_bid, set_ask = self.bids.set, self.asks.set
        for price, size in bids:
            set_bid(price, size)
        for price, size in asks:
            set_ask(price, size)
        self.updates += 1

    def best_bid(self) -> Level | None:
        return self.bids.best()

    def best_ask(self) -> Level | None:
        return self.asks.best()

    def is_crossed_or_locked(self) -> bool:
        bid, ask = self.bids.best(), self.asks.best()
        return bid is not None and ask is not None and bid[0] >= ask[0]

    def top(self, depth: int) -> tuple[list[Level], list[Level]]:
        """The best `depth` levels per side, best first."""
        return self.bids.sorted_levels(depth), self.asks.sorted_levels(depth)

    def best_prices(self, is_bid: bool, depth: int) -> list[float]:
        """The prices of the best `depth` levels of a side, best first."""
        return [p for p, _ in (self.bids if is_bid else self.asks).sorted_levels(depth)]

    def truncate(self, depth: int) -> tuple[list[float], list[float]]:
        """Keep the best `depth` levels per side; return the bid and ask prices dropped."""
        return self.bids.truncate(depth), self.asks.truncate(depth)
