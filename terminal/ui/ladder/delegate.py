"""Paints a ladder cell: background, size bar, text; straight from the model.

The ladder repaints many cells many times a second. Going through the style
(initStyleOption + drawControl) asks the model for every role of every cell through Python;
painting from one `look` call per cell costs a fraction of that.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect
from PySide6.QtGui import QFont, QPainter, QPalette
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from terminal.model.orders import Side
from terminal.ui.ladder.ladder_model import COLUMN_SIDE, Column, LadderModel

TEXT_PADDING = 4  # pixels between the text and the cell's edge


class BarDelegate(QStyledItemDelegate):
    """Bars grow from the price column outwards: bid bars are right-aligned, ask bars left."""

    _bold: tuple[str, QFont] | None = None  # the view's font made bold, by its key

    def _bold_font(self, font: QFont) -> QFont:
        key = font.key()
        if self._bold is None or self._bold[0] != key:
            bold = QFont(font)
            bold.setBold(True)
            self._bold = (key, bold)
        return self._bold[1]

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        model = index.model()
        if not isinstance(model, LadderModel):
            super().paint(painter, option, index)
            return
        col = Column(index.column())
        text, foreground, background, bar, bold, align = model.look(index.row(), col)
        rect = QRect(option.rect)
        if background is not None:
            painter.fillRect(rect, background)
        if bar is not None:
            share, colour = bar
            width = max(1, round(rect.width() * share))
            bar_rect = QRect(rect)
            if COLUMN_SIDE.get(col) is Side.BUY:
                bar_rect.setLeft(rect.right() + 1 - width)
            else:
                bar_rect.setWidth(width)
            painter.fillRect(bar_rect, colour)
        if not text:
            return
        palette: QPalette = option.palette
        painter.setPen(foreground if foreground is not None
                       else palette.color(QPalette.ColorRole.Text))
        painter.setFont(self._bold_font(option.font) if bold else option.font)
        painter.drawText(rect.adjusted(TEXT_PADDING, 0, -TEXT_PADDING, 0), align, text)
