"""Exact decimals survive a round trip, digit for digit, as plain strings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from terminal.core.errors import PersistenceError
from terminal.model.instrument import Instrument
from terminal.model.numbers import plain
from terminal.persistence import Database

from .factories import BTC, ETH, order

VALUES = ["0.00000001", "108364.12345678", "0.10000000", "1E-8", "-0.00000100", "0",
          "123456789012345678901234567890.123456789012345678", "1E+3"]


def test_decimal_round_trip_is_exact(db: Database, db_url: str) -> None:
    for n, value in enumerate(VALUES):
        amount = Decimal(value)
        stored = order(coid=f"TT-dec-{n}")
        stored.quantity = amount
        stored.price = amount
        stored.avg_fill_price = amount
        db.orders.save(stored)
        loaded = db.orders.get(stored.client_order_id)
        assert loaded is not None
        for got in (loaded.quantity, loaded.price, loaded.avg_fill_price):
            assert got == amount
            assert plain(got) == plain(amount)  # same digits and exponent, not only equal
            if "E" not in value:
                assert plain(got) == value  # trailing zeros kept
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            stored_text = conn.execute(text("SELECT quantity FROM orders")).scalars().all()
    finally:
        engine.dispose()
    assert sorted(stored_text) == sorted(plain(Decimal(v)) for v in VALUES)
    assert not any("E" in t.upper() for t in stored_text)


def test_instrument_constraints_round_trip(db: Database) -> None:
    btc = Instrument(BTC, "BTC", "USDT", Decimal("0.01"), Decimal("0.00000001"),
                     min_qty=Decimal("0.00000001"), max_qty=Decimal("9000.00000000"),
                     min_notional=Decimal("108364.12345678"), trading=False,
                     price_precision=2, size_precision=8, info={"filters": "x"})
    eth = Instrument(ETH, "ETH", "USDT")  # zero steps: no constraint
    assert db.instruments.upsert([btc, eth]) == 2
    assert db.instruments.get(BTC) == btc
    assert db.instruments.get("BINANCE:ETHUSDT") == eth
    loaded = db.instruments.get(BTC)
    assert loaded is not None
    assert str(loaded.lot_size) == "1E-8"  # the Decimal itself is exactly what went in
    assert plain(loaded.lot_size) == "0.00000001"
    assert str(loaded.max_qty) == "9000.00000000"
    assert loaded.info == {"filters": "x"}
    assert not loaded.trading


def test_instrument_upsert_replaces_and_precision_can_change(db: Database) -> None:
    db.instruments.upsert([Instrument(BTC, "BTC", "USDT", Decimal("0.01"), Decimal("0.001"))])
    changed = Instrument(BTC, "BTC", "USDT", Decimal("0.1"), Decimal("0.0001"))
    db.instruments.upsert([changed])
    assert db.instruments.all() == [changed]
    assert db.instruments.get("BINANCE:NOPE") is None
    assert db.instruments.all(venue="binance") == [changed]
    assert db.instruments.all(venue="KRAKEN") == []


def test_duplicates_in_one_upsert_keep_the_last(db: Database) -> None:
    first = Instrument(BTC, "BTC", "USDT", Decimal("0.01"))
    last = Instrument(BTC, "BTC", "USDT", Decimal("0.02"))
    assert db.instruments.upsert([first, last]) == 1
    assert db.instruments.all() == [last]


def test_inexact_or_non_finite_numbers_are_refused(db: Database) -> None:
    for n, bad in enumerate([0.1, Decimal("NaN"), Decimal("Infinity")]):
        stored = order(coid=f"TT-bad-{n}")
        stored.price = bad  # type: ignore[assignment]
        with pytest.raises(PersistenceError):
            db.orders.save(stored)
        assert db.orders.get(stored.client_order_id) is None
