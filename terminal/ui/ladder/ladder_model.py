"""The ladder's table model: one row per price, arrays inside, changed blocks out."""

from __future__ import annotations

import math
from decimal import Decimal
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from terminal.model.orders import Side
from terminal.ui.ladder import style
from terminal.ui.ladder.grid import FloatArray, LadderRows, PriceGrid, RowKind

Index = QModelIndex | QPersistentModelIndex
BAR_ROLE = Qt.ItemDataRole.UserRole + 1  # (share of the cell in [0, 1], colour) or None


class Column(IntEnum):
    OWN_BID = 0
    BID = 1
    CUM_BID = 2
    PRICE = 3
    CUM_ASK = 4
    ASK = 5
    OWN_ASK = 6


HEADERS = ("Own", "Bid", "Σ Bid", "Price", "Σ Ask", "Ask", "Own")
COLUMN_SIDE: dict[Column, Side] = {
    Column.OWN_BID: Side.BUY, Column.BID: Side.BUY, Column.CUM_BID: Side.BUY,
    Column.CUM_ASK: Side.SELL, Column.ASK: Side.SELL, Column.OWN_ASK: Side.SELL,
}
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_CENTRE = int(Qt.AlignmentFlag.AlignCenter)
# text, foreground, background, bar (share, colour), bold, alignment
Look = tuple[str, "QColor | None", "QColor | None", "tuple[float, QColor] | None", bool, int]


