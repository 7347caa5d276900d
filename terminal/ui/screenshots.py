"""`make screenshots`: the main window on the real captures, saved as PNGs.

Replays the Binance capture (books, quotes, trades) with OHLCV files as chart history, places
paper orders through the ticket as a trader would, and grabs the window at three moments;
then the API dock after real requests to the local API with tokens made in it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from local_api.settings import ApiSettings
from terminal.app import Engine, EngineOptions
from terminal.model.ids import InstrumentId
from terminal.model.orders import OrderType, Side
from terminal.ui.main_window import MainWindow
from terminal.ui.theme import THEMES, apply_theme

SIZE = (1680, 1000)


async def _until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("the window did not reach the expected state")
        await asyncio.sleep(0.05)


async def _frame(window: MainWindow) -> None:
    """Let the loop run two frames (timer and paint). Never processEvents() from inside a
    coroutine: a nested Qt loop under qasync can drop the wake-up of other tasks."""
    window.refresh()
    await asyncio.sleep(0.1)
    window.refresh()
    window.refresh_status()  # the frame timer updates it only twice a second
    await asyncio.sleep(0.05)


async def _shoot(window: MainWindow, path: Path) -> None:
    await _frame(window)
    if not window.grab().save(str(path)):
        raise OSError(f"cannot write {path}")
    print(f"wrote {path}")


async def _api_activity(window: MainWindow, url: str) -> None:
    """Tokens made in the panel, used over a few seconds; one used beyond its scope, one
    asking for an unknown instrument, one revoked and tried again."""
    panel = window.api_panel
    notebook = panel.create_token("notebook", "read", None)
    bot = panel.create_token("grid-bot", "trade", 30 * 86400)
    old = panel.create_token("old-script", "read", None)
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        for k in range(12):
            for token in (notebook, bot):
                for path in ("/api/v1/status", "/api/v1/quotes", "/api/v1/orders")[:2 + k % 2]:
                    await client.get(path, headers={"Authorization": f"Bearer {token}"})
            await asyncio.sleep(0.5)
        await client.post("/api/v1/orders", json={}, headers={
            "Authorization": f"Bearer {notebook}"})  # a read token may not trade
        await client.get("/api/v1/quotes/BINANCE:NOPEUSDT",
                         headers={"Authorization": f"Bearer {bot}"})
        await client.get("/api/v1/status", headers={"Authorization": f"Bearer {old}"})
        old_id = old.split("_")[1]
        panel.revoke(old_id)
        await client.get("/api/v1/status", headers={"Authorization": f"Bearer {old}"})
    await asyncio.sleep(1.2)  # the panel's timer
    panel.refresh(force=True)


async def session(shared: Path, out: Path, data_dir: Path) -> None:
    ws = shared / "ws" / "cryptofeed__BINANCE.ws.1.0"
    history = [shared / "ohlcv" / "freqtrade__UNITTEST_BTC-1m.json",
               shared / "ohlcv" / "backtesting.py__GOOG.csv"]
    venue = shared / "ref" / "cryptofeed__BINANCE.0"
    engine = Engine(EngineOptions(data_dir=data_dir, replay_paths=[ws], speed="max",
                                  history_paths=history, instrument_files=[venue],
                                  api=ApiSettings(port=0)))
    window = MainWindow(engine, data_dir / "window.ini")
    window.resize(*SIZE)
    window.show()
    await engine.start()
    window.bridge.load_existing()
    runner = asyncio.ensure_future(engine.run(stay=True))
    try:
        nkn = InstrumentId("BINANCE", "NKNUSDT")
        btc = InstrumentId("REPLAY", "UNITTEST_BTC-1M")
        await _until(lambda: all(getattr(c, "done", False) for c in engine.data_clients()))
        # a chart with history and indicators
        window.select_instrument(btc)
        window.set_timeframe("15m")
        await _shoot(window, out / "chart.png")
        # the book: a resting bid, a market buy that fills, both through the ticket
        window.select_instrument(nkn)
        window.set_timeframe("1m")
        ticket = window.ticket
        ticket.prefill(nkn, OrderType.LIMIT, Decimal("0.3524"))  # rests in view on the ladder
        ticket.quantity.setText("200")
        ticket.place(Side.BUY)
        ticket.prefill(nkn, OrderType.MARKET, None)
        ticket.quantity.setText("150")
        ticket.place(Side.BUY)
        await _until(lambda: len(window.state.fills) > 0 and len(window.state.orders) >= 2)
        window.docks["Working orders"].raise_()
        await _shoot(window, out / "ladder.png")
        window.docks["Positions"].raise_()
        window.set_theme("light")
        await _shoot(window, out / "light.png")
        window.set_theme("dark")
        # the API dock, taller than by default, after real requests
        window.docks["API"].raise_()
        window.resizeDocks([window.docks["API"]], [330], Qt.Orientation.Vertical)
        await _api_activity(window, engine.api_server.url)
        await _frame(window)
        path = out / "api_panel.png"
        if not window.docks["API"].grab().save(str(path)):
            raise OSError(f"cannot write {path}")
        print(f"wrote {path}")
    finally:
        engine.request_stop()
        await asyncio.gather(runner, return_exceptions=True)
        window.close()
        await engine.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--shared-data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args(argv)
    if not (args.shared_data / "ws").is_dir():
        print(f"error: {args.shared_data} has no ws/ folder of captures", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app, THEMES["dark"])
    app.setQuitOnLastWindowClosed(False)  # closing the window must not stop the loop early
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as tmp, loop:
        loop.run_until_complete(session(args.shared_data, args.out, Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
