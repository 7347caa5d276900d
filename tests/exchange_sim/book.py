"""The venue's own book in the simulator: price text -> level text, exact Decimal order."""

from __future__ import annotations

from decimal import Decimal


class SimBook:
    """One side each of `{Decimal price: [price text, size text, ...]}`."""

    def __init__(self) -> None:
        self.bids: dict[Decimal, list[str]] = {}
        self.asks: dict[Decimal, list[str]] = {}
        self.sequence = 0

    def load(self, bids: list[list[str]], asks: list[list[str]]) -> None:
        self.bids = {Decimal(level[0]): list(level) for level in bids}
        self.asks = {Decimal(level[0]): list(level) for level in asks}

    def apply(self, side: str, level: list[str]) -> None:
        book = self.bids if side == "b" else self.asks
        price = Decimal(level[0])
        if Decimal(level[1]) == 0:
            book.pop(price, None)
        else:
            book[price] = list(level)

    def top(self, side: str, depth: int | None = None) -> list[list[str]]:
        book = self.bids if side == "b" else self.asks
        prices = sorted(book, reverse=side == "b")[:depth]
        return [book[p] for p in prices]

    def truncate(self, depth: int) -> None:
        for side in ("b", "a"):
            book = self.bids if side == "b" else self.asks
            for price in sorted(book, reverse=side == "b")[depth:]:
                del book[price]
