"""Stored backtest results read back equal; listing and deleting."""

from __future__ import annotations

import math

import numpy as np

from terminal.model.backtest import BacktestResult, BacktestTrade
from terminal.persistence import Database


def result(trades: int = 3, bars: int = 50) -> BacktestResult:
    rng = np.random.default_rng(7)
    ts = np.arange(bars, dtype=np.int64) * 60_000_000_000 + 1_700_000_000_000_000_000
    equity = 10_000 + rng.normal(0, 5, bars).cumsum()
    rows = tuple(BacktestTrade(k, k + 1 if k < trades - 1 else -1, int(ts[k]),
                               int(ts[k + 1]) if k < trades - 1 else None, 1.0 - 2 * (k % 2),
                               100.0 + k, 101.5 + k if k < trades - 1 else math.nan,
                               rng.normal(), 0.1) for k in range(trades))
    return BacktestResult("ma-cross", "ma_cross", "BINANCE:BTCUSDT", "1m",
                          {"fast": 10, "slow": 30, "average": "sma"}, 10.0, 5.0, 1.0, False,
                          10_000.0, ts, equity, np.where(np.arange(bars) % 3, 1.0, 0.0),
                          equity / np.maximum.accumulate(equity) - 1, rows,
                          {"sharpe": 1.25, "profit_factor": math.inf, "calmar": math.nan,
                           "trades": 2}, 7, created_ns=123)


def test_a_stored_result_reloads_equal(db: Database) -> None:
    original = result()
    stored = db.backtests.save(original)
    loaded = db.backtests.get(stored)
    assert loaded is not None and loaded.id == stored and loaded.created_ns == 123
    assert loaded.same_as(original)
    assert math.isnan(loaded.trades[-1].exit_price) and loaded.trades[-1].exit_ts is None
    assert db.backtests.get(stored + 1) is None


def test_listing_is_newest_first_without_curves_and_delete_removes(db: Database) -> None:
    first = db.backtests.save(result(trades=0))
    second = db.backtests.save(result(bars=0, trades=0))
    assert db.backtests.get(second) is not None
    listed = db.backtests.list()
    assert [r["id"] for r in listed] == [second, first]
    assert "curves" not in listed[0] and listed[0]["stats"]["profit_factor"] == math.inf
    assert listed[0]["start_ns"] is None and listed[1]["bars"] == 50
    assert db.backtests.delete(first) and not db.backtests.delete(first)
    assert [r["id"] for r in db.backtests.list("BINANCE:BTCUSDT")] == [second]


def test_a_database_of_the_previous_schema_gains_the_tables(db_url: str) -> None:
    from alembic import command

    from terminal.persistence.migrate import alembic_config

    with Database.open(db_url) as db:
        with db._gw.engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0002")
        assert db.revision() == "0002"
        db.migrate()
        assert db.revision() == Database.head_revision()
        assert db.backtests.get(db.backtests.save(result())) is not None
        assert db.schema_differences() == []
