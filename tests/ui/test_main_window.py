"""The real main window on the real engine, driven as a trader would (offscreen).

The engine replays the Binance capture at full speed on qasync's loop (the loop the app
uses), with Binance's exchangeInfo for tick and lot sizes. Orders go through the ticket and
the ladder, show in the blotters, are cancelled there, and a fill moves the position.

Waiting is done with asyncio sleeps, never with processEvents() inside a coroutine (a
nested Qt loop under qasync can drop other tasks' wake-ups).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path

import keyring
import numpy as np
import pytest
import qasync
from keyring.backends.fail import Keyring as FailKeyring
from pydantic import BaseModel, SecretStr
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

from terminal.app import Engine, EngineOptions
from terminal.kernels.indicators import ema, rsi
from terminal.model.ids import InstrumentId
from terminal.model.orders import Order, OrderStatus, OrderType, Side
from terminal.secrets import SecretStore
from terminal.services.signals import MaCrossParams, MovingAverageCross
from terminal.ui.connections import ConnectDialog, secret_scope
from terminal.ui.ladder.ladder_model import Column
from terminal.ui.main_window import MainWindow
from tests.data_paths import SHARED_DATA
from tests.unit.test_secrets import memory_keyring  # noqa: F401 (a fixture)

BINANCE_WS = SHARED_DATA / "ws" / "cryptofeed__BINANCE.ws.1.0"
BINANCE_INFO = SHARED_DATA / "ref" / "cryptofeed__BINANCE.0"
L2 = SHARED_DATA / "l2"
NKN = InstrumentId("BINANCE", "NKNUSDT")

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    qapp.setQuitOnLastWindowClosed(False)
    event_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    event_loop.close()  # joins its executor threads
    asyncio.set_event_loop(None)


async def until(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


Scenario = Callable[[Engine, MainWindow], Awaitable[None]]


def run_window(loop: qasync.QEventLoop, data_dir: Path, scenario: Scenario,
               replay: list[Path], instruments: list[Path] | None = None,
               history: list[Path] | None = None,
               before_run: Callable[[MainWindow], None] | None = None,
               speed: str | float = "max") -> MainWindow:
    """Start engine and window as `launch` does, replay to the end, run the scenario, stop."""

    async def main() -> MainWindow:
        engine = Engine(EngineOptions(data_dir=data_dir, replay_paths=replay, speed=speed,
                                      instrument_files=instruments or [],
                                      history_paths=history or []))
        window = MainWindow(engine, data_dir / "window.ini")
        window.show()
        await engine.start()
        window.bridge.load_existing()
        if before_run is not None:
            before_run(window)
        runner = asyncio.ensure_future(engine.run(stay=True))
        try:
            await until(lambda: all(getattr(c, "done", False) for c in engine.data_clients()),
                        "the replay to end")
            await asyncio.sleep(0.1)  # a few frames
            await scenario(engine, window)
        finally:
            engine.request_stop()
            await asyncio.gather(runner, return_exceptions=True)
            window.close()
            await engine.stop()
        return window

    return loop.run_until_complete(main())


def blotter_rows(window: MainWindow, name: str) -> list[dict[str, object]]:
    model = window.models[name]
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return [dict(zip(headers, model.row_values(r), strict=True)) for r in range(model.rowCount())]


def ladder_row(window: MainWindow, price: str) -> int | None:
    model = window.ladder.model
    return next((r for r in range(model.rowCount()) if model.text(r, Column.PRICE) == price),
                None)


def proxy_row_of(window: MainWindow, order: Order) -> int:
    """The table row (after sorting) that shows `order` in the working-orders blotter."""
    model = window.models["working"]
    source = next(r for r in range(model.rowCount())
                  if model.key_at(r) == order.client_order_id)
    return window.blotters["working"].proxy.mapFromSource(model.index(source, 0)).row()


def double_click_row(qtbot, window: MainWindow, name: str, row: int) -> None:
    table = window.blotters[name].table
    rect = table.visualRect(table.model().index(row, 0))
    # a real double-click starts with a press on the same cell (the view checks it)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_orders_from_ticket_and_ladder_show_in_blotters_cancel_and_fill(qtbot, loop, tmp_path):
    async def scenario(engine: Engine, window: MainWindow) -> None:
        window.select_instrument(NKN)
        await until(lambda: ladder_row(window, "0.3527") is not None, "the NKNUSDT ladder")
        assert window.ladder.header.status.text() == ""  # fresh book: no STALE mark
        ticket = window.ticket
        assert ticket.grid.text() == "tick 0.0001 · lot 1"  # from Binance's exchangeInfo

        # a resting limit bid from the ticket; the price is snapped to the tick
        ticket.prefill(NKN, OrderType.LIMIT, Decimal("0.35004"))
        ticket.quantity.setText("200")
        ticket.place(Side.BUY)
        await until(lambda: len(blotter_rows(window, "working")) == 1, "the ticket order")
        (row,) = blotter_rows(window, "working")
        assert (row["Side"], row["Type"], row["Qty"], row["Price"], row["Source"]) == (
            "buy", "limit", Decimal("200"), Decimal("0.3500"), "ticket")
        assert row["Status"] == "accepted"

        # a bid from a click on the ladder's bid column at 0.3527 (no confirmation asked)
        window.confirm_action.setChecked(False)
        ladder = window.ladder
        price_row = ladder_row(window, "0.3527")
        assert price_row is not None
        index = ladder.model.index(price_row, Column.BID)
        ladder.view.scrollTo(index)
        qtbot.mouseClick(ladder.view.viewport(), Qt.MouseButton.LeftButton,
                         pos=ladder.view.visualRect(index).center())
        await until(lambda: len(blotter_rows(window, "working")) == 2, "the ladder order")
        from_ladder = next(r for r in blotter_rows(window, "working") if r["Source"] == "ladder")
        assert (from_ladder["Side"], from_ladder["Price"], from_ladder["Qty"]) == (
            "buy", Decimal("0.3527"), Decimal("200"))
        # both own orders sit on the ladder at their prices
        def own_levels() -> dict[str, str]:
            model = ladder.model
            return {model.text(r, Column.PRICE): model.text(r, Column.OWN_BID)
                    for r in range(model.rowCount()) if model.text(r, Column.OWN_BID)}

        await until(lambda: len(own_levels()) == 2, "own orders on the ladder")
        assert set(own_levels()) == {"0.3500", "0.3527"}

        # double-click the ticket's order: modify it to 300 @ 0.34999 (snapped to 0.3499)
        window.docks["Working orders"].raise_()
        await asyncio.sleep(0.05)
        asked: list[str] = []

        def new_terms(order: Order) -> tuple[str, str | None]:
            asked.append(order.client_order_id)
            return "300", "0.34999"

        window.ask_modify = new_terms
        ticket_order = next(o for o in window.state.orders.values() if o.source == "ticket")
        double_click_row(qtbot, window, "working", proxy_row_of(window, ticket_order))
        await until(lambda: ticket_order.quantity == Decimal("300"), "the modify")
        assert asked == [ticket_order.client_order_id]
        assert ticket_order.price == Decimal("0.3499")
        await until(lambda: any(r["Qty"] == Decimal("300") for r in blotter_rows(
            window, "working")), "the modified row")

        # select it and press Cancel
        table = window.blotters["working"].table
        table.selectRow(proxy_row_of(window, ticket_order))
        cancel = next(b for b in window.blotters["working"].findChildren(QPushButton)
                      if b.text() == "Cancel")
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
        await until(lambda: len(blotter_rows(window, "working")) == 1, "the cancel")
        assert ticket_order.status is OrderStatus.CANCELED
        # and the rest with cancel-all (Ctrl+Shift+X)
        window.cancel_all()
        await until(lambda: not blotter_rows(window, "working"), "cancel-all")
        assert all(o.status is OrderStatus.CANCELED for o in window.state.orders.values())

        # a market buy of 150 takes the best ask, 152 @ 0.3531, and moves the position
        ticket.prefill(NKN, OrderType.MARKET, None)
        ticket.quantity.setText("150")
        ticket.place(Side.BUY)
        await until(lambda: len(blotter_rows(window, "fills")) == 1, "the fill")
        (fill,) = blotter_rows(window, "fills")
        assert (fill["Side"], fill["Qty"], fill["Price"]) == ("buy", Decimal("150"),
                                                               Decimal("0.3531"))
        assert fill["Fee"] == Decimal("150") * Decimal("0.3531") * Decimal("0.001")
        await until(lambda: bool(blotter_rows(window, "positions")), "the position")
        (position,) = blotter_rows(window, "positions")
        assert (position["Instrument"], position["Qty"], position["Avg price"]) == (
            "BINANCE:NKNUSDT", Decimal("150"), Decimal("0.3531"))
        account = {r["Currency"]: r["Balance"] for r in blotter_rows(window, "account")}
        assert account["USDT"] == Decimal("100000") - Decimal("52.965") - Decimal("0.052965")

        # a refusal of the risk engine is shown in the ticket, and nothing is sent
        before = len(window.state.orders)
        ticket.prefill(NKN, OrderType.LIMIT, Decimal("0.3500"))
        ticket.quantity.setText("1")  # 0.35 USDT: below Binance's minimum notional
        ticket.place(Side.BUY)
        await until(lambda: ticket.message.text().startswith("Refused:"), "the refusal")
        assert "notional" in ticket.message.text()
        assert len(window.state.orders) == before

    run_window(loop, tmp_path, scenario, [BINANCE_WS], [BINANCE_INFO])


def test_a_book_with_a_sequence_gap_is_greyed_with_its_reason(qtbot, loop, tmp_path):
    """CASES 2 in the window: the update does not follow the snapshot."""

    async def scenario(engine: Engine, window: MainWindow) -> None:
        (key,) = engine.books.summary()
        iid = InstrumentId.parse(key)
        status = engine.books.status(iid)
        assert status is not None and not status.usable
        window.select_instrument(iid)
        await until(lambda: window.ladder.overlay.isVisible(), "the stale veil")
        assert window.ladder.overlay.text().startswith("STALE — gap")
        assert window.ladder.header.status.text() == "STALE"
        assert window.ladder.model.stale  # the last levels, greyed, clicks refused
        await until(lambda: window.depth_chart.overlay.isVisible(), "the depth veil")
        assert "books 0/1 usable" in window.status.text()

    run_window(loop, tmp_path, scenario, [L2 / "nautilus__binance_btcusdt-depth-snap.csv",
                                          L2 / "nautilus__binance_btcusdt-depth-update.csv"])


def test_saved_layout_and_settings_are_restored(qtbot, loop, tmp_path):
    async def rearrange(engine: Engine, window: MainWindow) -> None:
        window.docks["Depth"].hide()
        window.docks["Fills"].raise_()
        window.resizeDocks([window.docks["Order book"]], [611], Qt.Orientation.Horizontal)
        window.confirm_action.setChecked(False)
        await asyncio.sleep(0.05)

    first = run_window(loop, tmp_path, rearrange, [BINANCE_WS])
    width = first.docks["Order book"].width()

    async def check(engine: Engine, window: MainWindow) -> None:
        assert not window.docks["Depth"].isVisible()
        assert window.docks["Order book"].width() == width
        assert not window.confirm_action.isChecked() and not window.ladder.confirm_clicks

    run_window(loop, tmp_path, check, [BINANCE_WS])


def test_daily_history_shows_at_its_own_timeframe_and_live_minutes_at_the_chosen_one(
        qtbot, loop, tmp_path):
    """GOOG's 2,148 daily bars are the only history of REPLAY:GOOG: at 1m the chart would
    be empty, so it shows 1d; the next instrument is shown at the user's 1m again."""

    async def scenario(engine: Engine, window: MainWindow) -> None:
        await until(lambda: window.selected is not None
                    and window.selected.venue == "BINANCE", "a live instrument chosen first")
        window.select_instrument(InstrumentId("REPLAY", "GOOG"))
        assert window.chart.timeframe() == "1d"
        assert len(window.chart.series) == 2148
        assert window.chart.series.close[-1] == pytest.approx(806.19)  # 2013-03-01 close
        assert window.chart.decimals == 2  # no metadata: the file's prices have 2 decimals
        close = window.chart.series.close
        np.testing.assert_array_equal(window.chart.overlays["EMA 20"].values, ema(close, 20))
        np.testing.assert_array_equal(window.chart.subpanes["RSI 14"].lines["RSI 14"].values,
                                      rsi(close, 14))
        window.select_instrument(NKN)
        assert window.chart.timeframe() == "1m"
        assert len(window.chart.series) >= 1  # bars built from the capture's trades

    run_window(loop, tmp_path, scenario, [BINANCE_WS], [BINANCE_INFO],
               [SHARED_DATA / "ohlcv" / "backtesting.py__GOOG.csv"])


