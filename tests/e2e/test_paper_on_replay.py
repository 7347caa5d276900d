"""Paper orders placed through the Python API on a replay of the real Binance capture.

The expected fills, fees, positions and PnL are worked out by hand from the capture
(ws/cryptofeed__BINANCE.ws.1.0 with its REST snapshots) and written here as literals.
"""

import asyncio
from decimal import Decimal as D
from pathlib import Path

import pytest

from terminal.app import DEFAULT_BALANCES, Engine, EngineOptions
from terminal.core.errors import RiskRejected
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.orders import OrderStatus, OrderType, Side
from terminal.model.portfolio import Liquidity
from terminal.persistence.db import Database
from terminal.services.execution import OrderRequest
from tests.data_paths import SHARED_DATA

CAPTURE = SHARED_DATA / "ws" / "cryptofeed__BINANCE.ws.1.0"
NKN = InstrumentId("BINANCE", "NKNUSDT")
RUNE = InstrumentId("BINANCE", "RUNEEUR")
# NKNUSDT filters from ref/cryptofeed__BINANCE.0: tick 0.0001, lot 1, min qty 1, min notional 10
NKN_INSTRUMENT = Instrument(NKN, "NKN", "USDT", D("0.0001"), D("1"), D("1"), D("9000000"), D("10"))
TAKER = MAKER = D("0.001")
# spot: a sell needs the base currency held, so the session starts with some NKN and RUNE
BALANCES = {**DEFAULT_BALANCES, "NKN": "200", "RUNE": "1000000"}


