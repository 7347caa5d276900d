"""Bulk bar insert through the repository against raw sqlite3 executemany.

Both write the same real bars (the 30,889 one-minute bars of
ohlcv/backtrader__2006-01-02-volume-min-001.txt, repeated under several instrument ids) into
a fresh SQLite file with the same table, the same pragmas (WAL, synchronous=NORMAL) and one
transaction per batch.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.common import SHARED_DATA, report
from plugins.replay.formats import open_recording
from terminal.model.ids import InstrumentId
from terminal.model.market import Bar
from terminal.persistence.db import Database

SOURCE = SHARED_DATA / "ohlcv" / "backtrader__2006-01-02-volume-min-001.txt"
COPIES = 8
BATCH = 10_000


def load_bars() -> list[Bar]:
    events, _report = open_recording(SOURCE)
    base = [e for _, e in events if isinstance(e, Bar)]
    return [replace(b, instrument_id=InstrumentId("BENCH", f"S{i}")) for i in range(COPIES)
            for b in base]


def ours(bars: list[Bar], folder: Path) -> tuple[float, str]:
    db = Database.open(Database.default_url(folder))
    db.migrate()
    start = time.perf_counter()
    for i in range(0, len(bars), BATCH):
        db.bars.insert_many(bars[i:i + BATCH])
    elapsed = time.perf_counter() - start
    db.close()
    ddl = sqlite3.connect(folder / "terminal.db").execute(
        "select sql from sqlite_master where type='table' and name='bars'").fetchone()[0]
    return elapsed, ddl


def raw(bars: list[Bar], folder: Path, ddl: str) -> float:
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("pragma journal_mode=wal")
    conn.execute("pragma synchronous=normal")
    conn.execute(ddl)
    sql = "insert into bars values (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    start = time.perf_counter()
    for i in range(0, len(bars), BATCH):
        rows = [(str(b.instrument_id), b.interval_ns, b.ts, b.open, b.high, b.low, b.close,
                 b.volume, b.trades) for b in bars[i:i + BATCH]]
        conn.execute("begin")
        conn.executemany(sql, rows)
        conn.execute("commit")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    print("== bulk bar insert vs raw sqlite3 executemany ==")
    bars = load_bars()
    best_ours = best_raw = float("inf")
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            elapsed, ddl = ours(bars, Path(tmp))
            best_ours = min(best_ours, elapsed)
            best_raw = min(best_raw, raw(bars, Path(tmp), ddl))
    report(f"bar insert ({len(bars):,} bars, SQLite)", len(bars) / best_ours,
           len(bars) / best_raw, "rows/s", "raw sqlite3", target=0.75)