def connection_status(window: MainWindow, plugin_id: str) -> str:
    model = window.connections.model
    row = next(r for r in range(model.rowCount()) if model.key_at(r) == plugin_id)
    return str(model.row_values(row)[4])


def test_connect_dialog_built_from_the_plugins_settings_connects_and_disconnects(
        qtbot, loop, tmp_path):
    """No feed at start; the replay plugin is connected from the connections panel with a
    form generated from its settings model; a refused setting keeps the dialog open with the
    plugin's own message and changes nothing."""

    async def scenario(engine: Engine, window: MainWindow) -> None:
        panel = window.connections
        panel.refresh()
        assert connection_status(window, "paper") == "connected (broker)"
        assert connection_status(window, "replay") == "available"
        panel.select("replay")
        dialog = panel.open_connect_dialog()
        assert dialog is not None
        assert {"paths", "speed", "max_gap", "format", "instrument"} <= set(dialog.form.editors)
        assert not dialog.remember.isVisible()  # the replay plugin has no secrets

        dialog.form.set_text("paths", str(BINANCE_WS))
        dialog.form.set_text("speed", "-3")
        dialog.submit()
        await until(lambda: dialog.connect_button.isEnabled(), "the refusal")
        assert "speed" in dialog.message.text() and dialog.isVisible()
        assert "replay" not in engine.connectors

        dialog.form.set_text("speed", "max")
        dialog.submit()
        await until(lambda: not dialog.isVisible(), "the connection")
        assert "replay" in engine.connectors
        await until(lambda: len(engine.books.summary()) == 4, "the four Binance books")
        await until(lambda: connection_status(window, "replay") == "connected",
                    "the panel's status")

        panel.select("replay")
        panel.disconnect_selected()
        await until(lambda: "replay" not in engine.connectors, "the disconnection")
        await until(lambda: panel.message.text() == "replay disconnected", "the message")
        panel.select("paper")
        panel.disconnect_selected()  # the session's broker stays
        await until(lambda: "broker of this session" in panel.message.text(), "the refusal")
        assert "paper" in engine.connectors

    run_window(loop, tmp_path, scenario, [])


