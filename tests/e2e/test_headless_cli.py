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
