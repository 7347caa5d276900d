"""The webhooks dock: outbound subscriptions (add, switch on and off, test ping, rotate the
secret, remove), their delivery log (filtered by endpoint and status, redeliver), and the
inbound hooks with the requests they received.

Refreshed by its own one-second timer with small database reads, like the API dock.
Changes go through the same management as the API routes and the CLI, off the loop (they
touch the keyring). A secret is shown once, in the dialog that created or rotated it, and is
never logged or kept by the panel.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
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
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from terminal.app import Engine
from terminal.core.errors import TerminalError
from terminal.ui.blotter import Blotter
from terminal.ui.table_model import RowsModel
from terminal.ui.webhooks_rows import (
    ALL,
    DELIVERY_HEADERS,
    ENDPOINT_HEADERS,
    HOOK_HEADERS,
    REQUEST_HEADERS,
    STATUS_FILTERS,
    delivery_rows,
    endpoint_rows,
    hook_rows,
    outbox_text,
    request_rows,
    status_filter,
)

if TYPE_CHECKING:
    from local_api.webhooks.service import Webhooks

log = logging.getLogger(__name__)
REFRESH_MS = 1000
LOG_ROWS = 300
ERROR_COLOUR = "#ef5350"
WARNING_COLOUR = "#ffb74d"
DEFAULT_EVENTS = "order.* fill alert.triggered kill_switch.*"
Spawn = Callable[[Coroutine[Any, Any, Any]], object]
# url, events, description -> runs the creation; the dialog is told the outcome
CreateEndpoint = Callable[[str, list[str], str], None]


class SecretView(QWidget):
    """A secret in a read-only field with a copy button and the shown-once warning."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.secret = QLineEdit(self)
        self.secret.setObjectName("webhookSecret")
        self.secret.setReadOnly(True)
        self.secret.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.clicked.connect(self.copy)
        self.warning = QLabel("This signing secret is shown only now: copy it to the "
                              "receiver that verifies the signatures. It is kept in the OS "
                              "keyring only.", self)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(f"color: {WARNING_COLOUR}; font-weight: bold;")
        row = QHBoxLayout()
        row.addWidget(self.secret, 1)
        row.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Signing secret", self))
        layout.addLayout(row)
        layout.addWidget(self.warning)

    def show_secret(self, text: str) -> None:
        self.secret.setText(text)
        self.secret.setCursorPosition(0)
        self.secret.setMinimumWidth(self.secret.fontMetrics().horizontalAdvance(text) + 16)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.secret.text())
        self.copy_button.setText("Copied")


class EndpointDialog(QDialog):
    """URL, events and description of a new subscription; once created, its secret."""

    def __init__(self, create: CreateEndpoint, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add webhook subscription")
        self.setObjectName("endpointDialog")
        self.setMinimumWidth(560)
        self._create = create
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("https://example.org/hooks/terminal")
        self.events = QLineEdit(DEFAULT_EVENTS, self)
        self.events.setToolTip("Event types or patterns, separated by spaces or commas "
                               "(order.*, fill, alert.triggered, *...)")
        self.description = QLineEdit(self)
        self.description.setMaxLength(200)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.reveal = SecretView(self)
        self.reveal.setVisible(False)
        self.create_button = QPushButton("Add", self)
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.submit)
        self.close_button = QPushButton("Cancel", self)
        self.close_button.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow("URL", self.url)
        form.addRow("Events", self.events)
        form.addRow("Description", self.description)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.create_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.reveal)
        layout.addLayout(buttons)
        self.finished.connect(lambda _result: self.reveal.secret.clear())

    def submit(self) -> None:
        events = [e for e in self.events.text().replace(",", " ").split() if e]
        self.create_button.setEnabled(False)
        self.message.setStyleSheet("")
        self.message.setText("Adding…")
        self._create(self.url.text().strip(), events, self.description.text().strip())

    def failed(self, text: str) -> None:
        self.create_button.setEnabled(True)
        self.message.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.message.setText(text)

    def created(self, endpoint_id: str, secret: str) -> None:
        for field in (self.url, self.events, self.description):
            field.setEnabled(False)
        self.message.setText(f"Subscription {endpoint_id} added.")
        self.reveal.show_secret(secret)
        self.reveal.setVisible(True)
        self.create_button.setVisible(False)
        self.close_button.setText("Done")
        self.close_button.setDefault(True)
        self.adjustSize()


