"""Strategies on the real engine: SQLite in tmp_path, the paper broker, real files replayed
at full speed. The signals published on the bus must equal the same strategy run over the
file's bars as arrays; in auto-trade mode each signal becomes an order from
"strategy:<id>" on the one order path.

The OHLCV file has bars only: the paper broker has no quote or book to fill a market order
against and rejects it ("no market data"). Fills are shown on a trades file, whose bars the
engine builds from the trades and against whose later trades a resting limit order fills.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from plugins.replay.formats import open_recording
from terminal.app import DEFAULT_BALANCES, Engine, EngineOptions
from terminal.core.topics import Kind
from terminal.model.ids import InstrumentId
from terminal.model.market import Bar
from terminal.model.orders import OrderStatus
from terminal.model.signals import Signal
from terminal.services.bar_resample import BarArrays
from terminal.services.signals import MaCrossParams, MovingAverageCross, run_on_bars
from tests.data_paths import SHARED_DATA

BTC_1M = SHARED_DATA / "ohlcv" / "freqtrade__UNITTEST_BTC-1m.json"
BTC = InstrumentId("REPLAY", "UNITTEST_BTC-1M")
XRP_TRADES = SHARED_DATA / "ticks" / "freqtrade__XRP_ETH-trades.json.gz"
XRP = InstrumentId("REPLAY", "XRP_ETH")

pytestmark = pytest.mark.timeout(180)


def arrays(bars: list[Bar]) -> BarArrays:
    return BarArrays(np.array([b.ts for b in bars], dtype=np.int64),
                     *(np.array([getattr(b, f) for b in bars], dtype=np.float64)
                       for f in ("open", "high", "low", "close", "volume")))


def file_bars(path: Path) -> BarArrays:
    events, _ = open_recording(path)
    return arrays([e for _, e in events if isinstance(e, Bar)])


async def replay(options: EngineOptions, setup: Any) -> dict[str, Any]:
    engine = Engine(options)
    out: dict[str, Any] = {"signals": [], "bars": []}
    engine.bus.subscribe_kind(Kind.SIGNAL, lambda _t, s: out["signals"].append(s))
    engine.bus.subscribe_kind(Kind.BAR, lambda _t, b: out["bars"].append(b))
    await engine.start()
    try:
        setup(engine)
        await engine.run()
        await engine.signals.drain()
        assert engine.orders is not None
        out["orders"] = list(engine.orders.orders.values())
        out["fills"] = list(engine.orders.fills)
        out["stats"] = engine.signals.stats
        out["recent"] = list(engine.signals.recent)
        out["handler_errors"] = engine.bus.handler_errors
        out["registration"] = {s.strategy_id: engine.signals.registration(s.strategy_id)
                               for s in engine.signals.strategies()}
    finally:
        await engine.stop()
    return out


@pytest.fixture(scope="module")
def ohlcv_session(tmp_path_factory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("signals")

    def setup(engine: Engine) -> None:
        engine.signals.add(MovingAverageCross(BTC, "1m", MaCrossParams(10, 30), "cross"),
                           auto_trade=True, quantity="0.5")
        engine.signals.add(MovingAverageCross(BTC, "5m", MaCrossParams(10, 30), "cross5m"))
        engine.signals.add(MovingAverageCross(BTC, "1m", MaCrossParams(5, 20, "ema"), "ema"))

    return asyncio.run(replay(EngineOptions(data_dir=data_dir, replay_paths=[BTC_1M],
                                            speed="max"), setup))


def test_bus_signals_equal_the_array_run(ohlcv_session):
    bars = file_bars(BTC_1M)
    published: list[Signal] = ohlcv_session["signals"]
    for sid, strategy in [("cross", MovingAverageCross(BTC, "1m", MaCrossParams(10, 30),
                                                       "cross")),
                          ("ema", MovingAverageCross(BTC, "1m", MaCrossParams(5, 20, "ema"),
                                                     "ema"))]:
        expected = run_on_bars(strategy, bars)
        assert len(expected) > 100
        assert [s for s in published if s.strategy_id == sid] == expected
    assert ohlcv_session["handler_errors"] == 0


def test_bars_of_another_timeframe_are_ignored(ohlcv_session):
    assert {s.strategy_id for s in ohlcv_session["signals"]} == {"cross", "ema"}
    assert ohlcv_session["registration"]["cross5m"].signals == 0


def test_recent_signals_are_kept(ohlcv_session):
    assert ohlcv_session["recent"] == ohlcv_session["signals"][-len(ohlcv_session["recent"]):]
    assert ohlcv_session["stats"].signals == len(ohlcv_session["signals"])


def test_auto_trade_orders_reach_the_broker(ohlcv_session):
    orders = ohlcv_session["orders"]
    crosses = [s for s in ohlcv_session["signals"] if s.strategy_id == "cross"]
    stats = ohlcv_session["stats"]
    # every signal of the auto-trading registration (only) became a request: the first
    # buy reached the broker; later ones hit the risk engine's duplicate guard, and the
    # sells its free-balance check (nothing held), each logged and counted
    assert stats.orders_submitted + stats.orders_refused == len(crosses)
    assert orders and stats.orders_submitted == len(orders)
    assert {o.source for o in orders} == {"strategy:cross"}
    assert all(o.quantity == D("0.5") for o in orders)
    # bars only: nothing to fill a market order against
    assert all(o.status is OrderStatus.REJECTED and "no market data" in (o.reject_reason or "")
               for o in orders)
    assert stats.orders_rejected == len(orders)
    assert ohlcv_session["handler_errors"] == 0


@pytest.fixture(scope="module")
def trades_session(tmp_path_factory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("signals-trades")

    def setup(engine: Engine) -> None:
        engine.signals.add(MovingAverageCross(XRP, "5m", MaCrossParams(5, 15), "xrp"),
                           auto_trade=True, quantity="10", order_type="limit")

    # no XRP held at the start: a sell before enough buys have filled is refused by the
    # risk engine (no negative spot holdings)
    options = EngineOptions(data_dir=data_dir, replay_paths=[XRP_TRADES], speed="max",
                            replay_instrument=str(XRP), bar_timeframes=["5m"],
                            starting_balances=dict(DEFAULT_BALANCES))
    return asyncio.run(replay(options, setup))


def test_signals_on_bars_built_from_trades(trades_session):
    bars = [b for b in trades_session["bars"] if b.instrument_id == XRP]
    assert len(bars) > 500
    expected = run_on_bars(MovingAverageCross(XRP, "5m", MaCrossParams(5, 15), "xrp"),
                           arrays(bars))
    assert len(expected) > 20
    assert trades_session["signals"] == expected


def test_auto_trade_fills_on_the_paper_broker(trades_session):
    orders = trades_session["orders"]
    fills = trades_session["fills"]
    assert orders and {o.source for o in orders} == {"strategy:xrp"}
    filled = [o for o in orders if o.status is OrderStatus.FILLED]
    assert filled
    assert {f.client_order_id for f in fills} >= {o.client_order_id for o in filled}
    by_id = {o.client_order_id: o for o in orders}
    for fill in fills:
        order = by_id[fill.client_order_id]
        assert fill.side is order.side and fill.quantity <= D("10")
        assert order.price is not None
        assert fill.price <= order.price if order.side.value == "buy" else \
            fill.price >= order.price


def test_refusals_are_counted_not_raised(trades_session):
    stats = trades_session["stats"]
    assert stats.orders_refused > 0
    assert stats.orders_submitted + stats.orders_refused == len(trades_session["signals"])
    assert trades_session["handler_errors"] == 0
