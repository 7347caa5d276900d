"""Orders, fills, positions, account snapshots and the audit log."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from terminal.core.errors import PersistenceError
from terminal.model.orders import OrderStatus
from terminal.model.portfolio import Account, Position
from terminal.persistence import Database

from .factories import BTC, ETH, T0, fill, order


def test_order_save_get_and_update(db: Database) -> None:
    intent = order("TT-1")
    db.orders.save(intent)
    assert db.orders.get("TT-1") == intent
    assert db.orders.get("TT-nope") is None

    intent.transition(OrderStatus.ACCEPTED, T0 + 5)
    intent.venue_order_id = "987654321"
    db.orders.save(intent)
    loaded = db.orders.get("TT-1")
    assert loaded == intent
    assert loaded is not None and loaded.status is OrderStatus.ACCEPTED
    assert db.orders.by_venue_id("987654321") == intent
    assert db.orders.by_venue_id("0") is None


def test_open_orders_are_the_non_terminal_ones(db: Database) -> None:
    statuses = list(OrderStatus)
    for n, status in enumerate(statuses):
        db.orders.save(order(f"TT-{n}", status=status, ts=T0 + n))
    open_ids = [o.client_order_id for o in db.orders.open()]
    assert open_ids == [f"TT-{n}" for n, s in enumerate(statuses) if not s.is_terminal]


def test_list_filters_newest_first(db: Database) -> None:
    db.orders.save(order("TT-a", ts=T0))
    db.orders.save(order("TT-b", ts=T0 + 1, status=OrderStatus.FILLED))
    db.orders.save(order("TT-c", ts=T0 + 2, iid=ETH))
    assert [o.client_order_id for o in db.orders.list()] == ["TT-c", "TT-b", "TT-a"]
    assert [o.client_order_id for o in db.orders.list(limit=1)] == ["TT-c"]
    assert [o.client_order_id for o in db.orders.list(status=OrderStatus.FILLED)] == ["TT-b"]
    assert [o.client_order_id for o in db.orders.list(instrument_id=BTC)] == ["TT-b", "TT-a"]
    assert [o.client_order_id
            for o in db.orders.list(status=OrderStatus.PENDING_NEW, instrument_id="BINANCE:ETHUSDT")
            ] == ["TT-c"]


def test_fills_are_idempotent_on_fill_id(db: Database) -> None:
    db.orders.save(order("TT-1"))
    first = fill("F-1", ts=T0 + 2)
    assert db.fills.insert(first) is True
    assert db.fills.insert(first) is False
    assert db.fills.insert(replace(first, quantity=Decimal("9"))) is False  # first one kept
    second = fill("F-2", ts=T0 + 1)
    assert db.fills.insert(second) is True
    assert db.fills.for_order("TT-1") == [second, first]
    assert db.fills.list() == [second, first]
    assert db.fills.list(instrument_id=ETH) == []
    assert db.fills.list(start_ns=T0 + 2) == [first]
    assert db.fills.list(end_ns=T0 + 2, limit=10) == [second]


def test_a_fill_without_its_order_is_refused(db: Database) -> None:
    with pytest.raises(PersistenceError):
        db.fills.insert(fill("F-1", coid="TT-missing"))
    assert db.fills.list() == []


def test_record_fill_writes_order_fill_position_and_account_together(db: Database) -> None:
    working = order("TT-1", status=OrderStatus.ACCEPTED)
    db.orders.save(working)
    f = fill("F-1")
    working.apply_fill(f.quantity, f.price, f.fee, f.ts_event)
    position = Position(BTC)
    position.apply(f)
    account = Account("paper", "USDT", {"USDT": Decimal("1000.5"), "BTC": Decimal("0.2")}, T0 + 1)

    assert db.record_fill(working, f, position, "paper", account) is True
    assert db.orders.get("TT-1") == working
    assert db.fills.for_order("TT-1") == [f]
    assert db.positions.all("paper") == [position]
    assert db.accounts.latest("paper") == account
    assert db.record_fill(working, f, position, "paper") is False  # replayed fill
    assert db.fills.for_order("TT-1") == [f]


def test_record_fill_is_all_or_nothing(db: Database) -> None:
    """The position write fails after the order and fill were written: none of it stays."""
    working = order("TT-1", status=OrderStatus.ACCEPTED)
    db.orders.save(working)
    before = db.orders.get("TT-1")
    f = fill("F-1")
    working.apply_fill(f.quantity, f.price, f.fee, f.ts_event)
    broken = Position(BTC, quantity=Decimal("NaN"))
    with pytest.raises(PersistenceError):
        db.record_fill(working, f, broken, "paper")
    assert db.orders.get("TT-1") == before
    assert db.fills.list() == []
    assert db.positions.all("paper") == []


def test_record_fill_for_a_new_order_rolls_back_the_order_too(db: Database) -> None:
    fresh = order("TT-new", status=OrderStatus.FILLED)
    broken = Account("paper", "USDT", {"USDT": Decimal("Infinity")}, T0)
    with pytest.raises(PersistenceError):
        db.record_fill(fresh, fill("F-9", coid="TT-new"), Position(BTC), "paper", broken)
    assert db.orders.get("TT-new") is None
    assert db.fills.list() == []
    assert db.positions.all("paper") == []
    assert db.accounts.latest("paper") is None


def test_record_fill_refuses_a_fill_of_another_order(db: Database) -> None:
    with pytest.raises(PersistenceError, match="belongs to order"):
        db.record_fill(order("TT-1"), fill("F-1", coid="TT-2"), Position(BTC), "paper")
    assert db.orders.get("TT-1") is None


def test_positions_per_account(db: Database) -> None:
    long = Position(BTC, Decimal("0.25"), Decimal("42000.5"), Decimal("-1.25"),
                    Decimal("0.001"), T0)
    short = Position(ETH, Decimal("-3"), Decimal("2500"), ts_updated=T0)
    db.positions.save("paper", long)
    db.positions.save("paper", short)
    db.positions.save("live", Position(BTC))
    assert db.positions.all("paper") == [long, short]
    long.quantity = Decimal("0")
    db.positions.save("paper", long)
    assert db.positions.get("paper", BTC) == long
    assert db.positions.get("paper", "BINANCE:SOLUSDT") is None
    assert db.positions.all("live") == [Position(BTC)]


def test_account_snapshots_latest(db: Database) -> None:
    assert db.accounts.latest("paper") is None
    db.accounts.snapshot(Account("paper", "USDT", {"USDT": Decimal("100")}, T0))
    newer = Account("paper", "USDT", {"USDT": Decimal("99.99000000"), "BTC": Decimal("1E-8")},
                    T0 + 10)
    db.accounts.snapshot(newer)
    db.accounts.snapshot(Account("other", "EUR", {}, T0 + 20))
    latest = db.accounts.latest("paper")
    assert latest == newer
    assert latest is not None and str(latest.balances["USDT"]) == "99.99000000"


def test_audit_log(db: Database) -> None:
    first = db.audit.record(T0, "api:token-1", "order.submit", "TT-1",
                            {"qty": Decimal("0.50"), "price": "42000.1", "n": 3})
    second = db.audit.record(T0 + 1, "ui", "killswitch.on", "all", {})
    third = db.audit.record(T0 + 2, "api:token-1", "order.submit", "TT-2", {"nested": {"a": [1]}})
    assert first < second < third
    entries = db.audit.list()
    assert [e.id for e in entries] == [third, second, first]
    assert entries[2].detail == {"qty": "0.50", "price": "42000.1", "n": 3}
    assert entries[0].detail == {"nested": {"a": [1]}}
    assert [e.subject for e in db.audit.list(action="order.submit")] == ["TT-2", "TT-1"]
    assert [e.action for e in db.audit.list(limit=1)] == ["order.submit"]
    assert (entries[1].ts, entries[1].actor, entries[1].subject) == (T0 + 1, "ui", "all")
