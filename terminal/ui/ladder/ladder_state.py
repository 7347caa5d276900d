"""What the ladder shows, as plain data: written per event, turned into rows per frame."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from terminal.model.orders import Order
from terminal.ui.ladder.grid import (
    Book,
    LadderRows,
    Levels,
    PriceGrid,
    centre_ticks,
    level_rows,
    own_levels,
    tick_rows,
)


class LadderState:
    """Book, status, own orders and the price window's anchor. Setters only mark it dirty;
    `build` makes the rows. A stale book keeps the last levels it had so they can be shown
    greyed: a stale book's owner offers no levels at all."""

    def __init__(self, rows_per_side: int = 50, recentre_band: int = 2) -> None:
        self.rows_per_side = rows_per_side
        # the spread may drift this many rows from the middle before auto-centre moves the
        # window: re-anchoring rewrites every row, and a one-tick flicker should not
        self.recentre_band = recentre_band
        self.label = ""
        self.grid: PriceGrid | None = None
        self.book = Book.of([], [])
        self.own = own_levels([])
        self.usable = True
        self.reason: str | None = None
        self.auto_centre = True
        self.dirty = True
        self.anchor_moved = False  # set by the last build
        self._top: int | None = None  # tick grid: the first row's price in ticks

    def set_instrument(self, label: str, tick_size: Decimal, price_decimals: int,
                       size_decimals: int) -> bool:
        """True if the price grid changed (the rows must be rebuilt from scratch)."""
        grid = PriceGrid(tick_size, price_decimals, size_decimals)
        if label != self.label:  # another instrument's levels are not this one's
            self.book = Book.of([], [])
        self.label = label
        self.dirty = True
        if grid == self.grid:
            return False
        self.grid = grid
        self._top = None
        return True

    def set_book(self, bids: Levels, asks: Levels) -> None:
        if not self.usable and not bids and not asks:
            return
        self.book = Book.of(bids, asks)
        self.dirty = True

    def set_status(self, usable: bool, reason: str | None) -> None:
        if (usable, reason) != (self.usable, self.reason):
            self.usable, self.reason = usable, reason
            self.dirty = True

    def set_own_orders(self, orders: Iterable[Order]) -> None:
        own = own_levels(orders)
        if own != self.own:
            self.own = own
            self.dirty = True

    def set_auto_centre(self, on: bool) -> None:
        if on != self.auto_centre:
            self.auto_centre = on
            if on:
                self.centre()

    def centre(self) -> None:
        """Put the spread back in the middle at the next build."""
        self._top = None
        self.dirty = True

    @property
    def row_count(self) -> int:
        if self.grid is None:
            return 0
        return 2 * self.rows_per_side + (1 if self.grid.by_tick else 0)

    @property
    def centre_row(self) -> int:
        return self.rows_per_side

    def build(self) -> LadderRows:
        self.dirty = False
        self.anchor_moved = False
        grid = self.grid
        if grid is None:
            return LadderRows.blank(0)
        if not grid.by_tick:
            return level_rows(self.book, self.own, self.rows_per_side)
        middle = centre_ticks(self.book, grid)
        if middle is not None and (self._top is None or (
                self.auto_centre
                and abs(middle - (self._top - self.rows_per_side)) > self.recentre_band)):
            self._top = middle + self.rows_per_side
            self.anchor_moved = True
        if self._top is None:
            return LadderRows.blank(self.row_count)
        return tick_rows(self.book, self.own, grid, self._top, self.row_count)
