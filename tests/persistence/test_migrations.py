"""Opening and migrating: empty databases, repeated migrations, drift, newer schemas."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from terminal.core.errors import PersistenceError
from terminal.persistence import Database, default_url

from .factories import instrument

TABLES = {"instruments", "bars", "orders", "fills", "positions", "account_snapshots",
          "audit_log", "risk_limits", "backtests", "backtest_trades", "api_tokens",
          "webhook_endpoints", "webhook_messages", "webhook_attempts", "inbound_hooks",
          "inbound_requests", "inbound_seen", "pairing_codes", "device_events",
          "alerts", "alembic_version"}


def test_migrate_creates_every_table_on_an_empty_database(db_url: str) -> None:
    with Database.open(db_url) as db:
        assert db.revision() is None
        db.migrate()
        assert db.revision() == Database.head_revision()
    engine = create_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES
    finally:
        engine.dispose()


def test_migrating_twice_is_a_no_op(db: Database) -> None:
    db.instruments.upsert([instrument()])
    db.migrate()
    db.migrate()
    assert db.revision() == Database.head_revision()
    assert [i.id for i in db.instruments.all()] == [instrument().id]


def test_migrated_database_matches_the_models(db: Database) -> None:
    """Autogenerate's compare finds nothing: the hand-written migration is in step."""
    assert db.schema_differences() == []


def test_reopening_keeps_data(db_url: str) -> None:
    with Database.open(db_url) as db:
        db.migrate()
        db.instruments.upsert([instrument()])
    with Database.open(db_url) as db:
        db.migrate()
        assert db.instruments.get("binance:btcusdt") == instrument()


def test_a_schema_newer_than_the_code_is_refused(db_url: str) -> None:
    with Database.open(db_url) as db:
        db.migrate()
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    finally:
        engine.dispose()
    with pytest.raises(PersistenceError, match="newer version") as excinfo:
        Database.open(db_url)
    assert "9999_future" in str(excinfo.value)


def test_sqlite_file_is_created_in_wal_mode(tmp_path: Path) -> None:
    url = default_url(tmp_path / "nested" / "dir")
    with Database.open(url) as db:
        db.migrate()
        assert db.dialect == "sqlite"
    path = tmp_path / "nested" / "dir" / "terminal.db"
    assert path.is_file()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_default_url_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    url = default_url(tmp_path)
    assert url.startswith("sqlite:///")
    assert url.endswith(str(tmp_path / "terminal.db"))
    assert Database.default_url(tmp_path) == url
