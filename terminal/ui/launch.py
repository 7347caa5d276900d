"""Starts the desktop window with the engine on qasync's loop (one loop for both)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication, QMessageBox

from terminal.app import Engine
from terminal.core.errors import TerminalError
from terminal.core.heap import settle_heap
from terminal.run_options import engine_options
from terminal.ui.main_window import MainWindow
from terminal.ui.theme import THEMES

log = logging.getLogger(__name__)


async def run_window(engine: Engine, window: MainWindow, closed: asyncio.Event,
                     duration_s: float | None) -> int:
    window.show()
    window.busy("Starting: database, plugins, history…")
    try:
        await engine.start()
    except TerminalError as exc:
        window.busy(None)
        print(f"error: {exc}", file=sys.stderr)  # the shell that started it hears it too
        QMessageBox.critical(window, "Trading Terminal", str(exc))
        return 2
    window.busy(None)
    window.bridge.load_existing()
    settle_heap()
    runner = asyncio.ensure_future(engine.run(duration_s=duration_s, stay=True))
    waiter = asyncio.ensure_future(closed.wait())
    await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
    engine.request_stop()
    await asyncio.gather(runner, return_exceptions=True)
    waiter.cancel()
    window.close()
    await engine.stop()
    return 0 if engine.summary()["ok"] else 1


def launch(args: argparse.Namespace, data_dir: Path) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Trading Terminal")
    app.setQuitOnLastWindowClosed(False)  # closing the window ends run_window, which stops all
    engine = Engine(engine_options(args, data_dir))
    window = MainWindow(engine, data_dir / "window.ini")
    saved = str(window.settings.value("theme", getattr(args, "theme", "dark")))
    window.set_theme(saved if saved in THEMES else "dark")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    signal.signal(signal.SIGINT, lambda *_: closed.set())
    with loop:
        code: int = loop.run_until_complete(run_window(engine, window, closed, args.duration))
    return code
