"""The chart's small toolbar: instrument title, timeframe choice, log scale toggle."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QToolButton, QWidget

from terminal.ui.chart.style import ChartStyle

TIMEFRAMES = ("1m", "5m", "15m", "1h", "4h", "1d")


class ChartToolbar(QWidget):
    timeframe_changed = Signal(str)
    log_toggled = Signal(bool)

    def __init__(self, style: ChartStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chartToolbar")
        self.title = QLabel("", self)
        self.title.setObjectName("chartTitle")
        self.timeframe = QComboBox(self)
        self.timeframe.setObjectName("chartTimeframe")
        self.timeframe.addItems(list(TIMEFRAMES))
        self.timeframe.setToolTip("Bar timeframe")
        self.timeframe.currentTextChanged.connect(self.timeframe_changed)
        self.log = QToolButton(self)
        self.log.setObjectName("chartLog")
        self.log.setText("log")
        self.log.setCheckable(True)
        self.log.setToolTip("Logarithmic price scale")
        self.log.toggled.connect(self.log_toggled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addStretch(1)
        layout.addWidget(self.timeframe)
        layout.addWidget(self.log)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.set_style(style)

    def set_style(self, style: ChartStyle) -> None:
        self.setStyleSheet(
            f"#chartToolbar {{ background: {style.background}; border-bottom: 1px solid "
            f"{style.grid}; }} #chartTitle {{ color: {style.text}; font-weight: bold; }}")

    def set_title(self, text: str) -> None:
        self.title.setText(text)
        layout = self.layout()
        if layout is not None:
            layout.activate()  # lay out now, so a grab right after shows the whole title

    def set_log_checked(self, on: bool) -> None:
        """Reflect the scale without emitting log_toggled again."""
        self.log.blockSignals(True)
        self.log.setChecked(on)
        self.log.blockSignals(False)

    def set_timeframe(self, timeframe: str) -> None:
        """Show `timeframe` without emitting timeframe_changed (the caller set it)."""
        if timeframe not in TIMEFRAMES:
            raise ValueError(f"timeframe must be one of {TIMEFRAMES}, got {timeframe!r}")
        self.timeframe.blockSignals(True)
        self.timeframe.setCurrentText(timeframe)
        self.timeframe.blockSignals(False)
