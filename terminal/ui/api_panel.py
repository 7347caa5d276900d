"""The API dock: is the local API listening and where, how busy it is, its tokens (create,
revoke) and the latest refused or failed requests.

Refreshed by its own one-second timer, never per request. Token lists are small SQLite
reads, done inline. A new token's text is shown once in the dialog that created it and is
never logged, stored or kept by the panel.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from local_api.tokens import SCOPES
from terminal.app import Engine
from terminal.core.errors import TerminalError
from terminal.ui.api_rows import (
    ERROR_HEADERS,
    TOKEN_HEADERS,
    RequestHistory,
    error_rows,
    off_reason,
    server_summary,
    summary_text,
    token_rows,
)
from terminal.ui.blotter import Blotter
from terminal.ui.pair_dialog import PairDialog
from terminal.ui.rows import number_text
from terminal.ui.table_model import RowsModel

if TYPE_CHECKING:
    from local_api.server import ApiServer

log = logging.getLogger(__name__)

REFRESH_MS = 1000
TOKENS_EVERY_S = 10.0  # expiries change the status column even with no requests
SPARK_PEN = "#42a5f5"
ERROR_COLOUR = "#ef5350"
WARNING_COLOUR = "#ffb74d"
DAY_S = 86400
# name, scope, seconds until it expires (None: never) -> the token's text
CreateToken = Callable[[str, str, int | None], str]


class TokenDialog(QDialog):
    """Name, scope and expiry of a new token; once created, its text, shown this one time."""

    def __init__(self, create: CreateToken, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create API token")
        self.setObjectName("tokenDialog")
        self.setMinimumWidth(520)
        self._create = create
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("what will use it, e.g. notebook")
        self.name.setMaxLength(64)
        self.scope = QComboBox(self)
        self.scope.addItems(list(SCOPES))
        self.scope.setToolTip("read: market data and state; trade: also orders; "
                              "admin: also tokens, connections and the kill switch")
        self.expiry_days = QSpinBox(self)
        self.expiry_days.setRange(0, 3650)
        self.expiry_days.setSpecialValueText("never")  # shown for 0
        self.expiry_days.setSuffix(" days")
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setObjectName("tokenMessage")
        self.token = QLineEdit(self)
        self.token.setObjectName("tokenText")
        self.token.setReadOnly(True)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.token.setFont(mono)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.clicked.connect(self.copy_token)
        self.warning = QLabel("This token is shown only now and cannot be shown again: "
                              "copy it to where it will be used. Only its hash is kept.", self)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(f"color: {WARNING_COLOUR}; font-weight: bold;")
        token_row = QHBoxLayout()
        token_row.addWidget(self.token, 1)
        token_row.addWidget(self.copy_button)
        self.reveal = QWidget(self)
        result_layout = QVBoxLayout(self.reveal)
        result_layout.setContentsMargins(0, 0, 0, 0)
        result_layout.addWidget(QLabel("Token", self.reveal))
        result_layout.addLayout(token_row)
        result_layout.addWidget(self.warning)
        self.reveal.setVisible(False)

        self.create_button = QPushButton("Create", self)
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.submit)
        self.close_button = QPushButton("Cancel", self)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.create_button)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Scope", self.scope)
        form.addRow("Expires after", self.expiry_days)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.reveal)
        layout.addLayout(buttons)
        self.finished.connect(lambda _result: self.token.clear())  # not kept once closed

    def expires_in_s(self) -> int | None:
        days = self.expiry_days.value()
        return days * DAY_S if days else None

    def submit(self) -> None:
        try:
            text = self._create(self.name.text().strip(), self.scope.currentText(),
                                self.expires_in_s())
        except (ValueError, TerminalError) as exc:
            self.message.setStyleSheet(f"color: {ERROR_COLOUR};")
            self.message.setText(str(exc))
            return
        for field in (self.name, self.scope, self.expiry_days):
            field.setEnabled(False)
        self.message.setStyleSheet("")
        self.message.setText(f"Token created with the {self.scope.currentText()} scope.")
        self.token.setText(text)
        self.token.setCursorPosition(0)
        self.token.setMinimumWidth(self.token.fontMetrics().horizontalAdvance(text) + 16)
        self.reveal.setVisible(True)
        self.create_button.setVisible(False)
        self.close_button.setText("Done")
        self.close_button.setDefault(True)
        self.copy_button.setFocus()
        self.adjustSize()  # room for the whole token and the warning

    def copy_token(self) -> None:
        QGuiApplication.clipboard().setText(self.token.text())
        self.copy_button.setText("Copied")


class ApiPanel(QWidget):
    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("apiPanel")
        self.engine = engine
        self.history = RequestHistory()
        self._seen_total = -1
        self._seen_errors: tuple[int, object] = (0, None)
        self._tokens_at = 0.0
        self.dialog: TokenDialog | None = None
        self.confirm_box: QMessageBox | None = None

        self.url = QLabel(self)
        self.url.setObjectName("apiUrl")
        self.url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_url_button = QPushButton("Copy URL", self)
        self.copy_url_button.clicked.connect(self.copy_url)
        self.summary = QLabel(self)
        self.summary.setObjectName("apiSummary")
        self.spark = pg.PlotWidget(self)
        self.spark.setObjectName("apiSparkline")
        self.spark.setToolTip("Requests per second over the last minute")
        self.spark.setFixedSize(180, 34)
        self.spark.setMenuEnabled(False)
        self.spark.setMouseEnabled(x=False, y=False)
        self.spark.hideButtons()
        for side in ("left", "bottom"):
            self.spark.hideAxis(side)
        self.spark.getPlotItem().setContentsMargins(0, 0, 0, 0)
        self.spark_curve = self.spark.plot(pen=pg.mkPen(SPARK_PEN, width=1.2), fillLevel=0.0,
                                           brush=pg.mkBrush(66, 165, 245, 60))
        self.spark.setXRange(0, len(self.history.counts) - 1, padding=0)
        top = QHBoxLayout()
        title = QLabel("Local API", self)
        title.setStyleSheet("font-weight: bold;")
        top.addWidget(title)
        top.addWidget(self.url)
        top.addWidget(self.copy_url_button)
        top.addSpacing(12)
        top.addWidget(self.summary, 1)
        top.addWidget(QLabel("req/s, 1 min", self))
        top.addWidget(self.spark)

        self.tokens_model = RowsModel(TOKEN_HEADERS, [str] * 7 + [number_text, str])
        self.tokens = Blotter(self.tokens_model, "api_tokens", self)
        self.create_button = self.tokens.add_action(
            "Create token…", self._create_clicked,
            "A new token for a script or tool; its text is shown once")
        self.revoke_button = self.tokens.add_action(
            "Revoke", self._revoke_clicked, "Refuse the selected token from its next request")
        self.pair_button = self.tokens.add_action(
            "Pair a device…", self._pair_clicked,
            "A QR code for the phone's companion app; paired devices are listed here too")
        self.pair_dialog: PairDialog | None = None
        self.message = QLabel(self)
        self.message.setObjectName("apiMessage")
        self.message.setWordWrap(True)
        self.errors_model = RowsModel(ERROR_HEADERS, [str, str, str, number_text, str, str])
        self.errors = Blotter(self.errors_model, "api_errors", self)
        # newest first (the time texts sort as the times do)
        self.tokens.table.sortByColumn(TOKEN_HEADERS.index("Created"), Qt.SortOrder.DescendingOrder)
        self.errors.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self._titled("Tokens", self.tokens, self.message))
        splitter.addWidget(self._titled("Recent errors", self.errors))
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([900, 600])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh(force=True)

    def _titled(self, title: str, *widgets: QWidget) -> QWidget:
        box = QWidget(self)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 4, 0, 0)
        label = QLabel(title, box)
        label.setStyleSheet("font-weight: bold;")
        layout.addWidget(label)
        for w in widgets:
            layout.addWidget(w, 1 if isinstance(w, Blotter) else 0)
        return box

    @property
    def server(self) -> ApiServer | None:
        server: ApiServer | None = self.engine.api_server
        return server

    def set_background(self, colour: str) -> None:
        self.spark.setBackground(colour)

    # refresh ------------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Once a second: the server line and sparkline; tokens when requests came (their
        uses) or every TOKENS_EVERY_S; errors when new ones came."""
        server = self.server
        now = time.time()
        if server is None:
            self._show_off()
            return
        metrics = server.api.metrics
        summary = server_summary(server.url, metrics, server.api.hub.client_count, now)
        self.url.setText(summary.state)
        self.url.setStyleSheet("")
        self.summary.setText(summary_text(summary))
        self.copy_url_button.setEnabled(True)
        self.create_button.setEnabled(True)
        self.revoke_button.setEnabled(True)
        self.pair_button.setEnabled(True)
        self.history.sample(metrics.total, time.monotonic())
        counts = list(self.history.counts)
        self.spark_curve.setData(list(range(len(counts))), counts)
        self.spark.setYRange(0, max(1.0, max(counts)), padding=0.05)
        if force or metrics.total != self._seen_total or now - self._tokens_at >= TOKENS_EVERY_S:
            self._seen_total = metrics.total
            self._tokens_at = now
            try:
                records = server.tokens.list()
            except TerminalError as exc:
                self.message.setText(f"Tokens could not be read: {exc}")
            else:
                self.tokens_model.set_rows(token_rows(records, server.tokens.pending_uses))
        errors = metrics.recent_errors
        mark = (len(errors), errors[-1] if errors else None)
        if force or mark != self._seen_errors:
            self._seen_errors = mark
            self.errors_model.set_rows(error_rows(errors))

    def _show_off(self) -> None:
        # the engine's api_error says why a requested API is not served
        error: str | None = getattr(self.engine, "api_error", None)
        self.url.setText(off_reason(self.engine.options.api is not None, error))
        self.url.setStyleSheet(f"color: {ERROR_COLOUR};"
                               if "failed" in self.url.text() else "")
        self.summary.setText("")
        for button in (self.copy_url_button, self.create_button, self.revoke_button,
                       self.pair_button):
            button.setEnabled(False)

    def copy_url(self) -> None:
        server = self.server
        if server is not None:
            QGuiApplication.clipboard().setText(server.url)
            self.message.setText(f"{server.url} copied")

    # tokens -------------------------------------------------------------------------------
    def _create_clicked(self, _keys: list[object]) -> None:
        self.open_create_dialog()

    def _revoke_clicked(self, keys: list[object]) -> None:
        self.revoke_selected(keys)

    def _pair_clicked(self, _keys: list[object]) -> None:
        self.open_pair_dialog()

    def open_pair_dialog(self) -> PairDialog | None:
        server = self.server
        if server is None:
            return None
        self.pair_dialog = PairDialog(server.pairing, server.settings.lan_host is not None,
                                      self)
        self.pair_dialog.finished.connect(lambda _r: self.refresh(force=True))
        self.pair_dialog.open()
        return self.pair_dialog

    def open_create_dialog(self) -> TokenDialog | None:
        if self.server is None:
            return None
        self.dialog = TokenDialog(self.create_token, self)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.finished.connect(lambda _r: self.refresh(force=True))
        self.dialog.open()
        return self.dialog

    def create_token(self, name: str, scope: str, expires_in_s: int | None) -> str:
        """Store a new token; its text, for the dialog only. ValueError for a bad name."""
        server = self.server
        if server is None:
            raise ValueError("the API is off: no token can be created")
        text, record = server.tokens.create(name, scope, expires_in_s,
                                            detail={"created_by": "window"})
        self._audit("api.token.create", record.token_id, {"name": name, "scope": scope})
        log.info("API token %s (%s, %s scope) created in the window", record.token_id, name,
                 scope)
        self.message.setText(f"Token {record.token_id} ({name}) created")
        self.refresh(force=True)
        return text

    def revoke_selected(self, keys: list[object]) -> QMessageBox | None:
        """Ask, then revoke the selected token; a revoked or expired one is left alone."""
        if not keys:
            self.message.setText("Choose a token first.")
            return None
        token_id = str(keys[0])
        row = next((self.tokens_model.row_values(r) for r in range(self.tokens_model.rowCount())
                    if self.tokens_model.key_at(r) == token_id), None)
        if row is None:
            return None
        name, status = row[0], row[-1]
        if status != "active":
            self.message.setText(f"Token {token_id} is already {status}.")
            return None
        box = QMessageBox(QMessageBox.Icon.Warning, "Revoke token",
                          f"Revoke the token {name} ({token_id})?\n\nEverything using it is "
                          "refused from its next request. This cannot be undone.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        box.button(QMessageBox.StandardButton.Yes).setText("Revoke")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _r: self._confirmed(box, token_id))
        self.confirm_box = box
        box.open()
        return box

    def _confirmed(self, box: QMessageBox, token_id: str) -> None:
        self.confirm_box = None
        if box.clickedButton() is not box.button(QMessageBox.StandardButton.Yes):
            return
        self.revoke(token_id)

    def revoke(self, token_id: str) -> bool:
        server = self.server
        if server is None:
            return False
        done = server.tokens.revoke(token_id)
        if done:
            self._audit("api.token.revoke", token_id, {})
            log.info("API token %s revoked in the window", token_id)
            self.message.setText(f"Token {token_id} revoked")
        else:
            self.message.setText(f"Token {token_id} was not active")
        self.refresh(force=True)
        return done

    def _audit(self, action: str, subject: str, detail: dict[str, object]) -> None:
        db = self.engine.db
        if db is None:
            return
        try:
            db.audit.record(time.time_ns(), "window", action, subject, detail)
        except TerminalError as exc:  # the token change stands; only its audit line is missing
            log.warning("audit of %s %s failed: %s", action, subject, exc)
