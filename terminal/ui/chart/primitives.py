"""Hand numpy rows to QPainter's array overloads in one call, without a Python object per row.

QPainter.drawLines(const QLineF*, int) and drawRects(const QRectF*, int) read rows of four
doubles; a C-contiguous float64 (n, 4) array has that layout, so the painter reads it in
place (the same trick pyqtgraph uses internally for PySide6 >= 6.4.3).
"""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt
import shiboken6
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPainter

F64 = npt.NDArray[np.float64]


def _rows(array: F64) -> F64:
    rows = np.ascontiguousarray(array, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != 4:
        raise ValueError(f"expected (n, 4) rows, got shape {rows.shape}")
    return rows


def draw_lines(painter: QPainter, lines: F64) -> None:
    """Rows of (x1, y1, x2, y2), one drawLines call."""
    rows = _rows(lines)
    if rows.shape[0]:
        first = cast(QLineF, shiboken6.wrapInstance(rows.ctypes.data, QLineF))
        painter.drawLines(first, rows.shape[0])


def draw_rects(painter: QPainter, rects: F64) -> None:
    """Rows of (x, y, w, h), one drawRects call."""
    rows = _rows(rects)
    if rows.shape[0]:
        first = cast(QRectF, shiboken6.wrapInstance(rows.ctypes.data, QRectF))
        painter.drawRects(first, rows.shape[0])
