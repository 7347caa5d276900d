"""Risk limits: stored per scope and subject, replaced as a whole, and the migration that adds
their table to a database made by the first schema."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from terminal.persistence import Database
from terminal.persistence.migrate import alembic_config

from .factories import T0, instrument


def test_limits_are_saved_replaced_and_removed(db: Database) -> None:
    assert db.risk_limits.all() == []
    db.risk_limits.save("account", "paper", {"max_order_qty": "500"}, T0)
    db.risk_limits.save("instrument", "BINANCE:NKNUSDT",
                        {"price_band_pct": "2.5", "spot": "false"}, T0)
    db.risk_limits.save("account", "paper", {"max_daily_loss": "250"}, T0 + 1)
    assert db.risk_limits.all() == [
        ("account", "paper", {"max_daily_loss": "250"}),
        ("instrument", "BINANCE:NKNUSDT", {"price_band_pct": "2.5", "spot": "false"})]
    db.risk_limits.save("instrument", "BINANCE:NKNUSDT", {}, T0 + 2)
    assert db.risk_limits.all() == [("account", "paper", {"max_daily_loss": "250"})]


def test_a_database_of_the_first_schema_gains_the_table_and_keeps_its_data(
        db_url: str) -> None:
    with Database.open(db_url) as db:
        engine = db._gw.engine
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0001")
        assert db.revision() == "0001"
        db.instruments.upsert([instrument()])
        db.migrate()
        assert db.revision() == Database.head_revision()
        assert db.instruments.get("binance:btcusdt") == instrument()
        db.risk_limits.save("account", "paper", {"max_order_qty": "1"}, T0)
        assert db.schema_differences() == []
    check = create_engine(db_url)
    try:
        assert "risk_limits" in inspect(check).get_table_names()
    finally:
        check.dispose()
