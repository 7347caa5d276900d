"""Asks for a working order's new quantity and price."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QWidget

from terminal.model.numbers import trimmed
from terminal.model.orders import Order

NewTerms = tuple[str, str | None]  # quantity, price (None for an order without one)


def ask_new_terms(parent: QWidget | None, order: Order) -> NewTerms | None:
    """The terms the user typed, or None if the dialog was cancelled."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(f"Modify {order.side.value} {order.instrument_id}")
    quantity = QLineEdit(trimmed(order.quantity), dialog)
    price = QLineEdit(trimmed(order.price) if order.price is not None else "", dialog)
    price.setEnabled(order.price is not None)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel, dialog)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form = QFormLayout(dialog)
    form.addRow("Quantity", quantity)
    form.addRow("Price", price)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return quantity.text().strip(), price.text().strip() if order.price is not None else None
