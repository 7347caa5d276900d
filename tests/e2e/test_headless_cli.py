"""The headless command line on the real Binance capture, end to end in a subprocess."""

import json
import sqlite3
import subprocess
import sys

from tests.data_paths import SHARED_DATA

CAPTURE = SHARED_DATA / "ws" / "cryptofeed__BINANCE.ws.1.0"


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "terminal", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_headless_replay_of_binance_capture(tmp_path):
    summary_path = tmp_path / "s.json"
    result = run_cli("--headless", "--data-dir", str(tmp_path / "data"), "--replay",
                     str(CAPTURE), "--speed", "max", "--summary-json", str(summary_path))
    assert result.returncode == 0, result.stderr
    s = json.loads(summary_path.read_text())
    assert s["ok"] and s["errors"] == []
    # every inbound frame: 177 depthUpdate + 84 bookTicker + 2 kline + 2 aggTrade,
    # plus the 4 REST snapshots from the matching http capture and 4 instruments
    kinds = s["events"]["by_kind"]
    assert kinds == {"book_delta": 177, "quote": 84, "bar": 2, "trade": 2, "book_snapshot": 4,
                     "instrument": 4}
    assert s["replay"]["files"][0]["bad_rows"] == 0
    books = s["books"]
    assert sorted(books) == ["BINANCE:BLZETH", "BINANCE:LRCBTC", "BINANCE:NKNUSDT",
                             "BINANCE:RUNEEUR"]
    for name, book in books.items():
        assert book["usable"], name
        assert book["stale_events"] == 0, name
        assert book["best_bid"] < book["best_ask"], name
        assert book["deltas_applied"] + book["deltas_dropped"] > 0
    # the documented spot procedure drops the 1-2 diffs per symbol that predate the snapshot
    assert sum(b["deltas_dropped"] for b in books.values()) == 5
    assert sum(b["deltas_applied"] for b in books.values()) == 172
    assert books["BINANCE:NKNUSDT"]["sequence"] == 499870179
    # the two aggTrades (NKNUSDT 00:28:43, LRCBTC 00:28:54) make two 1-minute bars that close
    # at 00:29:00 on the replay clock, before the capture ends at 00:29:02
    assert s["bars"]["built_from_trades"] == 2 and s["bars"]["stored"] == 2
    db = sqlite3.connect(tmp_path / "data" / "terminal.db")
    rows = db.execute("select instrument_id, ts, open, close, volume from bars "
                      "order by instrument_id").fetchall()
    assert rows == [("BINANCE:LRCBTC", 1633998480000000000, 6.38e-06, 6.38e-06, 177.0),
                    ("BINANCE:NKNUSDT", 1633998480000000000, 0.3528, 0.3528, 58.0)]
    assert "processed 273 events" in result.stdout


def test_missing_file_is_a_clear_error(tmp_path):
    result = run_cli("--headless", "--data-dir", str(tmp_path), "--replay",
                     str(tmp_path / "nope.csv"), "--speed", "max")
    assert result.returncode == 2
    assert "nope.csv" in result.stderr and "no such file" in result.stderr


def test_bad_speed_is_rejected_by_the_parser(tmp_path):
    result = run_cli("--headless", "--speed", "fast")
    assert result.returncode == 2 and "speed must be a number or 'max'" in result.stderr


def test_headless_engine_on_postgresql(tmp_path, db_url):
    """--db-url points the terminal at any SQLAlchemy URL: the same run on both databases."""
    url = db_url if db_url.startswith("postgresql") else f"sqlite:///{tmp_path / 'other.db'}"
    summary_path = tmp_path / "s.json"
    result = run_cli("--headless", "--data-dir", str(tmp_path / "data"), "--db-url", url,
                     "--replay", str(CAPTURE), "--speed", "max", "--summary-json",
                     str(summary_path))
    assert result.returncode == 0, result.stderr
    assert json.loads(summary_path.read_text())["bars"]["stored"] == 2
    from terminal.model.ids import InstrumentId
    from terminal.persistence.db import Database

    db = Database.open(url)
    try:
        bars = db.bars.range(InstrumentId("BINANCE", "NKNUSDT"), 60_000_000_000)
        assert [(b.ts, b.open, b.volume) for b in bars] == [(1633998480000000000, 0.3528, 58.0)]
        assert {i.id.symbol for i in db.instruments.all()} >= {"NKNUSDT", "LRCBTC"}
        assert [a.action for a in db.audit.list(limit=None)][:2] == ["system.stop",
                                                                     "system.start"]
    finally:
        db.close()
    # the password of a PostgreSQL URL never reaches the output
    password = url.split("://", 1)[1].split("@")[0].partition(":")[2]
    if password:
        assert password not in result.stdout + result.stderr


def test_ohlcv_replay_stores_every_bar(tmp_path):
    source = SHARED_DATA / "ohlcv" / "backtrader__orcl-1995-2014.txt"
    summary_path = tmp_path / "s.json"
    result = run_cli("--headless", "--data-dir", str(tmp_path), "--replay", str(source),
                     "--speed", "max", "--instrument", "NYSE:ORCL", "--summary-json",
                     str(summary_path))
    assert result.returncode == 0, result.stderr
    s = json.loads(summary_path.read_text())
    assert s["events"]["by_kind"]["bar"] == 5036 and s["bars"]["stored"] == 5036
    db = sqlite3.connect(tmp_path / "terminal.db")
    first, last, count = db.execute(
        "select min(ts), max(ts), count(*) from bars where instrument_id = 'NYSE:ORCL'").fetchone()
    assert count == 5036
    assert first == 789091200000000000  # 1995-01-03 00:00 UTC, the session date
    assert last == 1419984000000000000  # 2014-12-31


def test_bad_rows_are_reported_with_file_and_line_and_good_rows_kept(tmp_path):
    bad = tmp_path / "bars.csv"
    bad.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n"
                   "2014-01-02,10.0,11.0,9.5,10.5,10.5,1000\n"
                   "2014-01-03,10.5,oops,10.0,10.8,10.8,1200\n"
                   "2014-01-06,10.8,11.2,10.6,11.0,11.0,900\n")
    summary_path = tmp_path / "s.json"
    result = run_cli("--headless", "--data-dir", str(tmp_path / "d"), "--replay", str(bad),
                     "--speed", "max", "--summary-json", str(summary_path))
    s = json.loads(summary_path.read_text())
    assert result.returncode == 0, result.stderr  # bad rows are reported, not a failure
    assert s["rejected_input_rows"]["count"] == 1
    example = s["rejected_input_rows"]["examples"][0]
    assert f"{bad}:3" in example and "High" in example
    assert s["bars"]["stored"] == 2


def test_a_second_terminal_on_the_same_data_dir_is_refused(tmp_path):
    """Two terminals on one data dir would cancel each other's orders and overwrite
    positions: the second one stops at once and says why."""
    import signal
    import time

    first = subprocess.Popen([sys.executable, "-m", "terminal", "--headless", "--data-dir",
                              str(tmp_path), "--duration", "30"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lock = tmp_path / "terminal.lock"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "pid" not in (
                lock.read_text() if lock.exists() else ""):
            time.sleep(0.1)
        second = run_cli("--headless", "--data-dir", str(tmp_path), "--duration", "1")
        assert second.returncode == 2
        assert f"the data dir {tmp_path} is in use by Trading Terminal (pid {first.pid})" in \
            second.stderr
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=30)
    assert first.returncode == 0
    # once the first has stopped, the data dir is free again
    assert run_cli("--headless", "--data-dir", str(tmp_path), "--duration", "0.5").returncode == 0
