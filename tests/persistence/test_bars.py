"""Bars: bulk idempotent inserts, ascending ranges, NaN, and use from a worker thread."""

from __future__ import annotations

import math
import threading
from dataclasses import replace

from terminal.model.market import Bar
from terminal.persistence import Database

from .factories import BTC, ETH, MINUTE, T0, bars


def test_insert_many_then_range_is_ascending_and_exact(db: Database) -> None:
    batch = bars(500)
    shuffled = batch[250:] + batch[:250]
    assert db.bars.insert_many(shuffled) == 500
    assert db.bars.range(BTC, MINUTE) == batch
    assert db.bars.count(BTC, MINUTE) == 500


def test_range_bounds_are_half_open_and_limited(db: Database) -> None:
    batch = bars(100)
    db.bars.insert_many(batch)
    start, end = batch[10].ts, batch[20].ts
    assert db.bars.range(BTC, MINUTE, start_ns=start, end_ns=end) == batch[10:20]
    assert db.bars.range("binance:btcusdt", MINUTE, start_ns=start, limit=5) == batch[10:15]
    assert db.bars.range(BTC, MINUTE, end_ns=batch[3].ts) == batch[:3]
    assert db.bars.count(BTC, MINUTE, start_ns=start, end_ns=end) == 10
    assert db.bars.last(BTC, MINUTE, 4) == batch[-4:]
    assert db.bars.last(BTC, MINUTE, 4, end_ns=end) == batch[16:20]
    assert db.bars.latest_ts(BTC, MINUTE) == batch[-1].ts


def test_instruments_and_intervals_are_kept_apart(db: Database) -> None:
    btc, eth, btc_hour = bars(10), bars(10, iid=ETH, price=5.0), bars(3, interval=60 * MINUTE)
    db.bars.insert_many(btc + eth + btc_hour)
    assert db.bars.range(ETH, MINUTE) == eth
    assert db.bars.range(BTC, 60 * MINUTE) == btc_hour
    assert db.bars.count(BTC, MINUTE) == 10
    assert db.bars.range(BTC, 5 * MINUTE) == []
    assert db.bars.latest_ts(ETH, 5 * MINUTE) is None


def test_reinserting_replaces_and_never_duplicates(db: Database) -> None:
    batch = bars(50)
    db.bars.insert_many(batch)
    db.bars.insert_many(batch)
    assert db.bars.count(BTC, MINUTE) == 50
    corrected = [replace(b, close=b.close + 1.0, volume=b.volume * 2) for b in batch[10:20]]
    db.bars.insert_many(corrected)
    assert db.bars.range(BTC, MINUTE) == batch[:10] + corrected + batch[20:]


def test_the_same_key_twice_in_one_batch_keeps_the_last(db: Database) -> None:
    first = bars(1)[0]
    second = replace(first, close=first.close + 3.0)
    db.bars.insert_many([first, second])
    assert db.bars.range(BTC, MINUTE) == [second]


def test_nan_round_trips(db: Database) -> None:
    no_volume = Bar(BTC, MINUTE, T0, 1.5, 2.0, 1.0, 1.25, math.nan, 0)
    gap = Bar(BTC, MINUTE, T0 + MINUTE, math.nan, math.nan, math.nan, math.nan, 0.0, 0)
    flat_zero = Bar(BTC, MINUTE, T0 + 2 * MINUTE, 1.0, 1.0, 1.0, 1.0, 0.0, 0)
    db.bars.insert_many([no_volume, gap, flat_zero])
    got = db.bars.range(BTC, MINUTE)
    assert math.isnan(got[0].volume)
    assert (got[0].open, got[0].high, got[0].low, got[0].close) == (1.5, 2.0, 1.0, 1.25)
    assert all(math.isnan(v) for v in (got[1].open, got[1].high, got[1].low, got[1].close))
    assert got[1].volume == 0.0  # zero is not NaN
    assert got[2] == flat_zero


def test_extreme_floats_round_trip(db: Database) -> None:
    tiny = Bar(BTC, MINUTE, T0, 1e-12, 0.1 + 0.2, 5e-324, 1.7976931348623157e308, 1e-300, 2**31 - 1)
    db.bars.insert_many([tiny])
    assert db.bars.range(BTC, MINUTE) == [tiny]


def test_insert_from_a_worker_thread_while_reading(db: Database) -> None:
    batch = bars(2000)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for start in range(0, len(batch), 200):
                db.bars.insert_many(batch[start:start + 200])
        except BaseException as exc:  # reported below
            errors.append(exc)

    worker = threading.Thread(target=write)
    worker.start()
    while worker.is_alive():
        db.bars.count(BTC, MINUTE)
    worker.join()
    assert errors == []
    assert db.bars.range(BTC, MINUTE) == batch


def test_empty_insert(db: Database) -> None:
    assert db.bars.insert_many([]) == 0
    assert db.bars.range(BTC, MINUTE) == []
