"""Draw the app icon (three candles on a dark rounded square) with Qt, off screen.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icon.py

writes packaging/icons/trading-terminal.png (256 px) and .ico (Windows; Qt's ICO writer).
The files are committed; run this again only to change the drawing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPen

OUT = Path(__file__).resolve().parent / "icons"
# (x, open, close, low, high) in a 0..100 box, y grows downwards
CANDLES = ((24, 62, 44, 72, 36), (50, 46, 58, 66, 38), (76, 54, 24, 60, 14))
UP, DOWN, BACK = QColor("#26a69a"), QColor("#ef5350"), QColor("#1e2126")


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    scale = size / 100.0
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(BACK)
    painter.drawRoundedRect(QRectF(2 * scale, 2 * scale, 96 * scale, 96 * scale),
                            18 * scale, 18 * scale)
    for x, open_, close, low, high in CANDLES:
        color = UP if close < open_ else DOWN
        painter.setPen(QPen(color, 3 * scale))
        painter.drawLine(int(x * scale), int(high * scale), int(x * scale), int(low * scale))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        top, bottom = min(open_, close), max(open_, close)
        painter.drawRect(QRectF((x - 8) * scale, top * scale, 16 * scale,
                                (bottom - top) * scale))
    painter.end()
    return image


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    OUT.mkdir(parents=True, exist_ok=True)
    ok = draw(256).save(str(OUT / "trading-terminal.png"))  # format from the suffix
    ok = draw(64).save(str(OUT / "trading-terminal.ico")) and ok
    del app
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