class BrokerSettings(BaseModel):
    api_key: str
    api_secret: SecretStr


def test_secret_fields_are_masked_and_come_from_the_keyring(qtbot, memory_keyring):  # noqa: F811
    store = SecretStore()
    store.put(secret_scope("acme"), "api_secret", "s3cr3t-value")
    dialog = ConnectDialog(None, "acme", BrokerSettings, lambda coro: coro.close(),  # type: ignore[arg-type]
                           store)
    qtbot.addWidget(dialog)
    assert dialog.form.secret_fields == ["api_secret"]
    secret = dialog.form.editors["api_secret"]
    assert isinstance(secret, QLineEdit) and secret.echoMode() == QLineEdit.EchoMode.Password
    assert secret.text() == "s3cr3t-value"  # loaded from the keyring, shown masked
    assert dialog.remember.isChecked() and dialog.remember.isEnabled()


def test_without_a_keyring_backend_the_dialog_says_so_and_does_not_offer_to_remember(qtbot):
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        dialog = ConnectDialog(None, "acme", BrokerSettings,  # type: ignore[arg-type]
                               lambda coro: coro.close(), SecretStore())
        qtbot.addWidget(dialog)
        assert not dialog.remember.isEnabled() and not dialog.remember.isChecked()
        assert "keyring" in dialog.message.text().lower()
    finally:
        keyring.set_keyring(previous)


