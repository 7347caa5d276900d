"""The order ticket: every field snapped to the instrument's grid, refusals shown inline."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from terminal.core.errors import OrderError, RiskRejected
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.numbers import plain, snap, trimmed
from terminal.model.orders import Order, OrderType, Side, TimeInForce
from terminal.services.order_request import OrderRequest

Submit = Callable[[OrderRequest], Awaitable[Order]]
Spawn = Callable[[Coroutine[Any, Any, None]], object]


class OrderTicket(QWidget):
    order_placed = Signal(object)  # the Order
    order_refused = Signal(str)

    def __init__(self, submit: Submit, lookup: Callable[[InstrumentId], Instrument | None],
                 spawn: Spawn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ticket")
        self._submit = submit
        self._lookup = lookup
        self._spawn = spawn
        self.instrument = QComboBox(self)
        self.instrument.setEditable(True)
        self.instrument.currentTextChanged.connect(self._instrument_changed)
        self.type = QComboBox(self)
        self.type.addItems([t.value for t in (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP,
                                              OrderType.STOP_LIMIT)])
        self.type.currentTextChanged.connect(self._type_changed)
        self.quantity = QLineEdit(self)
        self.quantity.setPlaceholderText("quantity")
        self.price = QLineEdit(self)
        self.price.setPlaceholderText("limit price")
        self.stop = QLineEdit(self)
        self.stop.setPlaceholderText("stop price")
        self.tif = QComboBox(self)
        self.tif.addItems([t.value for t in TimeInForce])
        self.grid = QLabel(self)
        self.buy = QPushButton("Buy", self)
        self.buy.setObjectName("buyButton")
        self.sell = QPushButton("Sell", self)
        self.sell.setObjectName("sellButton")
        self.buy.clicked.connect(lambda: self.place(Side.BUY))
        self.sell.clicked.connect(lambda: self.place(Side.SELL))
        self.message = QLabel(self)
        self.message.setObjectName("ticketMessage")
        self.message.setWordWrap(True)
        for field_ in (self.quantity, self.price, self.stop):
            field_.editingFinished.connect(self.snap_fields)
        form = QFormLayout()
        form.addRow("Instrument", self.instrument)
        form.addRow("Type", self.type)
        form.addRow("Quantity", self.quantity)
        form.addRow("Price", self.price)
        form.addRow("Stop", self.stop)
        form.addRow("Time in force", self.tif)
        buttons = QHBoxLayout()
        buttons.addWidget(self.buy)
        buttons.addWidget(self.sell)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.grid)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self._type_changed(self.type.currentText())

    def set_instruments(self, ids: list[InstrumentId]) -> None:
        current = self.instrument.currentText()
        names = [str(i) for i in ids]
        existing = [self.instrument.itemText(i) for i in range(self.instrument.count())]
        if names != existing:
            self.instrument.blockSignals(True)
            self.instrument.clear()
            self.instrument.addItems(names)
            self.instrument.blockSignals(False)
            if current in names:
                self.instrument.setCurrentText(current)
            self._instrument_changed(self.instrument.currentText())

    def prefill(self, instrument_id: InstrumentId, order_type: OrderType,
                price: Decimal | None) -> None:
        self.instrument.setCurrentText(str(instrument_id))
        self.type.setCurrentText(order_type.value)
        if price is not None:
            self.price.setText(plain(price))

    def current_instrument(self) -> Instrument | None:
        try:
            return self._lookup(InstrumentId.parse(self.instrument.currentText()))
        except Exception:
            return None

    def _instrument_changed(self, _text: str) -> None:
        inst = self.current_instrument()
        if inst is None:
            self.grid.setText("")
            return
        self.grid.setText(f"tick {_step_text(inst.tick_size)} · lot "
                          f"{_step_text(inst.lot_size)}")
        self.snap_fields()

    def _type_changed(self, text: str) -> None:
        self.price.setEnabled(text in (OrderType.LIMIT.value, OrderType.STOP_LIMIT.value))
        self.stop.setEnabled(text in (OrderType.STOP.value, OrderType.STOP_LIMIT.value))

    def snap_fields(self) -> None:
        """Show the values the order will carry: quantity floored to the lot, prices on the
        tick (the side decides the direction when the order is placed)."""
        inst = self.current_instrument()
        if inst is None:
            return
        # a number too large for the grid stays as typed: the refusal comes when placed
        with contextlib.suppress(ArithmeticError):
            self._snap_fields(inst)

    def _snap_fields(self, inst: Instrument) -> None:
        qty = _decimal(self.quantity.text())
        if qty is not None and inst.lot_size:
            self.quantity.setText(plain(inst.floor_qty(qty)))
        for field_ in (self.price, self.stop):
            value = _decimal(field_.text())
            if value is not None and inst.tick_size:
                field_.setText(plain(snap(value, inst.tick_size).normalize()))

    def request(self, side: Side, source: str = "ticket") -> OrderRequest:
        inst = self.current_instrument()
        if inst is None:
            raise OrderError(f"unknown instrument {self.instrument.currentText()!r}")
        order_type = OrderType(self.type.currentText())
        price = self.price.text().strip() or None if self.price.isEnabled() else None
        stop = self.stop.text().strip() or None if self.stop.isEnabled() else None
        if price is not None and inst.tick_size:
            rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
            value = _decimal(price)
            price = plain(snap(value, inst.tick_size, rounding)) if value is not None else price
        return OrderRequest(inst.id, side, order_type, self.quantity.text().strip(), price,
                            stop, TimeInForce(self.tif.currentText()), source=source)

    def place(self, side: Side, source: str = "ticket") -> None:
        """Submit what the form says (`source` names where the order came from)."""
        try:
            req = self.request(side, source)
        except (OrderError, ValueError) as exc:
            self._show_refusal(str(exc))
            return
        except ArithmeticError:  # decimal's overflow of a huge price or quantity
            self._show_refusal("price or quantity: too large for this instrument")
            return
        self._spawn(self._place(req))

    async def _place(self, req: OrderRequest) -> None:
        try:
            order = await self._submit(req)
        except (RiskRejected, OrderError) as exc:
            self._show_refusal(str(exc))
            return
        self.message.setStyleSheet("color: #4caf50;")
        self.message.setText(f"{order.side.value} {trimmed(order.quantity)} "
                             f"{order.instrument_id}: {order.status.value}"
                             + (f" ({order.reject_reason})" if order.reject_reason else ""))
        self.order_placed.emit(order)

    def _show_refusal(self, text: str) -> None:
        self.message.setStyleSheet("color: #ef5350;")
        self.message.setText(f"Refused: {text}")
        self.order_refused.emit(text)


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _step_text(step: Decimal) -> str:
    return trimmed(step) if step else "any"
