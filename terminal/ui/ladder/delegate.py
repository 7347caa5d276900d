"""Paints a cell's size bar between its background and its text."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from terminal.model.orders import Side
from terminal.ui.ladder.ladder_model import BAR_ROLE, COLUMN_SIDE, Column


class BarDelegate(QStyledItemDelegate):
    """Bars grow from the price column outwards: bid bars are right-aligned, ask bars left."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        rect = QRect(option.rect)
        background = index.data(Qt.ItemDataRole.BackgroundRole)
        if isinstance(background, QColor):
            painter.fillRect(rect, background)
        bar = index.data(BAR_ROLE)
        if bar is not None:
            share, colour = bar
            width = max(1, round(rect.width() * share))
            if COLUMN_SIDE.get(Column(index.column())) is Side.BUY:
                rect.setLeft(rect.right() + 1 - width)
            else:
                rect.setWidth(width)
            painter.fillRect(rect, colour)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.backgroundBrush = QBrush()
        opt.state &= ~QStyle.StateFlag.State_HasFocus
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