def request(side: Side, type_: OrderType, qty: str, price: str | None = None) -> OrderRequest:
    return OrderRequest(NKN, side, type_, qty, price, source="test")


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One replay, with orders placed before it starts and after it ends."""
    data_dir = tmp_path_factory.mktemp("paper")
    out: dict[str, object] = {"data_dir": data_dir}

    async def scenario() -> None:
        engine = Engine(EngineOptions(data_dir=data_dir, replay_paths=[CAPTURE], speed="max",
                                      starting_balances=BALANCES))
        await engine.start()
        assert engine.orders is not None
        engine.instruments.add(NKN_INSTRUMENT)
        orders = engine.orders
        # before any market data: a market order has nothing to fill against
        out["early_market"] = await orders.submit(request(Side.BUY, OrderType.MARKET, "100"))
        # a resting bid below the first snapshot's best ask (0.3525)
        out["bid"] = await orders.submit(request(Side.BUY, OrderType.LIMIT, "100", "0.3524"))
        out["offer"] = await orders.submit(request(Side.SELL, OrderType.LIMIT, "200", "0.3540"))
        out["bid_status_before"] = out["bid"].status  # type: ignore[attr-defined]
        await engine.run()
        # the book at the end: asks 152@0.3531 949@0.3532 2713@0.3533, bids 9602@0.3527
        out["buy"] = await orders.submit(request(Side.BUY, OrderType.MARKET, "1500"))
        out["sell"] = await orders.submit(request(Side.SELL, OrderType.MARKET, "600"))
        out["rebuy"] = await orders.submit(request(Side.BUY, OrderType.MARKET, "200"))
        await orders.cancel(out["offer"].client_order_id)  # type: ignore[attr-defined]
        try:
            await orders.submit(request(Side.BUY, OrderType.LIMIT, "20", "0.3500"))
        except RiskRejected as exc:
            out["min_notional"] = exc
        out["position"] = engine.portfolio.positions[NKN]
        out["balances"] = dict(engine.portfolio.account.balances)
        out["unrealized"] = engine.portfolio.unrealized_pnl({NKN: 0.3529})
        out["fills"] = list(orders.fills)
        # a market sell larger than all visible RUNEEUR bids fills partially
        rune_bids, _ = engine.books.levels(RUNE, 10_000)
        out["rune_visible"] = sum((D(repr(s)) for _, s in rune_bids), D(0))
        out["rune"] = await orders.submit(OrderRequest(RUNE, Side.SELL, OrderType.MARKET,
                                                       "1000000", source="test"))
        await engine.stop()

    asyncio.run(scenario())
    return out


def test_market_order_without_market_data_is_rejected(session):
    order = session["early_market"]
    assert order.status is OrderStatus.REJECTED
    assert "no market data" in order.reject_reason


def test_resting_bid_fills_as_maker_when_the_ask_reaches_it(session):
    bid = session["bid"]
    assert session["bid_status_before"] is OrderStatus.ACCEPTED
    assert bid.status is OrderStatus.FILLED
    first = session["fills"][0]
    # the depthUpdate received at 1633998515.0645509 moves the best ask to 0.3524
    assert (first.quantity, first.price, first.liquidity) == (D("100"), D("0.3524"),
                                                               Liquidity.MAKER)
    assert first.ts_event == 1633998515064550900
    assert first.fee == D("0.035240")  # 100 * 0.3524 * 0.001


def test_market_buy_walks_the_book(session):
    buy = session["buy"]
    assert buy.status is OrderStatus.FILLED
    fills = [f for f in session["fills"] if f.client_order_id == buy.client_order_id]
    assert [(f.quantity, f.price) for f in fills] == [
        (D("152"), D("0.3531")), (D("949"), D("0.3532")), (D("399"), D("0.3533"))]
    # 152*0.3531 + 949*0.3532 + 399*0.3533 = 53.6712 + 335.1868 + 140.9667 = 529.8247
    assert sum(f.price * f.quantity for f in fills) == D("529.8247")
    assert sum(f.fee for f in fills) == D("0.5298247")
    assert all(f.liquidity is Liquidity.TAKER for f in fills)


def test_our_fills_do_not_take_the_same_liquidity_twice(session):
    rebuy = session["rebuy"]
    fills = [f for f in session["fills"] if f.client_order_id == rebuy.client_order_id]
    # 0.3531 and 0.3532 were emptied by our buy; 2713 - 399 = 2314 remain at 0.3533
    assert [(f.quantity, f.price) for f in fills] == [(D("200"), D("0.3533"))]


def test_position_pnl_and_balances(session):
    pos = session["position"]
    assert pos.quantity == D("1200")  # +100 +1500 -600 +200
    # after the buys: (35.24 + 529.8247) / 1600 = 0.3531654375
    # sell 600 @ 0.3527 realises (0.3527 - 0.3531654375) * 600 = -0.2792625
    assert pos.realized_pnl == D("-0.2792625")
    # the rebuy: (1000 * 0.3531654375 + 200 * 0.3533) / 1200
    assert pos.avg_price == (D("353.1654375") + D("70.66")) / D("1200")
    fees = D("0.03524") + D("0.5298247") + D("0.21162") + D("0.07066")
    assert pos.fees == fees
    cash = D("100000") - D("35.24") - D("529.8247") + D("211.62") - D("70.66") - fees
    assert session["balances"]["USDT"] == cash == D("99575.0479553")
    assert session["balances"]["NKN"] == D("200") + D("1200")
    # marked at the final mid 0.3529
    assert session["unrealized"] == (D("0.3529") - pos.avg_price) * D("1200")


def test_cancel_and_venue_minimum(session):
    assert session["offer"].status is OrderStatus.CANCELED
    exc = session["min_notional"]
    assert exc.reason == "min_notional" and "7.0000" in str(exc)  # 20 * 0.35 < 10


def test_market_order_larger_than_the_book_fills_partially(session):
    rune = session["rune"]
    assert rune.status is OrderStatus.CANCELED
    assert rune.filled_qty == session["rune_visible"] > 0
    assert rune.leaves_qty == D("1000000") - session["rune_visible"]


def test_orders_fills_and_positions_persist(session):
    db = Database.open(Database.default_url(Path(session["data_dir"])))
    try:
        stored = {o.client_order_id: o for o in db.orders.list(limit=None)}
        buy = stored[session["buy"].client_order_id]
        assert buy.status is OrderStatus.FILLED and buy.filled_qty == D("1500")
        assert stored[session["offer"].client_order_id].status is OrderStatus.CANCELED
        fills = db.fills.for_order(session["buy"].client_order_id)
        assert sorted(f.price for f in fills) == [D("0.3531"), D("0.3532"), D("0.3533")]
        pos = db.positions.get("paper", NKN)
        assert pos is not None and pos.quantity == D("1200")
        assert pos.realized_pnl == D("-0.2792625")
        actions = [a.action for a in db.audit.list(limit=None)]
        assert "order.submit" in actions and "order.rejected" in actions
        assert db.bars.count(NKN, 60_000_000_000) == 1
    finally:
        db.close()
