"""A database written by the first released schema (revision 0001) is migrated to the newest
one by this build with every order and fill intact.

The rows are written with raw SQL in the 0001 column layout, as the first release stored
them, not through today's repositories; they are then read back through the repositories.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from terminal.model.ids import InstrumentId
from terminal.model.numbers import plain
from terminal.model.orders import Order, OrderStatus, OrderType, Side, TimeInForce
from terminal.model.portfolio import Fill, Liquidity
from terminal.persistence import Database

T0 = 1_633_998_515_064_550_900
NKN = "BINANCE:NKNUSDT"
BTC = "COINBASE:BTC-USD"

# (client_order_id, venue_order_id, instrument, side, type, tif, qty, price, stop, status,
#  filled, avg price, fees, reduce_only, source, reject reason, created, updated, tags)
ORDERS: list[tuple[Any, ...]] = [
    ("TT-0001", "V-1", NKN, "buy", "market", "ioc", "1500", None, None, "filled", "1500",
     "0.35321646666666666666666667", "0.5298247", False, "ui", None, T0, T0 + 5, {}),
    ("TT-0002", "V-2", NKN, "buy", "limit", "gtc", "100", "0.3524", None, "filled", "100",
     "0.3524", "0.035240", False, "api", None, T0 + 1, T0 + 9, {"strategy": "ma-cross"}),
    ("TT-0003", "V-3", NKN, "sell", "limit", "gtc", "200", "0.3540", None, "partially_filled",
     "75", "0.3540", "0.02655", True, "webhook", None, T0 + 2, T0 + 10,
     {"alert": "tv-42", "note": "über → ✓"}),
    ("TT-0004", None, BTC, "buy", "stop_limit", "gtc", "0.00012345", "42000.10", "41999.99",
     "accepted", "0", "0", "0", False, "strategy", None, T0 + 3, T0 + 3, {}),
    ("TT-0005", None, BTC, "sell", "limit", "gtc", "123456789.123456789", "0.00000001", None,
     "rejected", "0", "0", "0", False, "api", "risk: max notional 1000000 exceeded",
     T0 + 4, T0 + 4, {}),
    ("TT-0006", "V-6", BTC, "buy", "limit", "gtc", "0.5", "42000.10", None, "canceled", "0.2",
     "42000.10", "0.0000002", False, "ui", None, T0 + 5, T0 + 20, {"k": "v"}),
    ("TT-0007", None, NKN, "buy", "market", "ioc", "10", None, None, "pending_new", "0", "0",
     "0", False, "api", None, T0 + 6, T0 + 6, {}),
]
ORDER_COLUMNS = ("client_order_id", "venue_order_id", "instrument_id", "side", "type",
                 "time_in_force", "quantity", "price", "stop_price", "status", "filled_qty",
                 "avg_fill_price", "fees", "reduce_only", "source", "reject_reason",
                 "ts_created", "ts_updated", "tags")

# (fill_id, client_order_id, instrument, side, qty, price, fee, fee currency, liquidity, ts)
FILLS: list[tuple[Any, ...]] = [
    ("F-1", "TT-0001", NKN, "buy", "152", "0.3531", "0.0536712", "USDT", "taker", T0 + 5),
    ("F-2", "TT-0001", NKN, "buy", "949", "0.3532", "0.3351868", "USDT", "taker", T0 + 5),
    ("F-3", "TT-0001", NKN, "buy", "399", "0.3533", "0.1409667", "USDT", "taker", T0 + 5),
    ("F-4", "TT-0002", NKN, "buy", "100", "0.3524", "0.035240", "USDT", "maker", T0 + 9),
    ("F-5", "TT-0003", NKN, "sell", "75", "0.3540", "0.02655", "USDT", "maker", T0 + 10),
    ("F-6", "TT-0006", BTC, "buy", "0.2", "42000.10", "0.0000002", "BTC", "maker", T0 + 11),
]
FILL_COLUMNS = ("fill_id", "client_order_id", "instrument_id", "side", "quantity", "price",
                "fee", "fee_currency", "liquidity", "ts_event")


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def expected_order(row: tuple[Any, ...]) -> Order:
    v = dict(zip(ORDER_COLUMNS, row, strict=True))
    return Order(v["client_order_id"], InstrumentId.parse(v["instrument_id"]), Side(v["side"]),
                 OrderType(v["type"]), Decimal(v["quantity"]), price=_dec(v["price"]),
                 stop_price=_dec(v["stop_price"]), time_in_force=TimeInForce(v["time_in_force"]),
                 status=OrderStatus(v["status"]), filled_qty=Decimal(v["filled_qty"]),
                 avg_fill_price=Decimal(v["avg_fill_price"]), fees=Decimal(v["fees"]),
                 venue_order_id=v["venue_order_id"], reduce_only=v["reduce_only"],
                 source=v["source"], reject_reason=v["reject_reason"],
                 ts_created=v["ts_created"], ts_updated=v["ts_updated"], tags=v["tags"])


def expected_fill(row: tuple[Any, ...]) -> Fill:
    v = dict(zip(FILL_COLUMNS, row, strict=True))
    return Fill(v["fill_id"], v["client_order_id"], InstrumentId.parse(v["instrument_id"]),
                Side(v["side"]), Decimal(v["quantity"]), Decimal(v["price"]), Decimal(v["fee"]),
                v["fee_currency"], Liquidity(v["liquidity"]), v["ts_event"])


def write_first_release_database(db: Database) -> None:
    """Schema 0001 and its rows, as the first release's code left them."""
    from alembic import command

    from terminal.persistence.migrate import alembic_config

    with db._gw.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
    insert_order = sa.text(
        f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}) "
        f"VALUES ({', '.join(':' + c for c in ORDER_COLUMNS)})"
    ).bindparams(sa.bindparam("tags", type_=sa.JSON()))
    insert_fill = sa.text(
        f"INSERT INTO fills ({', '.join(FILL_COLUMNS)}) "
        f"VALUES ({', '.join(':' + c for c in FILL_COLUMNS)})")
    with db._gw.engine.begin() as conn:
        conn.execute(insert_order, [dict(zip(ORDER_COLUMNS, r, strict=True)) for r in ORDERS])
        conn.execute(insert_fill, [dict(zip(FILL_COLUMNS, r, strict=True)) for r in FILLS])


