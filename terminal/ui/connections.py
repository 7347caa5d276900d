"""The connections panel: every plugin with its status, connect and disconnect.

Connecting opens a dialog generated from the plugin's config model. Secret fields are read
from and saved to the OS keyring; where there is no keyring backend the dialog says so and
the secret is used for this session only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from pydantic import BaseModel
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from terminal.app import Engine
from terminal.core.errors import PluginError, TerminalError
from terminal.plugin_host.registry import PluginStatus
from terminal.secrets import KeyringUnavailable, SecretStore
from terminal.ui.config_form import ConfigForm
from terminal.ui.table_model import RowsModel

log = logging.getLogger(__name__)

HEADERS = ("Plugin", "Name", "Kinds", "Version", "Status", "Detail")
Spawn = Callable[[Coroutine[Any, Any, None]], object]


def secret_scope(plugin_id: str) -> str:
    return f"plugin.{plugin_id}"


def feed_state(stats: dict[str, Any]) -> tuple[str, str] | None:
    """(status, detail) of a live feed that reports its state (connecting, connected,
    reconnecting, stalled...), with its reconnect count; None for feeds that do not."""
    state = stats.get("state")
    if not isinstance(state, str) or not state:
        return None
    parts = [str(stats.get("detail") or "")]
    if stats.get("reconnects"):
        parts.append(f"{stats['reconnects']} reconnects")
    if stats.get("bad_frames"):
        parts.append(f"{stats['bad_frames']} bad frames")
    return state, "; ".join(p for p in parts if p)


def connection_rows(engine: Engine) -> list[tuple[object, tuple[Any, ...]]]:
    rows: list[tuple[object, tuple[Any, ...]]] = []
    for entry in engine.registry.entries():
        info = entry.as_dict()
        status = "connected" if entry.id in engine.connectors else info["status"]
        if entry.id == engine.options.broker and entry.id in engine.connectors:
            status = "connected (broker)"
        detail = info["error"] or (entry.manifest.description if entry.manifest else "")
        connector = engine.connectors.get(entry.id)
        if connector is not None and connector.data is not None:
            live = feed_state(connector.data.stats())
            if live:
                status, detail = live
        rows.append((entry.id, (entry.id, info["name"] or "", ", ".join(info["kinds"]),
                                info["version"] or "", status, detail)))
    return rows


class ConnectDialog(QDialog):
    """Settings for one plugin; stays open with the plugin's own message when refused."""

    def __init__(self, engine: Engine, plugin_id: str, model: type[BaseModel], spawn: Spawn,
                 secrets: SecretStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Connect {plugin_id}")
        self.setObjectName("connectDialog")
        self.engine = engine
        self.plugin_id = plugin_id
        self._spawn = spawn
        self._secrets = secrets
        self.form = ConfigForm(model, self)
        self.remember = QCheckBox("Remember secrets in the OS keyring", self)
        self.remember.setChecked(True)
        self.remember.setVisible(bool(self.form.secret_fields))
        self.message = QLabel(self)
        self.message.setObjectName("connectMessage")
        self.message.setWordWrap(True)
        self.connect_button = QPushButton("Connect", self)
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self.submit)
        cancel = QPushButton("Cancel", self)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.connect_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.remember)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self._load_secrets()

    def _load_secrets(self) -> None:
        if not self.form.secret_fields:
            return
        if not self._secrets.available():
            self.remember.setChecked(False)
            self.remember.setEnabled(False)
            self._show(str(KeyringUnavailable()), error=False)
            return
        for name in self.form.secret_fields:
            stored = self._secrets.get(secret_scope(self.plugin_id), name)
            if stored:
                self.form.set_text(name, stored)

    def _show(self, text: str, error: bool = True) -> None:
        self.message.setStyleSheet("color: #ef5350;" if error else "color: #b0b0b0;")
        self.message.setText(text)

    def submit(self) -> None:
        self.connect_button.setEnabled(False)
        self._show("Connecting…", error=False)
        self._spawn(self._connect(self.form.values()))

    async def _connect(self, settings: dict[str, Any]) -> None:
        try:
            await self.engine.connect(self.plugin_id, settings)
        except (PluginError, TerminalError) as exc:
            self._show(str(exc))
            self.connect_button.setEnabled(True)
            return
        self._save_secrets(settings)
        self.accept()

    def _save_secrets(self, settings: dict[str, Any]) -> None:
        if not self.remember.isChecked():
            return
        for name in self.form.secret_fields:
            value = settings.get(name)
            if not value:
                continue
            try:
                self._secrets.put(secret_scope(self.plugin_id), name, str(value))
            except TerminalError as exc:  # the connection stands; only remembering failed
                log.warning("secret %s of %s not saved: %s", name, self.plugin_id, exc)


class ConnectionsPanel(QWidget):
    def __init__(self, engine: Engine, spawn: Spawn, secrets: SecretStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connections")
        self.engine = engine
        self._spawn = spawn
        self.secrets = secrets or SecretStore()
        self.model = RowsModel(HEADERS)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.connect_button = QPushButton("Connect…", self)
        self.connect_button.clicked.connect(self.open_connect_dialog)
        self.disconnect_button = QPushButton("Disconnect", self)
        self.disconnect_button.clicked.connect(self.disconnect_selected)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.disconnect_button)
        buttons.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.dialog: ConnectDialog | None = None
        self.refresh()
        self.timer = QTimer(self)  # live feeds change state (reconnecting, stalled) on their own
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def refresh(self) -> None:
        self.model.set_rows(connection_rows(self.engine))

    def select(self, plugin_id: str) -> None:
        for row in range(self.model.rowCount()):
            if self.model.key_at(row) == plugin_id:
                self.table.selectRow(row)
                return

    def selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return str(self.model.key_at(rows[0].row())) if rows else None

    def open_connect_dialog(self) -> ConnectDialog | None:
        plugin_id = self.selected()
        if plugin_id is None:
            self.message.setText("Choose a plugin first.")
            return None
        try:
            entry = self.engine.registry.load(plugin_id)
        except PluginError as exc:
            self.message.setText(str(exc))
            self.refresh()
            return None
        if entry.status is PluginStatus.BROKEN or entry.config_model is None:
            self.message.setText(f"{plugin_id} is broken: {entry.error}")
            return None
        self.dialog = ConnectDialog(self.engine, plugin_id, entry.config_model, self._spawn,
                                    self.secrets, self)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.finished.connect(lambda _r: self.refresh())
        self.dialog.open()
        return self.dialog

    def disconnect_selected(self) -> None:
        plugin_id = self.selected()
        if plugin_id is None:
            return
        self._spawn(self._disconnect(plugin_id))

    async def _disconnect(self, plugin_id: str) -> None:
        try:
            await self.engine.disconnect(plugin_id)
        except PluginError as exc:
            self.message.setText(str(exc))
        else:
            self.message.setText(f"{plugin_id} disconnected")
        self.refresh()
