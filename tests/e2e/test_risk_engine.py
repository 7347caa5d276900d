"""Each risk rule on the real engine: SQLite in tmp_path, the paper broker, the Binance
capture replayed to its end with Binance's exchangeInfo for NKNUSDT's filters (tick 0.0001,
lot 1, min notional 10). At the end the NKNUSDT book is asks 152@0.3531 949@0.3532
2713@0.3533, bids 9602@0.3527: the mid is 0.3529. The account holds 100000 USDT, no NKN.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal as D
from pathlib import Path

import pytest

from terminal.app import Engine, EngineOptions
from terminal.core.errors import ConfigError, OrderError, RiskRejected
from terminal.model.ids import InstrumentId
from terminal.model.orders import Order, OrderStatus, OrderType, Side
from terminal.persistence.db import Database
from terminal.services.execution import OrderRequest
from tests.data_paths import SHARED_DATA

CAPTURE = SHARED_DATA / "ws" / "cryptofeed__BINANCE.ws.1.0"
INFO = SHARED_DATA / "ref" / "cryptofeed__BINANCE.0"
NKN = InstrumentId("BINANCE", "NKNUSDT")

pytestmark = pytest.mark.timeout(120)


@asynccontextmanager
async def replayed(data_dir: Path) -> AsyncIterator[Engine]:
    engine = Engine(EngineOptions(data_dir=data_dir, replay_paths=[CAPTURE], speed="max",
                                  instrument_files=[INFO]))
    await engine.start()
    try:
        await engine.run()
        yield engine
    finally:
        await engine.stop()


def run(data_dir: Path, scenario: Callable[[Engine], Awaitable[None]]) -> None:
    async def main() -> None:
        async with replayed(data_dir) as engine:
            await scenario(engine)
    asyncio.run(main())


def req(side: Side, type_: OrderType, qty: str, price: str | None = None,
        source: str = "test", reduce_only: bool = False) -> OrderRequest:
    return OrderRequest(NKN, side, type_, qty, price, source=source, reduce_only=reduce_only)


def bid(qty: str, price: str, source: str = "test") -> OrderRequest:
    return req(Side.BUY, OrderType.LIMIT, qty, price, source)


async def refused(engine: Engine, request: OrderRequest) -> RiskRejected:
    assert engine.orders is not None
    before = len(engine.orders.orders)
    with pytest.raises(RiskRejected) as info:
        await engine.orders.submit(request)
    assert len(engine.orders.orders) == before  # nothing kept, nothing sent
    return info.value


def audited(engine: Engine, action: str) -> list[dict[str, object]]:
    assert engine.db is not None
    return [a.detail | {"subject": a.subject} for a in engine.db.audit.list(limit=None)
            if a.action == action]


def test_price_band_refuses_a_limit_price_far_from_the_mid(tmp_path):
    async def scenario(engine: Engine) -> None:
        orders = engine.orders
        assert orders is not None
        exc = await refused(engine, bid("100", "0.3900"))  # 10.5% above 0.3529
        assert exc.reason == "price_band"
        assert str(exc) == ("limit price 0.39 is 10.5% above the mid 0.3529 (band 10%): "
                            "check the price")
        exc = await refused(engine, req(Side.SELL, OrderType.LIMIT, "100", "0.3100"))
        assert exc.reason == "price_band" and "12.2% below the mid" in str(exc)
        inside = await orders.submit(bid("100", "0.3200"))  # 9.3% below: passes
        assert inside.status is OrderStatus.ACCEPTED
        # a market order has no price to check; a tighter band on the instrument applies
        engine.risk.set_limits({"price_band_pct": "5"}, instrument=NKN)
        exc = await refused(engine, bid("100", "0.3300"))
        assert exc.reason == "price_band" and "(band 5%)" in str(exc)
        assert (await orders.submit(bid("100", "0.3400"))).status is OrderStatus.ACCEPTED
        reasons = [a["reason"] for a in audited(engine, "order.rejected")]
        assert reasons.count("price_band") == 3

    run(tmp_path, scenario)


def test_free_balance_refuses_what_the_account_cannot_pay_or_deliver(tmp_path):
    async def scenario(engine: Engine) -> None:
        orders = engine.orders
        assert orders is not None
        usdt = engine.portfolio.account.balances["USDT"]
        # the fat-finger market buy the paper broker used to fill into a negative balance:
        # priced at the best ask 0.3531 with the 0.1% fee
        exc = await refused(engine, req(Side.BUY, OrderType.MARKET, "1000000"))
        assert exc.reason == "insufficient_balance"
        assert str(exc) == "insufficient USDT: needs 353453.1, free 100000"
        assert engine.portfolio.account.balances["USDT"] == usdt == D("100000")
        # working buys hold back what they may spend: 200000 * 0.35 * 1.001 = 70070
        held = await orders.submit(bid("200000", "0.3500"))
        assert held.status is OrderStatus.ACCEPTED
        exc = await refused(engine, bid("100000", "0.3500"))
        assert str(exc) == ("insufficient USDT: needs 35035, free 29930 (70070 held by "
                            "working orders)")
        await orders.cancel(held.client_order_id)  # a cancel frees it again
        assert (await orders.submit(bid("100000", "0.3500"))).status is OrderStatus.ACCEPTED
        # spot: no NKN is held, so nothing can be sold
        exc = await refused(engine, req(Side.SELL, OrderType.LIMIT, "100", "0.3540"))
        assert str(exc) == "insufficient NKN: needs 100, free 0"
        await orders.submit(req(Side.BUY, OrderType.MARKET, "150"))
        assert engine.portfolio.account.balances["NKN"] == D("150")
        offer = await orders.submit(req(Side.SELL, OrderType.LIMIT, "100", "0.3540"))
        assert offer.status is OrderStatus.ACCEPTED
        exc = await refused(engine, req(Side.SELL, OrderType.MARKET, "100"))
        assert str(exc) == "insufficient NKN: needs 100, free 50 (100 held by working orders)"
        sold = await orders.submit(req(Side.SELL, OrderType.MARKET, "50"))
        assert sold.status is OrderStatus.FILLED
        assert engine.portfolio.account.balances["NKN"] == D("100")  # the offer's
        # an instrument that may be sold short (margin) is configured as not spot
        engine.risk.set_limits({"spot": False}, instrument=NKN)
        short = await orders.submit(req(Side.SELL, OrderType.LIMIT, "100", "0.3541"))
        assert short.status is OrderStatus.ACCEPTED

    run(tmp_path, scenario)


def test_reduce_only_must_reduce_the_position(tmp_path):
    async def scenario(engine: Engine) -> None:
        orders = engine.orders
        assert orders is not None
        exc = await refused(engine, req(Side.SELL, OrderType.MARKET, "100", reduce_only=True))
        assert exc.reason == "reduce_only"
        assert str(exc) == "reduce-only sell would not reduce: the position is flat (0)"
        await orders.submit(req(Side.BUY, OrderType.MARKET, "150"))
        exc = await refused(engine, req(Side.BUY, OrderType.LIMIT, "100", "0.3500",
                                        reduce_only=True))
        assert str(exc) == "reduce-only buy would not reduce: the position is long (150)"
        first = await orders.submit(req(Side.SELL, OrderType.LIMIT, "100", "0.3540",
                                        reduce_only=True))
        assert first.status is OrderStatus.ACCEPTED
        exc = await refused(engine, req(Side.SELL, OrderType.LIMIT, "100", "0.3541",
                                        reduce_only=True))
        assert str(exc) == ("reduce-only sell of 100 exceeds the position of 150 (100 already "
                            "working)")
        rest = await orders.submit(req(Side.SELL, OrderType.LIMIT, "50", "0.3541",
                                       reduce_only=True))
        assert rest.status is OrderStatus.ACCEPTED
        # a modify is checked without the order's own quantity
        with pytest.raises(RiskRejected, match="exceeds the position"):
            await orders.modify(first.client_order_id, "101", "0.3540")
        await orders.modify(first.client_order_id, "90", "0.3540")
        assert first.quantity == D("90")

    run(tmp_path, scenario)


def test_order_and_cancel_rates_are_throttled(tmp_path):
    async def scenario(engine: Engine) -> None:
        orders = engine.orders
        assert orders is not None
        engine.risk.set_limits({"max_orders_per_second": 3, "max_cancels_per_second": 2})
        placed = [await orders.submit(bid("100", p)) for p in ("0.3500", "0.3501", "0.3502")]
        exc = await refused(engine, bid("100", "0.3503"))
        assert exc.reason == "order_rate"
        assert str(exc).startswith("3 orders in the last second (limit 3/s): retry in ")
        await asyncio.sleep(1.05)  # the window slides
        placed.append(await orders.submit(bid("100", "0.3503")))
        for order in placed[:2]:
            await orders.cancel(order.client_order_id)
        with pytest.raises(RiskRejected) as info:
            await orders.cancel(placed[2].client_order_id)
        assert info.value.reason == "cancel_rate"
        assert placed[2].status is OrderStatus.ACCEPTED  # not sent
        assert audited(engine, "order.cancel_rejected")[0]["reason"] == "cancel_rate"
        # cancel-all is a safety action: never held back
        assert await orders.cancel_all() == 2
        assert all(o.status is OrderStatus.CANCELED for o in placed)

    run(tmp_path, scenario)


def test_the_same_order_twice_in_a_short_time_is_a_duplicate(tmp_path):
    async def scenario(engine: Engine) -> None:
        orders = engine.orders
        assert orders is not None
        await orders.submit(bid("100", "0.3500", source="ladder"))
        exc = await refused(engine, bid("100", "0.3500", source="ladder"))
        assert exc.reason == "duplicate_order"
        assert "the same buy limit 100 NKNUSDT @ 0.35 from ladder was sent" in str(exc)
        # another source, quantity or price is another order
        await orders.submit(bid("100", "0.3500", source="script"))
        await orders.submit(bid("101", "0.3500", source="ladder"))
        await orders.submit(bid("100", "0.3499", source="ladder"))
        engine.risk.set_limits({"duplicate_window_ms": 50})
        await asyncio.sleep(0.06)
        again = await orders.submit(bid("100", "0.3500", source="ladder"))
        assert again.status is OrderStatus.ACCEPTED

    run(tmp_path, scenario)


def test_position_and_gross_exposure_limits_per_instrument_and_account(tmp_path):
    async def scenario(engine: Engine) -> None:
        orders = engine.orders
        assert orders is not None
        risk = engine.risk
        risk.set_limits({"max_position_qty": 1000}, instrument=NKN)
        await orders.submit(bid("600", "0.3500"))
        exc = await refused(engine, bid("500", "0.3490"))  # 600 working + 500
        assert exc.reason == "max_position"
        assert str(exc) == "the NKNUSDT position could reach 1,100 NKN, above the limit 1000 NKN"
        await orders.submit(bid("400", "0.3490"))
        # in USDT, at the mid 0.3529: 1000 + 200 = 1200 NKN is 423.48 USDT
        risk.set_limits({"max_position_qty": None, "max_position_notional": "400"},
                        instrument=NKN)
        exc = await refused(engine, req(Side.BUY, OrderType.MARKET, "200"))
        assert str(exc) == ("the NKNUSDT position could reach 423.48 USDT, above the limit "
                            "400 USDT")
        # gross counts both sides: 1000 working bids + a 100 offer + 100 more
        risk.set_limits({"max_position_notional": None, "spot": False,
                         "max_gross_exposure": "400"}, instrument=NKN)
        await orders.submit(req(Side.SELL, OrderType.LIMIT, "100", "0.3540"))
        exc = await refused(engine, req(Side.SELL, OrderType.LIMIT, "100", "0.3541"))
        assert exc.reason == "max_gross_exposure"
        assert "gross exposure in NKNUSDT would be 423.48 USDT" in str(exc)
        # account-wide limits sum every instrument quoted in USDT
        risk.set_limits({"max_gross_exposure": None}, instrument=NKN)
        risk.set_limits({"max_account_gross_exposure": "420"})
        exc = await refused(engine, req(Side.SELL, OrderType.LIMIT, "100", "0.3541"))
        assert exc.reason == "max_account_gross_exposure"
        assert "across the account, above the limit 420 USDT" in str(exc)
        risk.set_limits({"max_account_gross_exposure": None,
                         "max_account_position_notional": "350"})
        exc = await refused(engine, bid("30", "0.3500"))
        assert exc.reason == "max_account_position"
        assert str(exc) == ("positions quoted in USDT could reach 363.49 USDT across the "
                            "account, above the limit 350 USDT")
        # an order that makes the counted position smaller is never refused
        await orders.submit(req(Side.SELL, OrderType.LIMIT, "50", "0.3542"))

    run(tmp_path, scenario)


def test_daily_loss_trips_the_kill_switch_and_cancels_working_orders(tmp_path):
    async def scenario(engine: Engine) -> None:
        orders = engine.orders
        assert orders is not None
        engine.risk.set_limits({"max_daily_loss": "0.9"})
        resting = await orders.submit(bid("100", "0.3500"))
        # 1500 bought at 0.3531654.. average (walking the asks) with 0.53 of fees, marked at
        # the mid 0.3529: -0.47 unrealised - 0.53 fees = -1.00 USDT today
        await orders.submit(req(Side.BUY, OrderType.MARKET, "1500"))
        pnl = engine.risk.evaluate_daily_loss()
        assert pnl["USDT"] == pytest.approx(-1.00456, abs=1e-4)
        assert engine.risk.kill_switch
        assert engine.risk.kill_reason == "daily loss 1.00 USDT is beyond the limit 0.9 USDT"
        for _ in range(20):
            if resting.status is OrderStatus.CANCELED:
                break
            await asyncio.sleep(0.01)
        assert resting.status is OrderStatus.CANCELED  # cancelled at the broker
        exc = await refused(engine, bid("100", "0.3500"))
        assert exc.reason == "kill_switch"
        assert str(exc) == ("kill switch engaged: daily loss 1.00 USDT is beyond the limit "
                            "0.9 USDT")
        (on,) = audited(engine, "risk.kill_switch.on")
        assert on["actor"] == "risk"

    run(tmp_path, scenario)


def test_kill_switch_blocks_submit_and_modify_and_cancels_working_orders(tmp_path):
    async def scenario(engine: Engine) -> None:
        orders = engine.orders
        assert orders is not None
        working: list[Order] = [await orders.submit(bid("100", p))
                                for p in ("0.3500", "0.3501")]
        # the risk engine's switch alone: nothing new passes, a modify neither
        engine.risk.engage_kill_switch("desk stop", actor="trader")
        exc = await refused(engine, req(Side.BUY, OrderType.MARKET, "100"))
        assert (exc.reason, str(exc)) == ("kill_switch", "kill switch engaged: desk stop")
        with pytest.raises(RiskRejected) as info:
            await orders.modify(working[0].client_order_id, "200", "0.3500")
        assert info.value.reason == "kill_switch"
        assert working[0].quantity == D("100")
        rejected = audited(engine, "order.rejected")
        assert [r["reason"] for r in rejected] == ["kill_switch", "kill_switch"]
        assert rejected[0]["subject"] == working[0].client_order_id  # the modify's
        engine.risk.release_kill_switch(actor="trader")
        await orders.modify(working[0].client_order_id, "200", "0.3500")
        assert working[0].quantity == D("200")
        # through the order manager: engaged, then every working order cancelled
        assert await orders.engage_kill_switch("stop all", actor="trader") == 2
        assert all(o.status is OrderStatus.CANCELED for o in working)
        assert (await refused(engine, bid("100", "0.3490"))).reason == "kill_switch"
        with pytest.raises(OrderError):  # nothing is working any more
            await orders.modify(working[1].client_order_id, "200", "0.3500")
        assert [a["reason"] for a in audited(engine, "risk.kill_switch.on")] == \
            ["stop all", "desk stop"]
        assert len(audited(engine, "risk.kill_switch.off")) == 1

    run(tmp_path, scenario)


def test_limits_are_validated_audited_and_survive_a_restart(tmp_path):
    async def first(engine: Engine) -> None:
        risk = engine.risk
        limits = risk.set_limits({"max_order_qty": "500", "max_daily_loss": 250},
                                 actor="trader")
        assert limits.max_order_qty == D("500") and limits.max_daily_loss == D("250")
        risk.set_limits({"max_order_qty": "1000", "price_band_pct": "2.5"}, instrument=NKN)
        with pytest.raises(ConfigError, match="unknown risk limit 'max_qty'"):
            risk.set_limits({"max_qty": 1})
        with pytest.raises(ConfigError, match=r"must be 0 \(off\) or positive"):
            risk.set_limits({"max_order_qty": "-1"})
        with pytest.raises(ConfigError, match="whole number"):
            risk.set_limits({"max_orders_per_second": "2.5"})
        with pytest.raises(ConfigError, match="a limit of the whole account"):
            risk.set_limits({"max_daily_loss": 1}, instrument=NKN)
        (change,) = [a for a in audited(engine, "risk.limits")
                     if a["subject"] == "instrument:BINANCE:NKNUSDT"]
        assert change["changes"] == {"max_order_qty": {"from": "500", "to": "1000"},
                                     "price_band_pct": {"from": "10", "to": "2.5"}}

    run(tmp_path, first)

    async def second(engine: Engine) -> None:
        risk = engine.risk
        assert risk.limits_for().max_order_qty == D("500")
        assert risk.limits_for().max_daily_loss == D("250")
        nkn = risk.limits_for(NKN)
        assert (nkn.max_order_qty, nkn.price_band_pct, nkn.max_daily_loss) == (
            D("1000"), D("2.5"), D("250"))
        exc = await refused(engine, bid("1001", "0.3500"))
        assert (exc.reason, str(exc)) == ("max_order_qty",
                                          "quantity 1001.00000000 is above the limit 1000")
        assert (await refused(engine, bid("100", "0.3430"))).reason == "price_band"
        # removing the instrument's value brings the account's back
        assert risk.set_limits({"max_order_qty": None}, instrument=NKN).max_order_qty == D("500")

    run(tmp_path, second)
    with Database.open(Database.default_url(tmp_path)) as db:
        db.migrate()
        stored = {(scope, subject): values for scope, subject, values in db.risk_limits.all()}
    assert stored == {("account", "paper"): {"max_order_qty": "500", "max_daily_loss": "250"},
                      ("instrument", "BINANCE:NKNUSDT"): {"price_band_pct": "2.5"}}