def test_orders_and_fills_of_the_first_schema_survive_the_upgrade(db_url: str) -> None:
    with Database.open(db_url) as db:
        write_first_release_database(db)
        assert db.revision() == "0001"
        db.migrate()
        assert db.revision() == Database.head_revision() != "0001"
        assert db.schema_differences() == []

    with Database.open(db_url) as db:  # what a later start of the new build reads
        db.migrate()  # a no-op now
        stored = db.orders.list(limit=None)
        assert len(stored) == len(ORDERS)
        for row in ORDERS:
            order = db.orders.get(row[0])
            assert order == expected_order(row)
            # the exact decimal text, not only an equal value (0.50 == 0.5)
            assert order is not None
            for name in ("quantity", "price", "stop_price", "filled_qty", "avg_fill_price",
                         "fees"):
                value = getattr(order, name)
                text = row[ORDER_COLUMNS.index(name)]
                assert (None if value is None else plain(value)) == text, (row[0], name)
        assert [o.client_order_id for o in db.orders.open()] == ["TT-0003", "TT-0004",
                                                                 "TT-0007"]
        assert db.fills.list() == [expected_fill(r) for r in sorted(
            FILLS, key=lambda r: (r[9], r[0]))]
        for fill in db.fills.list():
            row = next(r for r in FILLS if r[0] == fill.fill_id)
            assert (plain(fill.quantity), plain(fill.price), plain(fill.fee)) == row[4:7]
        for row in ORDERS:
            mine = [expected_fill(f) for f in FILLS if f[1] == row[0]]
            assert db.fills.for_order(row[0]) == sorted(mine, key=lambda f: (f.ts_event,
                                                                             f.fill_id))


def test_the_upgraded_database_takes_new_orders_and_fills(db_url: str) -> None:
    """The migrated tables are the new build's tables: a new fill and a replayed old fill."""
    with Database.open(db_url) as db:
        write_first_release_database(db)
        db.migrate()
        order = expected_order(ORDERS[2])
        order.apply_fill(Decimal("125"), Decimal("0.3541"), Decimal("0.04426250"), T0 + 30)
        db.orders.save(order)
        assert db.fills.insert(Fill("F-7", "TT-0003", InstrumentId.parse(NKN), Side.SELL,
                                    Decimal("125"), Decimal("0.3541"), Decimal("0.04426250"),
                                    "USDT", Liquidity.MAKER, T0 + 30))
        assert not db.fills.insert(expected_fill(FILLS[4]))  # stored by the old release
        assert db.orders.get("TT-0003") == order
        assert order.status is OrderStatus.FILLED
        assert len(db.fills.for_order("TT-0003")) == 2
        assert len(db.fills.list()) == len(FILLS) + 1
