"""Dark and light themes: a Qt palette plus the matching pyqtgraph colours."""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    base: str
    alternate: str
    text: str
    highlight: str
    up: str
    down: str
    placeholder: str


DARK = Theme("dark", "#1e2126", "#16181c", "#1b1e22", "#d7dae0", "#2f6fb3", "#26a69a", "#ef5350",
             "#8a9099")
LIGHT = Theme("light", "#f3f3f3", "#ffffff", "#f6f7f9", "#1d1f23", "#3d7dd8", "#089981",
              "#f23645", "#8a8f98")
THEMES = {t.name: t for t in (DARK, LIGHT)}


def apply_theme(app: QApplication, theme: Theme) -> None:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.alternate,
        QPalette.ColorRole.Button: theme.window,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.Highlight: theme.highlight,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: theme.base,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.placeholder,
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    app.setStyle("Fusion")
    app.setPalette(palette)
    pg.setConfigOptions(background=theme.base, foreground=theme.text, antialias=False)