def test_bad_input_is_refused_with_a_reason_and_changes_nothing(qtbot, loop, tmp_path):
    """Found by trying to break the window: a huge price, an export to nowhere, a modify of
    a stop order, a double cancel, and replay settings that only failed once playing."""

    async def scenario(engine: Engine, window: MainWindow) -> None:
        window.select_instrument(NKN)
        ticket = window.ticket
        ticket.prefill(NKN, OrderType.LIMIT, None)
        ticket.quantity.setText("200")
        ticket.price.setText("1e25")
        ticket.snap_fields()  # Return in a field: left as typed, no exception
        ticket.place(Side.BUY)
        assert ticket.message.text() == "Refused: price or quantity: too large for this " \
            "instrument"
        assert not window.state.orders

        ticket.prefill(NKN, OrderType.STOP, None)
        ticket.stop.setText("0.40")
        ticket.place(Side.BUY)
        await until(lambda: len(window.state.orders) == 1, "the stop order")
        (stop_order,) = window.state.orders.values()
        window.ask_modify = lambda _order: ("300", None)
        window.modify_order(stop_order.client_order_id)
        await until(lambda: "cannot be modified" in window.statusBar().currentMessage(),
                    "the modify refusal")
        assert stop_order.quantity == Decimal("200")

        window._cancel_orders([stop_order.client_order_id] * 3 + ["nope", 123, None])
        await until(lambda: stop_order.status is OrderStatus.CANCELED, "the cancel")
        await asyncio.sleep(0.05)
        assert not [line for line in window.state.log if "task cancel failed" in line]

        blotter = window.blotters["orders"]
        with pytest.raises(OSError):
            blotter.export_to(tmp_path / "no-such-folder" / "orders.csv")
        blotter.filter.setText("stop")
        assert blotter.export_to(tmp_path / "orders.csv") == 1  # what the filter shows

    run_window(loop, tmp_path, scenario, [BINANCE_WS], [BINANCE_INFO])


