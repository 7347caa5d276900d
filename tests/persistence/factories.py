"""Model values for the persistence tests."""

from __future__ import annotations

from decimal import Decimal

from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.market import Bar
from terminal.model.orders import Order, OrderStatus, OrderType, Side
from terminal.model.portfolio import Fill, Liquidity

BTC = InstrumentId("BINANCE", "BTCUSDT")
ETH = InstrumentId("BINANCE", "ETHUSDT")
MINUTE = 60_000_000_000
T0 = 1_700_000_000_000_000_000


def instrument(iid: InstrumentId = BTC, tick: str = "0.01", lot: str = "0.00001") -> Instrument:
    return Instrument(iid, iid.symbol[:3], "USDT", Decimal(tick), Decimal(lot),
                      min_qty=Decimal("0.00001"), max_qty=Decimal("9000"),
                      min_notional=Decimal("5"), info={"status": "TRADING"})


def order(coid: str = "TT-1", status: OrderStatus = OrderStatus.PENDING_NEW,
          ts: int = T0, iid: InstrumentId = BTC) -> Order:
    return Order(coid, iid, Side.BUY, OrderType.LIMIT, Decimal("0.5"), price=Decimal("42000.10"),
                 status=status, ts_created=ts, ts_updated=ts, tags={"strategy": "test"})


def fill(fill_id: str = "F-1", coid: str = "TT-1", qty: str = "0.2",
         ts: int = T0 + 1) -> Fill:
    return Fill(fill_id, coid, BTC, Side.BUY, Decimal(qty), Decimal("42000.10"),
                Decimal("0.0000002"), "BTC", Liquidity.MAKER, ts)


def bars(count: int, iid: InstrumentId = BTC, start: int = T0, price: float = 100.0,
         interval: int = MINUTE) -> list[Bar]:
    return [Bar(iid, interval, start + i * interval, price + i, price + i + 2.5, price + i - 1.25,
                price + i + 0.5, 10.0 + i, i) for i in range(count)]