class LadderModel(QAbstractTableModel):
    """Holds the shown rows as arrays. `apply` compares new rows with the shown ones and emits
    one dataChanged over the smallest block holding every change (nothing if none); only a
    change in the number of rows resets the model."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._grid = PriceGrid(Decimal(0), 2, 0)
        self._rows = LadderRows.blank(0)
        self._stale = False
        self._looks: dict[tuple[int, int], Look] = {}  # painted cells, until the rows change
        self._size_scale = 0.0
        self._cum_scale = 0.0
        self._visible = slice(None)  # rows the bars are scaled to: what the user sees
        self._bold = QFont()
        self._bold.setBold(True)

    # Qt model interface
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows.count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _CENTRE
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return Qt.ItemFlag.ItemIsEnabled if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(row, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(row, col)
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._background(row, col)
        if role == BAR_ROLE:
            return self._bar(row, col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _CENTRE if col is Column.PRICE else _RIGHT
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if self._is_bold(row, col) else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, col)
        return None

    def look(self, row: int, col: Column) -> Look:
        """What a cell shows, in one call for the painter: text, foreground, background,
        bar, bold, alignment (the same values `data` gives role by role). Cached until the
        rows change: a repaint of unchanged cells (scrolling, an overlapping update) costs a
        lookup."""
        key = (row, col)
        found = self._looks.get(key)
        if found is None:
            found = self._looks[key] = (
                self.text(row, col), self._foreground(row, col), self._background(row, col),
                self._bar(row, col), self._is_bold(row, col),
                _CENTRE if col is Column.PRICE else _RIGHT)
        return found

    # reading
    @property
    def grid(self) -> PriceGrid:
        return self._grid

    @property
    def rows(self) -> LadderRows:
        return self._rows

    @property
    def stale(self) -> bool:
        return self._stale

    def price_at(self, row: int) -> Decimal | None:
        """The exact price of a row, on the tick grid; None for a blank row."""
        if not 0 <= row < self._rows.count:
            return None
        if self._rows.ticks is not None:
            return self._grid.price_of_ticks(int(self._rows.ticks[row]))
        price = float(self._rows.price[row])
        return None if math.isnan(price) else self._grid.price_of_level(price)

    def row_of_kind(self, kind: RowKind) -> int | None:
        found = np.flatnonzero(self._rows.kind == kind)
        return int(found[0]) if len(found) else None

    def text(self, row: int, col: Column) -> str:
        r = self._rows
        if col is Column.PRICE:
            return self._number(float(r.price[row]), self._grid.price_decimals)
        if col is Column.BID:
            return self._size(float(r.bid[row]))
        if col is Column.ASK:
            return self._size(float(r.ask[row]))
        if col is Column.CUM_BID:
            return self._number(float(r.cum_bid[row]), self._grid.size_decimals)
        if col is Column.CUM_ASK:
            return self._number(float(r.cum_ask[row]), self._grid.size_decimals)
        count, qty = self._own(row, col)
        return f"{self._size(qty)} ({count})" if count else ""

    # writing
    def set_grid(self, grid: PriceGrid) -> None:
        self.beginResetModel()
        self._grid = grid
        self._rows = LadderRows.blank(0)
        self._looks.clear()
        self.endResetModel()

    def apply(self, rows: LadderRows, stale: bool) -> bool:
        """Show `rows`; True if anything the view draws changed."""
        size_scale, cum_scale = self._scales(rows)
        if rows.count != self._rows.count:
            self.beginResetModel()
            self._store(rows, stale, size_scale, cum_scale)
            self.endResetModel()
            return True
        old = self._rows
        everything = stale != self._stale
        changed = [
            _differs(old.own_bid_n, rows.own_bid_n) | _differs(old.own_bid_qty, rows.own_bid_qty),
            _differs(old.bid, rows.bid) | (size_scale != self._size_scale),
            _differs(old.cum_bid, rows.cum_bid) | (cum_scale != self._cum_scale),
            _differs(old.price, rows.price),
            _differs(old.cum_ask, rows.cum_ask) | (cum_scale != self._cum_scale),
            _differs(old.ask, rows.ask) | (size_scale != self._size_scale),
            _differs(old.own_ask_n, rows.own_ask_n) | _differs(old.own_ask_qty, rows.own_ask_qty),
        ]
        kind = _differs(old.kind, rows.kind) | everything  # highlights span the whole row
        cells = np.vstack(changed) | kind
        changed_rows = np.flatnonzero(cells.any(axis=0))
        self._store(rows, stale, size_scale, cum_scale)
        if not len(changed_rows):
            return False
        changed_cols = np.flatnonzero(cells.any(axis=1))
        self.dataChanged.emit(self.index(int(changed_rows[0]), int(changed_cols[0])),
                              self.index(int(changed_rows[-1]), int(changed_cols[-1])))
        return True

    def set_visible(self, first: int, last: int) -> None:
        """Scale the bars to the largest size among rows first..last (inclusive)."""
        visible = slice(max(first, 0), last + 1)
        if visible == self._visible:
            return
        self._visible = visible
        size_scale, cum_scale = self._scales(self._rows)
        if (size_scale, cum_scale) != (self._size_scale, self._cum_scale) and self._rows.count:
            self._size_scale, self._cum_scale = size_scale, cum_scale
            self._looks.clear()
            self.dataChanged.emit(self.index(0, Column.BID),
                                  self.index(self._rows.count - 1, Column.ASK))

    def _scales(self, rows: LadderRows) -> tuple[float, float]:
        shown = self._visible
        return (_max(rows.bid[shown], rows.ask[shown]),
                _max(rows.cum_bid[shown], rows.cum_ask[shown]))

    def _store(self, rows: LadderRows, stale: bool, size_scale: float, cum_scale: float) -> None:
        self._rows, self._stale = rows, stale
        self._size_scale, self._cum_scale = size_scale, cum_scale
        self._looks.clear()

    # cell details
    def _number(self, value: float, decimals: int) -> str:
        return "" if math.isnan(value) else f"{value:.{decimals}f}"

    def _size(self, value: float) -> str:
        return f"{value:.{self._grid.size_decimals}f}" if value else ""

    def _own(self, row: int, col: Column) -> tuple[int, float]:
        r = self._rows
        if col is Column.OWN_BID:
            return int(r.own_bid_n[row]), float(r.own_bid_qty[row])
        if col is Column.OWN_ASK:
            return int(r.own_ask_n[row]), float(r.own_ask_qty[row])
        return 0, 0.0

    def _foreground(self, row: int, col: Column) -> QColor | None:
        if self._stale:
            return style.STALE_TEXT
        if col in (Column.OWN_BID, Column.OWN_ASK):
            return style.OWN_TEXT
        kind = RowKind(int(self._rows.kind[row]))
        if col is Column.PRICE:
            return {RowKind.BEST_BID: style.BID_TEXT,
                    RowKind.BEST_ASK: style.ASK_TEXT}.get(kind)
        return style.BID_TEXT if COLUMN_SIDE[col] is Side.BUY else style.ASK_TEXT

    def _background(self, row: int, col: Column) -> QColor | None:
        if self._stale:
            return None
        if self._own(row, col)[0]:
            return style.OWN_BG
        kind = RowKind(int(self._rows.kind[row]))
        if kind is RowKind.SPREAD:
            return style.SPREAD_BG
        if col is Column.PRICE:
            return {RowKind.BEST_BID: style.BEST_BID_BG,
                    RowKind.BEST_ASK: style.BEST_ASK_BG}.get(kind, style.PRICE_BG)
        return None

    def _bar(self, row: int, col: Column) -> tuple[float, QColor] | None:
        r = self._rows
        bars: dict[Column, tuple[FloatArray, float, QColor]] = {
            Column.BID: (r.bid, self._size_scale, style.BID_BAR),
            Column.ASK: (r.ask, self._size_scale, style.ASK_BAR),
            Column.CUM_BID: (r.cum_bid, self._cum_scale, style.CUM_BID_BAR),
            Column.CUM_ASK: (r.cum_ask, self._cum_scale, style.CUM_ASK_BAR),
        }
        if col not in bars:
            return None
        values, scale, colour = bars[col]
        share = float(values[row]) / scale if scale > 0 else math.nan
        if math.isnan(share) or share <= 0:
            return None
        return min(share, 1.0), style.STALE_BAR if self._stale else colour

    def _is_bold(self, row: int, col: Column) -> bool:
        if self._own(row, col)[0]:
            return True
        kind = RowKind(int(self._rows.kind[row]))
        return col is Column.PRICE and kind in (RowKind.BEST_BID, RowKind.BEST_ASK)

    def _tooltip(self, row: int, col: Column) -> str | None:
        count, qty = self._own(row, col)
        if not count:
            return None
        side = "buy" if col is Column.OWN_BID else "sell"
        plural = "s" if count > 1 else ""
        return f"{count} working {side} order{plural}, {self._size(qty)} left to fill"


def _differs(old: npt.NDArray[Any], new: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    if old.dtype.kind == "f":
        same: npt.NDArray[np.bool_] = (old == new) | (np.isnan(old) & np.isnan(new))
        return ~same
    return np.asarray(old != new)


def _max(*arrays: FloatArray) -> float:
    """The bars' full scale: the largest value, rounded up to 1, 2 or 5 times a power of ten,
    so a small change in the book does not rescale (and repaint) every row."""
    best = 0.0
    for arr in arrays:
        finite = arr[np.isfinite(arr)]
        if len(finite):
            best = max(best, float(finite.max()))
    return nice_ceiling(best)


def nice_ceiling(value: float) -> float:
    if not value > 0.0 or not math.isfinite(value):
        return 0.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        if value <= step * power * (1 + 1e-12):
            return step * power
    return 10.0 * power