def test_replay_settings_that_would_fail_only_once_playing_are_refused_in_the_dialog(
        qtbot, loop, tmp_path):
    async def scenario(engine: Engine, window: MainWindow) -> None:
        panel = window.connections
        notes = tmp_path / "notes.txt"
        notes.write_text("dear diary\n")
        for settings, message in (({"paths": str(notes)}, "notes.txt"),
                                  ({"paths": str(BINANCE_WS), "instrument": "garbage"},
                                   "VENUE:SYMBOL"),
                                  ({"paths": str(BINANCE_WS), "speed": "1e-300"}, "speed")):
            panel.select("replay")
            dialog = panel.open_connect_dialog()
            assert dialog is not None
            for name, text in settings.items():
                dialog.form.set_text(name, text)
            dialog.submit()
            await until(lambda d=dialog: d.connect_button.isEnabled(), "the refusal")
            assert message in dialog.message.text() and dialog.isVisible()
            assert "replay" not in engine.connectors
            dialog.reject()

    run_window(loop, tmp_path, scenario, [])


def test_strategy_signals_are_marked_on_the_bars_that_gave_them(qtbot, loop, tmp_path):
    """An EMA(5, 20) cross over the real 1-minute BTC file: every signal it publishes is a
    marker on the chart, at its bar and close, and a timeframe round trip does not double
    them."""
    btc = InstrumentId("REPLAY", "UNITTEST_BTC-1M")

    def add_strategy(window: MainWindow) -> None:
        window.engine.signals.add(MovingAverageCross(str(btc), "1m", MaCrossParams(5, 20, "ema"),
                                              strategy_id="cross"))

    async def scenario(engine: Engine, window: MainWindow) -> None:
        signals = [s for s in window.state.signals if s.instrument_id == btc]  # all published
        assert len(signals) == engine.signals.stats.signals > 1000
        assert signals[-1000:] == list(engine.signals.recent)  # the engine keeps the last 1000
        window.select_instrument(btc)
        window.set_timeframe("1m")
        await until(lambda: len(window.chart.markers.markers) == len(signals), "the markers")
        marks = window.chart.markers.markers
        assert {(m.ts, m.price, m.kind) for m in marks} == {
            (s.bar_ts, s.price, "signal") for s in signals}
        window.set_timeframe("5m")
        window.set_timeframe("1m")
        await until(lambda: len(window.chart.markers.markers) == len(signals), "no doubles")
        assert any("signal cross:" in line for line in window.state.log)

    run_window(loop, tmp_path, scenario,
               [SHARED_DATA / "ohlcv" / "freqtrade__UNITTEST_BTC-1m.json"],
               before_run=add_strategy)


def test_playing_the_same_capture_again_does_not_double_the_charts_volume(qtbot, loop,
                                                                         tmp_path):
    """The NKNUSDT 1m bar of the capture holds 58 traded; a second run on the same data dir
    charts it from history while the replay rebuilds it live: still 58, not 116."""
    seen: list[float] = []

    def show_nkn(window: MainWindow) -> None:  # on the chart while the capture plays
        window.select_instrument(NKN)

    async def volume(engine: Engine, window: MainWindow) -> None:
        await asyncio.sleep(0.2)
        seen.append(float(window.chart.series.volume[-1]))

    for _run in range(2):
        run_window(loop, tmp_path, volume, [BINANCE_WS], [BINANCE_INFO], before_run=show_nkn,
                   speed=20)
    assert seen == [58.0, 58.0]
