"""Asking the user before a click sends an order. Injectable: tests pass their own."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

Confirmer = Callable[[QWidget, str], bool]  # (parent, question) -> go ahead?


def ask_with_message_box(parent: QWidget, question: str) -> bool:
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    box = QMessageBox(QMessageBox.Icon.Question, "Confirm order", question, buttons, parent)
    box.setObjectName("ladderConfirm")
    box.setDefaultButton(QMessageBox.StandardButton.No)  # Enter must not send by accident
    box.exec()
    return box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
