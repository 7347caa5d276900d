"""The order book ladder (DOM): prices down the middle, bids left, asks right."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import numpy as np
from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from terminal.model.numbers import plain
from terminal.model.orders import Order
from terminal.ui.ladder.confirm import Confirmer, ask_with_message_box
from terminal.ui.ladder.delegate import BarDelegate
from terminal.ui.ladder.grid import Levels
from terminal.ui.ladder.header import BookHeader, top_of_book
from terminal.ui.ladder.ladder_model import COLUMN_SIDE, HEADERS, Column, LadderModel
from terminal.ui.ladder.ladder_state import LadderState
from terminal.ui.ladder.overlay import StaleOverlay

_CELL_PADDING = 14


class LadderWidget(QWidget):
    """Setters record what to show; `refresh` (called by the frame timer) shows it, and does
    nothing when nothing changed. A click on the bid side asks for a buy limit at the row's
    price, on the ask side a sell limit; never while the book is stale."""

    order_requested = Signal(str, object)  # side ("buy" / "sell"), price: Decimal

    def __init__(self, parent: QWidget | None = None, *, rows_per_side: int = 50,
                 confirm: Confirmer | None = None) -> None:
        super().__init__(parent)
        self.confirm: Confirmer = confirm or ask_with_message_box
        self._state = LadderState(rows_per_side)
        self._regrid = False
        self._scroll_pending = True
        self._model = LadderModel(self)
        self.header = BookHeader()
        self.auto_centre_box = QCheckBox("Auto-centre")
        self.auto_centre_box.setChecked(True)
        self.auto_centre_box.toggled.connect(self._on_auto_centre)
        self.centre_button = QPushButton("Centre")
        self.centre_button.clicked.connect(self.centre)
        self.confirm_box = QCheckBox("Confirm clicks")  # the window turns it on by default
        self.view = self._make_view()
        self.overlay = StaleOverlay(self.view)
        controls = QHBoxLayout()
        controls.setContentsMargins(4, 0, 4, 0)
        controls.addWidget(self.auto_centre_box)
        controls.addWidget(self.centre_button)
        controls.addStretch(1)
        controls.addWidget(self.confirm_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.header)
        layout.addLayout(controls)
        layout.addWidget(self.view, 1)
        self.header.show_book("", None, True)

    def _make_view(self) -> QTableView:
        view = QTableView(self)
        view.setModel(self._model)
        view.setItemDelegate(BarDelegate(view))
        view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setShowGrid(False)
        view.setWordWrap(False)
        view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # columns are fitted to the viewport: a scroll bar coming and going would refit them
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        rows = view.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(view.fontMetrics().height() + 4)
        columns = view.horizontalHeader()
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        columns.setHighlightSections(False)
        view.clicked.connect(self._on_clicked)
        view.verticalScrollBar().valueChanged.connect(self._update_visible)
        return view

    # public API
    @property
    def model(self) -> LadderModel:
        return self._model

    @property
    def confirm_clicks(self) -> bool:
        return self.confirm_box.isChecked()

    @confirm_clicks.setter
    def confirm_clicks(self, on: bool) -> None:
        self.confirm_box.setChecked(on)

    @property
    def auto_centre(self) -> bool:
        return self.auto_centre_box.isChecked()

    @auto_centre.setter
    def auto_centre(self, on: bool) -> None:
        self.auto_centre_box.setChecked(on)

    def set_instrument(self, label: str, tick_size: Decimal, price_decimals: int,
                       size_decimals: int) -> None:
        if self._state.set_instrument(label, tick_size, price_decimals, size_decimals):
            self._regrid = True

    def set_book(self, bids: Levels, asks: Levels) -> None:
        """Levels best first. While stale, an empty book keeps the last levels (greyed)."""
        self._state.set_book(bids, asks)

    def set_status(self, usable: bool, reason: str | None) -> None:
        self._state.set_status(usable, reason)

    def set_own_orders(self, orders: Iterable[Order]) -> None:
        self._state.set_own_orders(orders)

    def centre(self) -> None:
        self._state.centre()
        self._scroll_pending = True

    def refresh(self) -> bool:
        """Show what changed since the last call; False (and no repaint) if nothing did."""
        state = self._state
        if not state.dirty:
            return False
        if self._regrid and state.grid is not None:
            self._model.set_grid(state.grid)
            self._regrid = False
            self._scroll_pending = True
        rows_before = self._model.rowCount()
        changed = self._model.apply(state.build(), stale=not state.usable)
        grid = state.grid
        top = top_of_book(state.book, grid) if grid is not None else None
        self.header.show_book(state.label, top, state.usable, state.reason)
        if state.usable:
            self.overlay.hide()
        else:
            self.overlay.show_reason(state.reason)
        if changed:
            self._fit_columns()
        if state.anchor_moved or self._model.rowCount() != rows_before:
            self._scroll_pending = True
        if self._scroll_pending:
            self._scroll_to_centre()
        self._update_visible()
        return changed

    # behaviour
    def _on_auto_centre(self, on: bool) -> None:
        self._state.set_auto_centre(on)
        self._scroll_pending = on

    def _scroll_to_centre(self) -> None:
        if self._model.rowCount():
            self._scroll_pending = False
            self.view.doItemsLayout()  # after a reset the scroll range is only set lazily
            self.view.scrollTo(self._model.index(self._state.centre_row, Column.PRICE),
                               QAbstractItemView.ScrollHint.PositionAtCenter)

    def _update_visible(self) -> None:
        last = self.view.rowAt(self.view.viewport().height() - 1)
        self._model.set_visible(max(self.view.rowAt(0), 0),
                                last if last >= 0 else self._model.rowCount() - 1)

    def _on_clicked(self, index: QModelIndex) -> None:
        side = COLUMN_SIDE.get(Column(index.column()))
        if side is None or not self._state.usable or self._model.stale:
            return
        price = self._model.price_at(index.row())
        if price is None:
            return
        question = f"{side.value.capitalize()} {self._state.label} limit at {plain(price)}?"
        if self.confirm_clicks and not self.confirm(self, question):
            return
        self.order_requested.emit(side.value, price)

    # layout
    def _needed_widths(self) -> list[int]:
        grid = self._model.grid
        rows = self._model.rows
        font = QFont(self.view.font())
        font.setBold(True)
        metrics = QFontMetrics(font)

        def widest(values: np.ndarray, decimals: int, suffix: str = "") -> str:
            finite = values[np.isfinite(values)]
            top = float(finite.max()) if len(finite) else 0.0
            return f"{top:.{decimals}f}{suffix}"

        sd, pd = grid.size_decimals, grid.price_decimals
        samples = [
            widest(rows.own_bid_qty, sd, " (99)"), widest(rows.bid, sd),
            widest(rows.cum_bid, sd), widest(rows.price, pd), widest(rows.cum_ask, sd),
            widest(rows.ask, sd), widest(rows.own_ask_qty, sd, " (99)"),
        ]
        return [max(metrics.horizontalAdvance(text), metrics.horizontalAdvance(head))
                + _CELL_PADDING for text, head in zip(samples, HEADERS, strict=True)]

    def _fit_columns(self) -> None:
        needed = self._needed_widths()
        room = self.view.viewport().width()
        total = sum(needed)
        if total < room:  # share the spare room, keeping the proportions
            needed = [w * room // total for w in needed]
            needed[-1] += room - sum(needed)
        header = self.view.horizontalHeader()
        for col, width in enumerate(needed):
            if header.sectionSize(col) != width:
                header.resizeSection(col, width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_columns()
        self._update_visible()
        if self.auto_centre:
            self._scroll_to_centre()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_columns()
        if self.auto_centre:
            self._scroll_to_centre()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(max(hint.width(), sum(self._needed_widths()) + 4), hint.height())
