"""Ladder colours, chosen to read on the dark theme and still work on the light one."""

from __future__ import annotations

from PySide6.QtGui import QColor

BID_TEXT = QColor("#4fc3a1")
ASK_TEXT = QColor("#f26b6b")
OWN_TEXT = QColor("#f5c542")
STALE_TEXT = QColor("#6e737b")
BID_BAR = QColor(38, 166, 154, 80)
ASK_BAR = QColor(239, 83, 80, 80)
CUM_BID_BAR = QColor(38, 166, 154, 38)
CUM_ASK_BAR = QColor(239, 83, 80, 38)
STALE_BAR = QColor(128, 128, 128, 45)
BEST_BID_BG = QColor(38, 166, 154, 70)
BEST_ASK_BG = QColor(239, 83, 80, 70)
PRICE_BG = QColor(255, 255, 255, 12)
SPREAD_BG = QColor(120, 135, 160, 55)
OWN_BG = QColor(245, 197, 66, 40)
STALE_VEIL = "rgba(10, 12, 16, 150)"
STALE_ACCENT = "#f5a623"
