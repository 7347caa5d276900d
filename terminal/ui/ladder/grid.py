"""Ladder rows as arrays: price grid, sizes, cumulative depth and own orders, one entry a row.

Pure numpy, no Qt: the table model diffs two of these to find the block that changed.
Rows run from the highest price (top) to the lowest. With a tick, rows sit on the tick grid
(`ticks` holds each row's price in ticks); with a tick of 0 they sit on the book's own levels,
asks above bids, and the spread is always between rows `half - 1` and `half`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from terminal.model.numbers import ZERO, decimals_of, to_decimal
from terminal.model.orders import Order, OrderType, Side

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Levels = Sequence[tuple[float, float]]


class RowKind(IntEnum):
    PLAIN = 0
    BEST_BID = 1
    BEST_ASK = 2
    SPREAD = 3  # strictly between the best bid and the best ask


@dataclass(frozen=True, slots=True)
class PriceGrid:
    tick_size: Decimal
    price_decimals: int
    size_decimals: int

    @property
    def by_tick(self) -> bool:
        return self.tick_size > ZERO

    def price_of_ticks(self, ticks: int) -> Decimal:
        exact = Decimal(ticks) * self.tick_size
        return exact.quantize(Decimal(1).scaleb(-self._decimals_for(exact)))

    def price_of_level(self, price: float) -> Decimal:
        exact = to_decimal(price)
        return exact.quantize(Decimal(1).scaleb(-self._decimals_for(exact)))

    def _decimals_for(self, exact: Decimal) -> int:
        # never round a real price away to fit a display precision that is too coarse
        return max(self.price_decimals, decimals_of(exact))

    def ticks_of(self, price: Decimal) -> int:
        return int((price / self.tick_size).to_integral_value())


@dataclass(frozen=True, slots=True)
class BookSide:
    """One side of a book as arrays, best first."""

    prices: FloatArray
    sizes: FloatArray

    @staticmethod
    def of(levels: Levels, descending: bool) -> BookSide:
        if not levels:
            return BookSide(np.empty(0), np.empty(0))
        arr = np.asarray(levels, dtype=np.float64).reshape(-1, 2)
        arr = arr[np.isfinite(arr).all(axis=1) & (arr[:, 1] > 0)]
        order = np.argsort(-arr[:, 0] if descending else arr[:, 0], kind="stable")
        return BookSide(arr[order, 0], arr[order, 1])

    def __len__(self) -> int:
        return len(self.prices)


@dataclass(frozen=True, slots=True)
class OwnLevel:
    count: int
    quantity: float


def own_levels(orders: Iterable[Order]) -> dict[tuple[Side, Decimal], OwnLevel]:
    """Working limit orders summed per (side, price); quantities are what is left to fill."""
    out: dict[tuple[Side, Decimal], OwnLevel] = {}
    for order in orders:
        if (order.type is not OrderType.LIMIT or order.price is None
                or order.status.is_terminal or order.leaves_qty <= ZERO):
            continue
        key = (order.side, order.price)
        seen = out.get(key)
        qty = float(order.leaves_qty)
        out[key] = OwnLevel(1, qty) if seen is None else OwnLevel(seen.count + 1,
                                                                  seen.quantity + qty)
    return out


@dataclass(slots=True, eq=False)
class LadderRows:
    price: FloatArray  # NaN: a blank row (tick 0 grid, beyond the book)
    bid: FloatArray  # 0: no level at this price
    ask: FloatArray
    cum_bid: FloatArray  # NaN: above the best bid or below the deepest known bid
    cum_ask: FloatArray
    own_bid_n: IntArray
    own_bid_qty: FloatArray
    own_ask_n: IntArray
    own_ask_qty: FloatArray
    kind: npt.NDArray[np.int8]
    ticks: IntArray | None  # row prices in ticks on a tick grid, None on a level grid

    @staticmethod
    def blank(count: int, ticks: IntArray | None = None) -> LadderRows:
        def nan() -> FloatArray:
            return np.full(count, math.nan)

        def zeros() -> FloatArray:
            return np.zeros(count)

        return LadderRows(nan(), zeros(), zeros(), nan(), nan(),
                          np.zeros(count, np.int64), zeros(), np.zeros(count, np.int64),
                          zeros(), np.zeros(count, np.int8), ticks)

    @property
    def count(self) -> int:
        return len(self.price)


@dataclass(frozen=True, slots=True)
class Book:
    bids: BookSide
    asks: BookSide

    @staticmethod
    def of(bids: Levels, asks: Levels) -> Book:
        return Book(BookSide.of(bids, True), BookSide.of(asks, False))

    @property
    def best_bid(self) -> float:
        return float(self.bids.prices[0]) if len(self.bids) else math.nan

    @property
    def best_ask(self) -> float:
        return float(self.asks.prices[0]) if len(self.asks) else math.nan


def centre_ticks(book: Book, grid: PriceGrid) -> int | None:
    """The tick in the middle of the spread (or at the only side's best), None if empty."""
    tick = float(grid.tick_size)
    ends = [round(p / tick) for p in (book.best_bid, book.best_ask) if not math.isnan(p)]
    return sum(ends) // len(ends) if ends else None


def tick_rows(book: Book, own: dict[tuple[Side, Decimal], OwnLevel], grid: PriceGrid,
              top: int, count: int) -> LadderRows:
    """`count` rows on the tick grid, the first at `top` ticks."""
    tick = float(grid.tick_size)
    ticks = top - np.arange(count, dtype=np.int64)
    rows = LadderRows.blank(count, ticks)
    rows.price = ticks.astype(np.float64) * tick
    bid_ticks = np.rint(book.bids.prices / tick).astype(np.int64)
    ask_ticks = np.rint(book.asks.prices / tick).astype(np.int64)
    rows.bid = _sizes_on_rows(bid_ticks, book.bids.sizes, top, count)
    rows.ask = _sizes_on_rows(ask_ticks, book.asks.sizes, top, count)
    # a row's cumulative size counts every level from the best to it, shown or not
    rows.cum_bid = _cumulative(-bid_ticks, book.bids.sizes, -ticks)
    rows.cum_ask = _cumulative(ask_ticks, book.asks.sizes, ticks)
    for (side, price), level in own.items():
        row = top - grid.ticks_of(price)
        if 0 <= row < count:
            _add_own(rows, row, side, level)
    best_bid = int(bid_ticks[0]) if len(bid_ticks) else None
    best_ask = int(ask_ticks[0]) if len(ask_ticks) else None
    _mark_kinds(rows, ticks, best_bid, best_ask)
    return rows


def level_rows(book: Book, own: dict[tuple[Side, Decimal], OwnLevel], half: int) -> LadderRows:
    """`2 * half` rows on the book's own levels (and own orders' prices): asks on top."""
    own_prices: dict[Side, dict[float, OwnLevel]] = {Side.BUY: {}, Side.SELL: {}}
    for (side, price), level in own.items():
        own_prices[side][float(price)] = level
    bids = _with_prices(book.bids, own_prices[Side.BUY], descending=True)
    asks = _with_prices(book.asks, own_prices[Side.SELL], descending=False)
    rows = LadderRows.blank(2 * half)
    n_asks = min(half, len(asks))
    n_bids = min(half, len(bids))
    ask_rows = slice(half - n_asks, half)  # best ask just above the middle
    bid_rows = slice(half, half + n_bids)
    rows.price[ask_rows] = asks.prices[:n_asks][::-1]
    rows.ask[ask_rows] = asks.sizes[:n_asks][::-1]
    rows.cum_ask[ask_rows] = np.cumsum(asks.sizes[:n_asks])[::-1]
    rows.price[bid_rows] = bids.prices[:n_bids]
    rows.bid[bid_rows] = bids.sizes[:n_bids]
    rows.cum_bid[bid_rows] = np.cumsum(bids.sizes[:n_bids])
    for row in range(half - n_asks, half + n_bids):
        at = float(rows.price[row])
        side = Side.SELL if row < half else Side.BUY
        mine = own_prices[side].get(at)
        if mine is not None:
            _add_own(rows, row, side, mine)
        if at == book.best_bid:
            rows.kind[row] = RowKind.BEST_BID
        elif at == book.best_ask:
            rows.kind[row] = RowKind.BEST_ASK
    return rows


def _sizes_on_rows(level_ticks: IntArray, sizes: FloatArray, top: int,
                   count: int) -> FloatArray:
    out = np.zeros(count)
    rows = top - level_ticks
    keep = (rows >= 0) & (rows < count)
    np.add.at(out, rows[keep], sizes[keep])  # add: two float prices may round to one tick
    return out


def _cumulative(keys: IntArray, sizes: FloatArray, row_keys: IntArray) -> FloatArray:
    """Sum of sizes whose key <= each row key; keys ascend from the best level. NaN before
    the best level and past the deepest one: depth beyond what the venue sent is unknown."""
    out = np.full(len(row_keys), math.nan)
    if not len(keys):
        return out
    reached = np.searchsorted(keys, row_keys, side="right")
    inside = (reached > 0) & (row_keys <= keys[-1])
    out[inside] = np.cumsum(sizes)[reached[inside] - 1]
    return out


def _add_own(rows: LadderRows, row: int, side: Side, level: OwnLevel) -> None:
    if side is Side.BUY:
        rows.own_bid_n[row] += level.count
        rows.own_bid_qty[row] += level.quantity
    else:
        rows.own_ask_n[row] += level.count
        rows.own_ask_qty[row] += level.quantity


def _mark_kinds(rows: LadderRows, ticks: IntArray, best_bid: int | None,
                best_ask: int | None) -> None:
    if best_bid is not None and best_ask is not None:
        rows.kind[(ticks > best_bid) & (ticks < best_ask)] = RowKind.SPREAD
    if best_bid is not None:
        rows.kind[ticks == best_bid] = RowKind.BEST_BID
    if best_ask is not None:
        rows.kind[ticks == best_ask] = RowKind.BEST_ASK


def _with_prices(side: BookSide, extra: dict[float, OwnLevel], descending: bool) -> BookSide:
    present = set(side.prices.tolist())
    missing = [p for p in extra if p not in present]
    if not missing:
        return side
    prices = np.concatenate([side.prices, np.asarray(missing)])
    sizes = np.concatenate([side.sizes, np.zeros(len(missing))])
    order = np.argsort(-prices if descending else prices, kind="stable")
    return BookSide(prices[order], sizes[order])
