"""A table model over plain rows, refreshed in place by the frame timer."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
Row = tuple[Any, ...]


class RowsModel(QAbstractTableModel):
    """Rows keyed by an id. `set_rows` updates changed cells only; a row added or removed
    resets the model (rare compared to value changes)."""

    def __init__(self, headers: Sequence[str],
                 formatters: Sequence[Callable[[Any], str]] | None = None) -> None:
        super().__init__()
        self._headers = list(headers)
        self._formatters = list(formatters) if formatters else [str] * len(headers)
        self._keys: list[object] = []
        self._rows: list[Row] = []
        self.resets = 0

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if value is None else self._formatters[index.column()](value)
        if role == Qt.ItemDataRole.UserRole:  # the raw value, for sorting
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def key_at(self, row: int) -> object:
        return self._keys[row]

    def row_values(self, row: int) -> Row:
        return self._rows[row]

    def set_rows(self, keyed_rows: Sequence[tuple[object, Row]]) -> None:
        keys = [k for k, _ in keyed_rows]
        rows = [r for _, r in keyed_rows]
        if keys != self._keys:
            self.beginResetModel()
            self._keys, self._rows = keys, rows
            self.endResetModel()
            self.resets += 1
            return
        for i, (old, new) in enumerate(zip(self._rows, rows, strict=True)):
            if old != new:
                self._rows[i] = new
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(self._headers) - 1))

    def export_csv(self, path: Path, rows: Sequence[int] | None = None) -> int:
        """Rows (indexes, in this order; all by default) as CSV with the shown text."""
        chosen = [self._rows[i] for i in rows] if rows is not None else self._rows
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(self._headers)
            for row in chosen:
                writer.writerow(["" if v is None else self._formatters[i](v)
                                 for i, v in enumerate(row)])
        return len(chosen)
