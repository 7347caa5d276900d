"""A sortable, filterable table with CSV export: the base of every blotter."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from terminal.ui.table_model import RowsModel


class Blotter(QWidget):
    row_activated = Signal(object)  # the row's key

    def __init__(self, model: RowsModel, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.model = model
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.export_button = QPushButton("Export CSV", self)
        self.export_button.clicked.connect(self._export_dialog)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self._activated)
        self.table.horizontalHeader().setResizeContentsPrecision(200)  # rows sampled
        model.modelReset.connect(self._fit_columns)
        self._last_widen = 0.0
        self._widen_pending = False
        model.dataChanged.connect(self._widen_if_cut)
        top = self._top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        self.status = QLabel(self)
        self.status.setObjectName("blotterStatus")
        top.addWidget(self.status)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.table)

    def add_action(self, text: str, handler: Callable[[list[object]], None],
                   tooltip: str = "") -> QPushButton:
        """A button before the export button that acts on the selected rows' keys."""
        button = QPushButton(text, self)
        button.setToolTip(tooltip)
        button.clicked.connect(lambda: handler(self.selected_keys()))
        self._top.insertWidget(self._top.count() - 1, button)
        return button

    def selected_keys(self) -> list[object]:
        rows = {self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()}
        return [self.model.key_at(r) for r in sorted(rows)]

    def export_to(self, path: Path) -> int:
        """The rows shown (filtered, in their sort order) as CSV; the count written."""
        rows = [self.proxy.mapToSource(self.proxy.index(r, 0)).row()
                for r in range(self.proxy.rowCount())]
        return self.model.export_csv(path, rows)

    def _fit_columns(self) -> None:
        """Columns as wide as their contents when rows come or go (not on value edits, so
        the columns do not jump while prices tick); the user may widen them after."""
        self.table.resizeColumnsToContents()

    def _widen_if_cut(self, *_args: object) -> None:
        """Widen (never narrow) a column whose new values no longer fit, at most once a
        second per table: prices that grow digits are shown whole."""
        now = time.monotonic()
        if now - self._last_widen < 1.0:
            if not self._widen_pending:  # look again when the second is up: the last
                self._widen_pending = True  # values of a burst must fit too
                QTimer.singleShot(int((1.0 - (now - self._last_widen)) * 1000) + 10,
                                  self._widen_later)
            return
        self._last_widen = now
        table = self.table
        header = table.horizontalHeader()
        for col in range(self.model.columnCount() - 1):  # the last column stretches
            hint = table.sizeHintForColumn(col)
            if hint > header.sectionSize(col):
                header.resizeSection(col, hint)

    def _widen_later(self) -> None:
        self._widen_pending = False
        self._widen_if_cut()

    def _export_dialog(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export CSV", f"{self.objectName()}.csv",
                                              "CSV files (*.csv)")
        if name:
            try:
                count = self.export_to(Path(name))
            except OSError as exc:
                self.status.setText(f"Export failed: {exc.strerror or exc}: {name}")
            else:
                self.status.setText(f"{count} rows written to {name}")

    def _activated(self, index: QModelIndex) -> None:
        self.row_activated.emit(self.model.key_at(self.proxy.mapToSource(index).row()))
