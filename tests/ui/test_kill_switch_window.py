"""The kill switch seen from the window: engaged while the window runs, it cancels the
ticket's working order at the broker and the ticket's next order is refused with the reason;
released, the ticket trades again."""

from __future__ import annotations

from decimal import Decimal

import pytest

from terminal.app import Engine
from terminal.model.orders import OrderStatus, OrderType, Side
from terminal.ui.main_window import MainWindow
from terminal.ui.ticket import OrderTicket
from tests.ui.test_main_window import (  # noqa: F401 (loop is a fixture)
    BINANCE_INFO,
    BINANCE_WS,
    NKN,
    blotter_rows,
    loop,
    run_window,
    until,
)

pytestmark = pytest.mark.timeout(120)


async def rest_a_bid(window: MainWindow) -> OrderTicket:
    """A limit bid of 200 NKNUSDT @ 0.3500 from the ticket, working."""
    window.select_instrument(NKN)
    ticket = window.ticket
    ticket.prefill(NKN, OrderType.LIMIT, Decimal("0.3500"))
    ticket.quantity.setText("200")
    ticket.place(Side.BUY)
    await until(lambda: len(blotter_rows(window, "working")) == 1, "the ticket order")
    return ticket


def test_kill_switch_cancels_working_orders_and_refuses_the_ticket(qtbot, loop, tmp_path):  # noqa: F811
    async def scenario(engine: Engine, window: MainWindow) -> None:
        assert engine.orders is not None
        ticket = await rest_a_bid(window)
        (resting,) = engine.orders.working()

        assert await engine.orders.engage_kill_switch("desk stop", actor="trader") == 1
        await until(lambda: not blotter_rows(window, "working"), "the cancel")
        assert resting.status is OrderStatus.CANCELED

        before = len(window.state.orders)
        ticket.place(Side.BUY)
        await until(lambda: ticket.message.text().startswith("Refused:"), "the refusal")
        assert ticket.message.text() == "Refused: kill switch engaged: desk stop"
        ticket.prefill(NKN, OrderType.MARKET, None)
        ticket.quantity.setText("150")
        ticket.message.setText("")
        ticket.place(Side.BUY)
        await until(lambda: ticket.message.text().startswith("Refused:"), "the refusal")
        assert "kill switch engaged" in ticket.message.text()
        assert len(window.state.orders) == before and not engine.orders.working()

        engine.risk.release_kill_switch(actor="trader")
        ticket.place(Side.BUY)
        await until(lambda: len(blotter_rows(window, "fills")) == 1, "the fill after release")

    run_window(loop, tmp_path, scenario, [BINANCE_WS], [BINANCE_INFO])


def test_the_trading_menus_kill_switch_stops_everything_and_says_so(qtbot, loop, tmp_path):  # noqa: F811
    async def scenario(engine: Engine, window: MainWindow) -> None:
        assert engine.orders is not None
        ticket = await rest_a_bid(window)

        window.kill_action.trigger()  # Trading -> Kill switch (Ctrl+Shift+K)
        await until(lambda: not blotter_rows(window, "working"), "the cancel")
        assert engine.orders.risk.kill_switch
        await until(lambda: window.status.text().startswith("KILL SWITCH ON"), "the status")
        ticket.place(Side.BUY)
        await until(lambda: "kill switch engaged" in ticket.message.text(), "the refusal")

        window.kill_action.trigger()
        assert not engine.orders.risk.kill_switch
        ticket.quantity.setText("300")  # not the same order again (the duplicate guard)
        ticket.place(Side.BUY)
        await until(lambda: len(blotter_rows(window, "working")) == 1, "trading again")
        await until(lambda: not window.status.text().startswith("KILL SWITCH"), "the status")

    run_window(loop, tmp_path, scenario, [BINANCE_WS], [BINANCE_INFO])
