""""Pair a device": a QR code the phone scans, the code and link beside it, a countdown,
and once the phone has paired, the confirmation both screens must show."""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING

import segno
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from local_api.pairing.service import PairingOffer, PairingService

QR_PIXELS = 260
POLL_MS = 1000


def qr_pixmap(text: str, size: int = QR_PIXELS) -> QPixmap:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=2,
                                     dark="#000000", light="#ffffff")
    pixmap = QPixmap()
    pixmap.loadFromData(buffer.getvalue(), "PNG")
    return pixmap.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.FastTransformation)


def countdown_text(expires_ns: int, now_s: float) -> str:
    left = int(expires_ns / 1e9 - now_s)
    if left <= 0:
        return "The code has expired: make a new one."
    return f"Waiting for the phone… the code is valid for {left // 60}:{left % 60:02d}"


class PairDialog(QDialog):
    def __init__(self, pairing: PairingService, lan: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pair a device")
        self.pairing = pairing
        self.offer: PairingOffer | None = None
        self.confirmation: str | None = None
        self.qr = QLabel(self)
        self.qr.setFixedSize(QR_PIXELS, QR_PIXELS)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scope = QComboBox(self)
        self.scope.addItem("Read only", "read")
        self.scope.addItem("Read and trade", "trade")
        self.new_button = QPushButton("New code", self)
        self.new_button.clicked.connect(self.new_code)
        self.code = QLabel(self)
        self.code.setObjectName("pairCode")
        self.code.setStyleSheet("font-size: 22px; font-weight: bold; letter-spacing: 2px;")
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.link = QLineEdit(self)
        self.link.setReadOnly(True)
        self.copy_button = QPushButton("Copy link", self)
        self.copy_button.clicked.connect(self.copy_link)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.outcome_label = QLabel(self)
        self.outcome_label.setObjectName("pairConfirmation")
        self.outcome_label.setWordWrap(True)
        hint = QLabel(
            "Scan the code with the phone's camera, or open the link on the phone."
            + ("" if lan else " The API listens on this computer only: start the terminal "
               "in LAN mode to pair a phone on the network (see docs/companion.md)."), self)
        hint.setWordWrap(True)
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)

        side = QVBoxLayout()
        row = QHBoxLayout()
        row.addWidget(QLabel("Access:", self))
        row.addWidget(self.scope, 1)
        row.addWidget(self.new_button)
        side.addLayout(row)
        side.addWidget(QLabel("Code", self))
        side.addWidget(self.code)
        link_row = QHBoxLayout()
        link_row.addWidget(self.link, 1)
        link_row.addWidget(self.copy_button)
        side.addLayout(link_row)
        side.addWidget(hint)
        side.addWidget(self.status)
        side.addWidget(self.outcome_label)
        side.addStretch(1)
        side.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        layout = QHBoxLayout(self)
        layout.addWidget(self.qr)
        layout.addLayout(side, 1)
        self.resize(720, 320)

        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.new_code()

    def new_code(self) -> None:
        self.offer = self.pairing.start(str(self.scope.currentData()))
        self.confirmation = None
        self.qr.setPixmap(qr_pixmap(self.offer.url))
        self.code.setText(self.offer.code)
        self.link.setText(self.offer.url)
        self.outcome_label.setText("")
        self.poll()
        self.timer.start()

    def poll(self) -> None:
        if self.offer is None:
            return
        device_id, confirmation = self.pairing.outcome(self.offer.code)
        if device_id is not None:
            self.timer.stop()
            self.confirmation = confirmation
            self.status.setText(f"Paired device {device_id}.")
            self.outcome_label.setText(
                f"<span style='font-size: 18px; font-weight: bold;'>Confirmation: "
                f"{confirmation}</span><br>The phone must show the same code; if it does not, "
                "revoke the device in the API panel.")
            return
        self.status.setText(countdown_text(self.offer.expires_ns, time.time()))

    def copy_link(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.link.text())

    def done(self, result: int) -> None:
        self.timer.stop()
        super().done(result)
