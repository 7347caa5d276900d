"""The Binance connector end to end against the local exchange server (tests/exchange_sim),
which replays the real capture ws/cryptofeed__BINANCE.ws.1.0 and its REST snapshots."""

from __future__ import annotations

import asyncio

import pytest

from plugins.binance.config import BinanceConfig
from plugins.binance.factory import create
from plugins.replay.formats import open_recording
from terminal.core.bus import EventBus
from terminal.model.ids import InstrumentId
from terminal.model.market import BookDelta, BookSnapshot
from terminal.services.books import BookManager
from tests.data_paths import SHARED_DATA
from tests.exchange_sim.binance import BinanceVenue
from tests.exchange_sim.harness import Harness
from tests.exchange_sim.server import running

WS = SHARED_DATA / "ws"
CAPTURE = WS / "cryptofeed__BINANCE.ws.1.0"
SYMBOLS = ["NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"]
IIDS = [InstrumentId("BINANCE", s) for s in SYMBOLS]


def venue(**kwargs) -> BinanceVenue:
    return BinanceVenue(CAPTURE, WS / "cryptofeed__BINANCE.http.0.0", **kwargs)


def capture_books() -> BookManager:
    books = BookManager(EventBus())
    events, _ = open_recording(CAPTURE)
    for _ts, event in events:
        if isinstance(event, BookSnapshot):
            books.on_snapshot(event)
        elif isinstance(event, BookDelta):
            books.on_delta(event)
    return books


def settings(sim, **extra) -> dict:
    return {"symbols": SYMBOLS, "rest_url": sim.rest_url("binance"),
            "ws_url": sim.ws_url("binance"), "load_instruments": False,
            "snapshot_rate": 20, "snapshot_burst": 4, "backoff_initial_s": 0.05,
            "backoff_max_s": 0.5, **extra}


def connector(harness: Harness, sim, **extra):
    return create(harness.context, BinanceConfig.model_validate(settings(sim, **extra)))


def test_books_match_the_books_built_from_the_capture(tmp_path):
    truth = capture_books()

    async def scenario() -> None:
        harness = Harness(tmp_path)
        async with running(binance=venue()) as sim:
            conn = connector(harness, sim)
            assert conn.data is not None and conn.execution is None  # no keys: no trading
            await conn.data.connect()
            task = asyncio.ensure_future(conn.data.run())
            binance = sim.venues["binance"]
            await harness.until(lambda: binance.tape.finished.is_set())
            await harness.until(lambda: harness.market_data.events["book_delta"] >= 177
                                and all(harness.books.is_usable(i) for i in IIDS))
            for iid in IIDS:
                assert harness.books.levels(iid, 1000) == truth.levels(iid, 1000), iid
            assert harness.market_data.events["trade"] == 2
            assert harness.market_data.events["bar"] == 2
            assert harness.market_data.events["quote"] == 84
            assert not [s for s in harness.statuses if not s.usable]
            await conn.data.disconnect()
            await task
    asyncio.run(scenario())


KEY, SECRET = "test-key", "test-secret"
NKN = IIDS[0]


def test_signed_orders_verify_and_fills_reach_the_blotter_through_the_user_stream(tmp_path):
    from decimal import Decimal as D

    from terminal.app import DEFAULT_BALANCES, Engine, EngineOptions
    from terminal.model.instrument import Instrument
    from terminal.model.orders import OrderStatus, OrderType, Side
    from terminal.services.execution import OrderRequest

    async def scenario() -> None:
        # the venue's clock runs 20 s ahead: unsigned by our clock, every request would be
        # outside its 5 s recvWindow; the measured offset brings them inside
        async with running(binance=venue(clock_skew_ms=20_000)) as sim:
            binance = sim.venues["binance"]
            engine = Engine(EngineOptions(
                data_dir=tmp_path, broker="binance",
                broker_settings={**settings(sim), "api_key": KEY, "api_secret": SECRET},
                starting_balances={**DEFAULT_BALANCES, "NKN": "500"}))
            await engine.start()
            try:
                assert not engine.errors, engine.errors
                engine.instruments.add(Instrument(NKN, "NKN", "USDT", D("0.0001"), D("1"),
                                                  D("1"), D("9000000"), D("10")))
                orders = engine.orders
                assert orders is not None
                # a market buy takes the best ask of the venue book (the capture snapshot)
                buy = await orders.submit(OrderRequest(NKN, Side.BUY, OrderType.MARKET,
                                                       "100", source="test"))
                rest = await orders.submit(OrderRequest(NKN, Side.SELL, OrderType.LIMIT,
                                                        "300", "0.4000", source="test"))
                probe = Harness(tmp_path)
                await probe.until(lambda: buy.status is OrderStatus.FILLED
                                  and rest.status is OrderStatus.ACCEPTED)
                binance.fill(rest.client_order_id, "120", "0.4000")
                await probe.until(lambda: rest.status is OrderStatus.PARTIALLY_FILLED)
                await orders.cancel(rest.client_order_id)
                await probe.until(lambda: rest.status is OrderStatus.CANCELED)
                fills = list(orders.fills)
            finally:
                await engine.stop()
            assert [c.ok for c in binance.signed] == [True] * len(binance.signed)
            assert len(binance.signed) >= 3  # openOrders at reconcile, 2 orders, 1 cancel
            assert {o.client_order_id for o in binance.orders.values()} == \
                {buy.client_order_id, rest.client_order_id}
            assert buy.venue_order_id == str(binance.orders[buy.client_order_id].order_id)
            assert sum(f.quantity for f in fills if f.client_order_id == buy.client_order_id) \
                == D("100")
            maker = [f for f in fills if f.client_order_id == rest.client_order_id]
            assert [(f.quantity, f.price, f.liquidity.value) for f in maker] == \
                [(D("120"), D("0.4000"), "maker")]
            assert rest.filled_qty == D("120")
    asyncio.run(scenario())


def test_a_wrong_secret_is_refused_by_the_server(tmp_path):
    from pydantic import SecretStr

    from plugins.binance.rest import BinanceError, BinanceRest

    async def scenario() -> None:
        async with running(binance=venue()) as sim:
            rest = BinanceRest(sim.rest_url("binance"), api_key=SecretStr(KEY),
                               api_secret=SecretStr("not-the-secret"))
            try:
                await rest.sync_time()
                with pytest.raises(BinanceError) as err:
                    await rest.request("GET", "/api/v3/openOrders", signed=True)
                assert err.value.code == -1022
                assert "not-the-secret" not in str(err.value)
            finally:
                await rest.close()
            assert [c.ok for c in sim.venues["binance"].signed] == [False]
    asyncio.run(scenario())
