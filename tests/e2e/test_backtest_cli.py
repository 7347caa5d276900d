"""`trading-terminal backtest` end to end in a subprocess, on a real daily series."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from terminal.model.ids import InstrumentId
from terminal.model.market import Bar
from terminal.persistence import Database, default_url
from tests.data_paths import SHARED_DATA

GOOG = SHARED_DATA / "ohlcv" / "backtesting.py__GOOG.csv"
pytestmark = pytest.mark.skipif(not GOOG.is_file(), reason="shared data missing")


def backtest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "terminal", "backtest", *args],
                          capture_output=True, text=True, timeout=120)


def test_a_file_backtest_prints_stats_writes_json_and_stores_the_row(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    done = backtest("--strategy", "ma-cross", "--params", "fast=10,slow=30,kind=sma",
                    "--file", str(GOOG), "--fee-bps", "10", "--slippage-bps", "5",
                    "--data-dir", str(tmp_path / "data"), "--json", str(out),
                    "--export-dir", str(tmp_path / "csv"))
    assert done.returncode == 0, done.stderr
    assert "100%" in done.stderr
    assert "Sharpe" in done.stdout and "Max drawdown" in done.stdout
    assert "stored as backtest 1" in done.stdout
    report = json.loads(out.read_text())
    assert report["instrument"] == "REPLAY:GOOG" and report["timeframe"] == "1d"
    assert report["bars"] == 2148 and report["stats"]["trades"] == len(
        [t for t in report["trades"] if t["exit_ts"] is not None])
    assert (tmp_path / "csv" / "backtest_trades.csv").is_file()
    with Database.open(default_url(tmp_path / "data")) as db:
        stored = db.backtests.get(1)
    assert stored is not None
    assert stored.stats["sharpe"] == pytest.approx(report["stats"]["sharpe"], rel=1e-15)
    assert stored.params == report["params"]


def test_bars_from_the_database(tmp_path: Path) -> None:
    iid = InstrumentId.parse("TEST:ABC")
    bars = [Bar(iid, 60_000_000_000, k * 60_000_000_000, 100 + (k % 40), 101 + (k % 40),
                99 + (k % 40), 100.5 + (k % 40), 1.0) for k in range(400)]
    with Database.open(default_url(tmp_path)) as db:
        db.migrate()
        db.bars.insert_many(bars)
    done = backtest("--strategy", "ma-cross", "--params", "fast=3,slow=8", "--from-db",
                    "TEST:ABC", "--timeframe", "1m", "--data-dir", str(tmp_path),
                    "--long-only", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "400 bars" in done.stdout and "long only" in done.stdout
    # 15m from the stored 1m bars, as the Backtest tab does: 400 minutes are 27 bars
    rolled = backtest("--strategy", "ma-cross", "--params", "fast=3,slow=8", "--from-db",
                      "TEST:ABC", "--timeframe", "15m", "--data-dir", str(tmp_path),
                      "--quiet", "--no-store")
    assert rolled.returncode == 0, rolled.stderr
    assert "27 bars" in rolled.stdout
    missing = backtest("--strategy", "ma-cross", "--from-db", "TEST:XYZ", "--data-dir",
                       str(tmp_path), "--quiet")
    assert missing.returncode == 2 and "shorter stored ones" in missing.stderr


@pytest.mark.parametrize(("params", "named"), [
    ("fast=10,slow=abc", "slow='abc'"), ("fast=10,speed=2", "'speed'"),
    ("fast=50,slow=30", "fast=50 slow=30"), ("kind=wma", "kind='wma'")])
def test_bad_parameters_exit_2_naming_them(tmp_path: Path, params: str, named: str) -> None:
    done = backtest("--strategy", "ma-cross", "--params", params, "--file", str(GOOG),
                    "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert "--params" in done.stderr and named in done.stderr
    assert not (tmp_path / "terminal.db").exists()


def test_bad_options_exit_2_naming_them(tmp_path: Path) -> None:
    done = backtest("--strategy", "ma-cross", "--file", str(tmp_path / "missing.csv"))
    assert done.returncode == 2 and "--file" in done.stderr
    done = backtest("--strategy", "ma-cross", "--file", str(GOOG), "--fee-bps", "-1")
    assert done.returncode == 2 and "--fee-bps" in done.stderr
    done = backtest("--strategy", "nope", "--file", str(GOOG))
    assert done.returncode == 2 and "--strategy" in done.stderr
