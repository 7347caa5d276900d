"""A veil over a widget whose data cannot be trusted, saying why."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget

from terminal.ui.ladder import style

NO_BOOK = "no order book"  # the reason given for an instrument the feed keeps no book of


def status_word(reason: str | None) -> str:
    return "NO BOOK" if reason == NO_BOOK else "STALE"


def stale_text(reason: str | None) -> str:
    if reason == NO_BOOK:
        return "No order book for this instrument"
    return f"STALE — {reason}" if reason else "STALE"


class StaleOverlay(QLabel):
    """Covers `covered` (as its child, following its size) while shown."""

    def __init__(self, covered: QWidget) -> None:
        super().__init__(covered)
        self.setObjectName("staleOverlay")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setStyleSheet(
            f"QLabel#staleOverlay {{ background: {style.STALE_VEIL}; color: {style.STALE_ACCENT};"
            " font-weight: bold; font-size: 13pt; padding: 16px; }")
        self.setGeometry(covered.rect())
        covered.installEventFilter(self)
        self.hide()

    def show_reason(self, reason: str | None) -> None:
        self.setText(stale_text(reason))
        self.show()
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            self.setGeometry(watched.rect())
        return False
