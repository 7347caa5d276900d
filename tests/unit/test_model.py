from decimal import Decimal

import pytest

from terminal.core.errors import InstrumentError, InvalidTransition
from terminal.model.ids import ClientOrderIdFactory, InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.numbers import floor_to_step, plain, snap
from terminal.model.orders import Order, OrderStatus, OrderType, Side
from terminal.model.portfolio import Fill, Liquidity, Position

D = Decimal
NKN = InstrumentId("BINANCE", "NKNUSDT")


def test_instrument_id_round_trip_and_errors():
    assert InstrumentId.parse("kraken:XBT/EUR") == InstrumentId("KRAKEN", "XBT/EUR")
    assert str(InstrumentId("BINANCE", "NKNUSDT")) == "BINANCE:NKNUSDT"
    with pytest.raises(InstrumentError, match="VENUE:SYMBOL"):
        InstrumentId.parse("NKNUSDT")


def test_step_of_zero_means_no_constraint():
    # Binance MARKET_LOT_SIZE.stepSize is "0.00000000" on 1,614 symbols (CASES 9)
    step = D("0.00000000")
    assert floor_to_step(D("12.345678901"), step) == D("12.345678901")
    inst = Instrument(NKN, "NKN", "USDT", tick_size=D("0"), lot_size=step)
    assert inst.floor_qty(D("3.5")) == D("3.5")
    inst.check_qty(D("3.5"))


def test_quantities_floor_to_lot_and_prices_snap_to_tick():
    inst = Instrument(NKN, "NKN", "USDT", tick_size=D("0.00010000"), lot_size=D("0.10000000"))
    assert inst.floor_qty(D("12.39")) == D("12.3")
    assert snap(D("0.35287"), inst.tick_size) == D("0.3529")
    assert inst.price_decimals == 4 and inst.size_decimals == 1
    with pytest.raises(InstrumentError, match="not a multiple of tick"):
        inst.check_price(D("0.35287"))
    with pytest.raises(InstrumentError, match="not a multiple of lot"):
        inst.check_qty(D("1.25"))


def test_plain_never_uses_scientific_notation():
    assert plain(D("2.8E-5")) == "0.000028"
    assert plain(D("1E+3")) == "1000"
    assert plain(D("-0.00")) == "0.00"
    assert plain(D("108364.12345678")) == "108364.12345678"


def test_client_order_ids_are_unique_and_short():
    ids = ClientOrderIdFactory()
    generated = {ids.next() for _ in range(1000)}
    assert len(generated) == 1000
    assert max(len(i) for i in generated) <= 36


def _order(qty: str = "10") -> Order:
    return Order("c1", NKN, Side.BUY, OrderType.LIMIT, D(qty), price=D("0.35"))


def test_order_state_machine_fills_and_rejects_bad_transitions():
    order = _order()
    order.transition(OrderStatus.ACCEPTED, 1)
    order.apply_fill(D("4"), D("0.35"), D("0.0014"), 2)
    assert order.status is OrderStatus.PARTIALLY_FILLED and order.leaves_qty == D("6")
    order.apply_fill(D("6"), D("0.34"), D("0.00204"), 3)
    assert order.status is OrderStatus.FILLED
    # (4 * 0.35 + 6 * 0.34) / 10 = 0.344
    assert order.avg_fill_price == D("0.344") and order.fees == D("0.00344")
    with pytest.raises(InvalidTransition):
        order.transition(OrderStatus.CANCELED, 4)
    with pytest.raises(InvalidTransition):
        _order().apply_fill(D("11"), D("0.35"), D("0"), 1)


def _fill(side: Side, qty: str, price: str, fee: str = "0") -> Fill:
    return Fill("f", "c", NKN, side, D(qty), D(price), D(fee), "USDT", Liquidity.TAKER, 0)


def test_position_average_price_realised_pnl_and_flip():
    pos = Position(NKN)
    pos.apply(_fill(Side.BUY, "100", "0.30"))
    pos.apply(_fill(Side.BUY, "100", "0.40"))
    assert pos.quantity == D("200") and pos.avg_price == D("0.35")
    realized = pos.apply(_fill(Side.SELL, "50", "0.50"))
    assert realized == D("7.50")  # (0.50 - 0.35) * 50
    assert pos.unrealized_pnl(D("0.45")) == D("15.00")  # (0.45 - 0.35) * 150
    realized = pos.apply(_fill(Side.SELL, "200", "0.20"))  # closes 150, opens 50 short
    assert realized == D("-22.50")  # (0.20 - 0.35) * 150
    assert pos.quantity == D("-50") and pos.avg_price == D("0.20")
    assert pos.realized_pnl == D("-15.00")
    assert pos.unrealized_pnl(D("0.10")) == D("5.00")  # short gains when price falls
