"""A crash after orders were placed: the next start restores positions, cash and working
orders from the database, reconciles them with the venue and never sends an order twice."""

import asyncio
import subprocess
import sys
import textwrap
from decimal import Decimal as D

from terminal.app import Engine, EngineOptions
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.orders import OrderStatus
from terminal.persistence.db import Database
from tests.data_paths import SHARED_DATA

CAPTURE = SHARED_DATA / "ws" / "cryptofeed__BINANCE.ws.1.0"
NKN = InstrumentId("BINANCE", "NKNUSDT")

CRASHING_RUN = textwrap.dedent("""
    import asyncio, os, sys
    from decimal import Decimal as D
    from pathlib import Path
    from terminal.app import Engine, EngineOptions
    from terminal.model.ids import InstrumentId
    from terminal.model.instrument import Instrument
    from terminal.model.orders import OrderType, Side
    from terminal.services.execution import OrderRequest

    NKN = InstrumentId("BINANCE", "NKNUSDT")

    async def main():
        engine = Engine(EngineOptions(data_dir=Path(sys.argv[1]), replay_paths=[Path(sys.argv[2])],
                                      speed="max"))
        await engine.start()
        engine.instruments.add(Instrument(NKN, "NKN", "USDT", D("0.0001"), D("1")))
        await engine.run()
        await engine.orders.submit(OrderRequest(NKN, Side.BUY, OrderType.MARKET, "100",
                                                client_order_id="buy-1"))
        await engine.orders.submit(OrderRequest(NKN, Side.SELL, OrderType.LIMIT, "50", "0.3600",
                                                client_order_id="offer-1"))
        os._exit(9)  # a crash: no stop, no flush, no goodbye

    asyncio.run(main())
""")


def test_crash_then_restart_restores_and_reconciles(tmp_path):
    crashed = subprocess.run([sys.executable, "-c", CRASHING_RUN, str(tmp_path), str(CAPTURE)],
                             capture_output=True, text=True, timeout=120)
    assert crashed.returncode == 9, crashed.stderr

    async def restart() -> Engine:
        engine = Engine(EngineOptions(data_dir=tmp_path))  # live clock, paper broker
        await engine.start()
        # the connector announces its instruments again (the crash came before the recorder
        # stored the one added by hand)
        engine.instruments.add(Instrument(NKN, "NKN", "USDT", D("0.0001"), D("1")))
        return engine

    async def scenario():
        engine = await restart()
        orders = engine.orders
        assert orders is not None
        # the buy filled before the crash: 100 @ 0.3531 (the final best ask, 152 deep)
        position = engine.portfolio.positions[NKN]
        cash = engine.portfolio.account.balances["USDT"]
        offer = orders.orders["offer-1"]
        # a retried submission with the same client order id is not sent again
        from terminal.model.orders import OrderType, Side
        from terminal.services.execution import OrderRequest

        again = await orders.submit(OrderRequest(NKN, Side.BUY, OrderType.MARKET, "100",
                                                 client_order_id="buy-1"))
        await engine.stop()
        return position, cash, offer, again, len(orders.fills)

    position, cash, offer, again, new_fills = asyncio.run(scenario())
    assert position.quantity == D("100") and position.avg_price == D("0.3531")
    # 100000 - 100 * 0.3531 - 0.03531 fee
    assert cash == D("99964.65469")
    # the paper venue lost its book of working orders in the crash: reconciled as canceled
    assert offer.status is OrderStatus.CANCELED
    assert offer.reject_reason == "not held by the venue at reconciliation"
    assert again.status is OrderStatus.FILLED and again.filled_qty == D("100")
    assert new_fills == 0

    db = Database.open(Database.default_url(tmp_path))
    try:
        assert len(db.fills.for_order("buy-1")) == 1
        assert db.orders.get("offer-1").status is OrderStatus.CANCELED
        assert any(a.action == "order.reconciled" and a.subject == "offer-1"
                   for a in db.audit.list(limit=None))
    finally:
        db.close()