class SecretDialog(QDialog):
    """The new secret after a rotation (the old one still signs for a while)."""

    def __init__(self, endpoint_id: str, secret: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New signing secret")
        self.setObjectName("secretDialog")
        self.setMinimumWidth(560)
        self.reveal = SecretView(self)
        self.reveal.show_secret(secret)
        note = QLabel(f"{endpoint_id} now signs with this secret; the previous one also "
                      "signs for a day, so receivers can switch over.", self)
        note.setWordWrap(True)
        self.close_button = QPushButton("Done", self)
        self.close_button.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.reveal)
        layout.addWidget(self.close_button)
        self.finished.connect(lambda _result: self.reveal.secret.clear())


class WebhooksPanel(QWidget):
    def __init__(self, engine: Engine, spawn: Spawn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("webhooksPanel")
        self.engine = engine
        self._spawn = spawn
        self.dialog: EndpointDialog | None = None
        self.secret_dialog: SecretDialog | None = None
        self.confirm_box: QMessageBox | None = None

        self.summary = QLabel(self)
        self.summary.setObjectName("webhooksSummary")
        self.message = QLabel(self)
        self.message.setObjectName("webhooksMessage")
        top = QHBoxLayout()
        title = QLabel("Webhooks", self)
        title.setStyleSheet("font-weight: bold;")
        top.addWidget(title)
        top.addWidget(self.summary, 1)
        top.addWidget(self.message)

        self.endpoints_model = RowsModel(ENDPOINT_HEADERS)
        self.endpoints = Blotter(self.endpoints_model, "webhookEndpoints", self)
        self.add_button = self.endpoints.add_action(
            "Add…", lambda _keys: self.add_endpoint(), "Subscribe a URL to events")
        self.toggle_button = self.endpoints.add_action(
            "Enable/Disable", self.toggle, "Switch the selected subscription on or off")
        self.ping_button = self.endpoints.add_action(
            "Test ping", self.ping, "Send a webhook.ping to the selected subscription")
        self.rotate_button = self.endpoints.add_action(
            "Rotate secret", self.rotate, "A new signing secret, shown once")
        self.remove_button = self.endpoints.add_action(
            "Remove", self.remove, "Remove the subscription and its undelivered messages")

        self.endpoint_filter = QComboBox(self)
        self.endpoint_filter.setObjectName("deliveryEndpointFilter")
        self.endpoint_filter.addItem(ALL)
        self.status_filter = QComboBox(self)
        self.status_filter.setObjectName("deliveryStatusFilter")
        self.status_filter.addItems(list(STATUS_FILTERS))
        self.endpoint_filter.currentTextChanged.connect(lambda _t: self.refresh())
        self.status_filter.currentTextChanged.connect(lambda _t: self.refresh())
        self.deliveries_model = RowsModel(DELIVERY_HEADERS)
        self.deliveries = Blotter(self.deliveries_model, "webhookDeliveries", self)
        self.redeliver_button = self.deliveries.add_action(
            "Redeliver", self.redeliver, "Send the selected messages again (same webhook-id)")
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Delivery log — endpoint", self))
        filters.addWidget(self.endpoint_filter)
        filters.addWidget(QLabel("status", self))
        filters.addWidget(self.status_filter)
        filters.addStretch(1)
        log_box = QWidget(self)
        log_layout = QVBoxLayout(log_box)
        log_layout.setContentsMargins(0, 0, 0, 0)
        log_layout.addLayout(filters)
        log_layout.addWidget(self.deliveries, 1)
        outbound = QSplitter(self)
        outbound.addWidget(self.endpoints)
        outbound.addWidget(log_box)
        outbound.setStretchFactor(0, 2)
        outbound.setStretchFactor(1, 3)
        outbound.setSizes([640, 960])

        self.hooks_model = RowsModel(HOOK_HEADERS)
        self.hooks = Blotter(self.hooks_model, "webhookHooks", self)
        self.remove_hook_button = self.hooks.add_action(
            "Remove", self.remove_hook, "Remove the selected inbound hook")
        self.requests_model = RowsModel(REQUEST_HEADERS)
        self.requests = Blotter(self.requests_model, "webhookRequests", self)
        self.hooks.table.selectionModel().selectionChanged.connect(lambda *_: self.refresh())
        inbound = QSplitter(self)
        inbound.addWidget(self.hooks)
        inbound.addWidget(self.requests)
        inbound.setStretchFactor(0, 2)
        inbound.setStretchFactor(1, 3)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(outbound, "Subscriptions and deliveries")
        self.tabs.addTab(inbound, "Inbound hooks")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    # reading --------------------------------------------------------------------------------
    def webhooks(self) -> Webhooks | None:
        server = self.engine.api_server
        found: Webhooks | None = getattr(getattr(server, "api", None), "webhooks", None)
        return found if found is not None and found.running else None

    def refresh(self) -> None:
        hooks = self.webhooks()
        for widget in (self.add_button, self.toggle_button, self.ping_button,
                       self.rotate_button, self.remove_button, self.redeliver_button,
                       self.remove_hook_button):
            widget.setEnabled(hooks is not None)
        if hooks is None:
            self.summary.setText("off: webhooks run with the local API, which is not served")
            return
        try:
            self._read(hooks)
        except TerminalError as exc:  # the database away for a moment: next tick
            self.summary.setText(f"cannot read the webhook tables: {exc}")

    def _read(self, hooks: Webhooks) -> None:
        repo = hooks.repo
        records = repo.endpoints()
        self.endpoints_model.set_rows(endpoint_rows(records, time.time_ns()))
        ids = [ALL, *(r.endpoint_id for r in records)]
        current = self.endpoint_filter.currentText()
        if [self.endpoint_filter.itemText(i) for i in range(self.endpoint_filter.count())] \
                != ids:
            self.endpoint_filter.blockSignals(True)
            self.endpoint_filter.clear()
            self.endpoint_filter.addItems(ids)
            self.endpoint_filter.setCurrentText(current if current in ids else ALL)
            self.endpoint_filter.blockSignals(False)
        endpoint = status_filter(self.endpoint_filter.currentText())
        status = status_filter(self.status_filter.currentText())
        self.deliveries_model.set_rows(delivery_rows(
            repo.messages(endpoint, status, None, LOG_ROWS)))
        self.summary.setText(outbox_text(repo.counts(), hooks.dispatcher.in_flight,
                                         hooks.dispatcher.delivered))
        self.hooks_model.set_rows(hook_rows(hooks.hooks.repo.all()))
        selected = self.hooks.selected_keys()
        hook_id = str(selected[0]) if selected else None
        self.requests_model.set_rows(request_rows(hooks.hooks.repo.requests(hook_id, LOG_ROWS)))

    def select(self, blotter: Blotter, key: object) -> None:
        model = blotter.model
        source = next(r for r in range(model.rowCount()) if model.key_at(r) == key)
        blotter.table.selectRow(blotter.proxy.mapFromSource(model.index(source, 0)).row())

    # changing -------------------------------------------------------------------------------
    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {ERROR_COLOUR};" if error else "")
        self.message.setText(text)

    def _run(self, coro: Coroutine[Any, Any, None]) -> None:
        self._spawn(coro)

    def add_endpoint(self) -> None:
        self.dialog = EndpointDialog(self._create, self)
        self.dialog.open()

    def _create(self, url: str, events: list[str], description: str) -> None:
        hooks, dialog = self.webhooks(), self.dialog
        if hooks is None or dialog is None:
            return

        async def create() -> None:
            try:
                record, secret = await asyncio.to_thread(hooks.endpoints.add, url, events,
                                                         description)
            except (ValueError, TerminalError) as exc:
                dialog.failed(str(exc))
                return
            await hooks.changed()
            dialog.created(record.endpoint_id, secret)
            self._say(f"added {record.endpoint_id}")
            self.refresh()

        self._run(create())

    def _one(self, keys: list[object], what: str) -> str | None:
        if len(keys) != 1:
            self._say(f"select one subscription to {what}", error=True)
            return None
        return str(keys[0])

    def toggle(self, keys: list[object]) -> None:
        hooks, endpoint_id = self.webhooks(), self._one(keys, "switch")
        if hooks is None or endpoint_id is None:
            return

        async def toggle() -> None:
            record = await asyncio.to_thread(hooks.repo.endpoint, endpoint_id)
            if record is None:
                return
            await asyncio.to_thread(lambda: hooks.endpoints.update(
                endpoint_id, enabled=not record.enabled))
            await hooks.changed()
            self._say(f"{endpoint_id} {'disabled' if record.enabled else 'enabled'}")
            self.refresh()

        self._run(toggle())

    def ping(self, keys: list[object]) -> None:
        hooks, endpoint_id = self.webhooks(), self._one(keys, "ping")
        if hooks is None or endpoint_id is None:
            return

        async def ping() -> None:
            msg_id = await hooks.ping(endpoint_id)
            self._say(f"ping {msg_id} queued for {endpoint_id}" if msg_id else
                      f"{endpoint_id} is not loaded yet", error=msg_id is None)
            self.refresh()

        self._run(ping())

    def rotate(self, keys: list[object]) -> None:
        hooks, endpoint_id = self.webhooks(), self._one(keys, "rotate")
        if hooks is None or endpoint_id is None:
            return

        async def rotate() -> None:
            try:
                secret = await asyncio.to_thread(hooks.endpoints.rotate, endpoint_id)
            except TerminalError as exc:
                self._say(str(exc), error=True)
                return
            if secret is None:
                return
            hooks.keys.forget()
            await hooks.changed()
            self.secret_dialog = SecretDialog(endpoint_id, secret, self)
            self.secret_dialog.open()
            self.refresh()

        self._run(rotate())

    def remove(self, keys: list[object]) -> None:
        hooks, endpoint_id = self.webhooks(), self._one(keys, "remove")
        if hooks is None or endpoint_id is None:
            return
        box = self.confirm_box = QMessageBox(
            QMessageBox.Icon.Question, "Remove subscription",
            f"Remove {endpoint_id}? Its undelivered messages are dropped; the delivery log "
            "stays.", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)

        box.button(QMessageBox.StandardButton.Yes).setText("Remove")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(_result: int) -> None:
            self.confirm_box = None
            if box.clickedButton() is not box.button(QMessageBox.StandardButton.Yes):
                return

            async def remove() -> None:
                await asyncio.to_thread(hooks.endpoints.remove, endpoint_id)
                await hooks.changed()
                self._say(f"removed {endpoint_id}")
                self.refresh()

            self._run(remove())

        box.finished.connect(answered)
        box.open()

    def redeliver(self, keys: list[object]) -> None:
        hooks = self.webhooks()
        if hooks is None or not keys:
            self._say("select the messages to send again", error=True)
            return

        async def redeliver() -> None:
            done = [str(k) for k in keys if await hooks.redeliver(str(k))]
            self._say(f"{len(done)} message(s) queued again with the same webhook-id")
            self.refresh()

        self._run(redeliver())

    def remove_hook(self, keys: list[object]) -> None:
        hooks = self.webhooks()
        if hooks is None or len(keys) != 1:
            self._say("select one hook to remove", error=True)
            return
        hook_id = str(keys[0])

        async def remove() -> None:
            await asyncio.to_thread(hooks.hooks.remove, hook_id)
            self._say(f"removed hook {hook_id}")
            self.refresh()

        self._run(remove())
