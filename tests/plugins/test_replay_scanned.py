"""The scanned replay (compiled reading, runs applied by the run kernel) is the line-by-line
replay, event for event, on every real websocket capture; and it is the path taken."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from plugins.replay.formats import open_recording
from terminal.app import Engine, EngineOptions
from terminal.core.topics import Kind
from terminal.model.market import BookDelta, Quote
from terminal.model.market_run import MarketRun
from tests.data_paths import SHARED_DATA

WS = SHARED_DATA / "ws"
CAPTURES = sorted(p.name for p in WS.glob("*.ws.*")) if WS.is_dir() else []
needs_data = pytest.mark.skipif(not CAPTURES, reason="../shared/data/ws is not there")
TIMINGS = {"wall_seconds", "run_seconds", "events_per_second"}


def flatten(items: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    out: list[tuple[int, Any]] = []
    for ts, item in items:
        out.extend(item.events() if isinstance(item, MarketRun) else [(ts, item)])
    return out


def raw_of(event: Any) -> Any:
    raw = getattr(event, "raw", None)
    return None if raw is None else dict(raw)


@needs_data
@pytest.mark.parametrize("name", CAPTURES)
def test_scanned_reading_equals_line_reading(name: str) -> None:
    lines, line_report = open_recording(WS / name)
    scanned, scan_report = open_recording(WS / name, runs=True)
    by_line, items = list(lines), list(scanned)
    flat = flatten(items)
    assert flat == by_line
    assert [raw_of(e) for _, e in flat] == [raw_of(e) for _, e in by_line]
    assert (scan_report.rows, scan_report.events, scan_report.bad_rows, scan_report.problems) \
        == (line_report.rows, line_report.events, line_report.bad_rows, line_report.problems)
    # the compiled scan read the ordinary updates: they came in runs, not one by one
    deltas = sum(isinstance(e, BookDelta) for _, e in by_line)
    in_runs = Counter(type(e).__name__ for _, item in items if isinstance(item, MarketRun)
                      for _, e in item.events())
    if deltas > 100:
        assert in_runs["BookDelta"] >= 0.95 * deltas


@needs_data
def test_binance_quotes_come_in_runs_with_the_book_updates() -> None:
    items = list(open_recording(WS / "cryptofeed__BINANCE.ws.1.0", runs=True)[0])
    runs = [item for _, item in items if isinstance(item, MarketRun)]
    quotes = sum(isinstance(e, Quote) for run in runs for _, e in run.events())
    assert quotes == 84 and len(runs) <= 10


def play(path: Path, scan: bool, tmp: Path) -> dict[str, Any]:
    async def scenario() -> dict[str, Any]:
        engine = Engine(EngineOptions(data_dir=tmp, replay_paths=[path], speed="max",
                                      replay_scan=scan))
        seen: list[tuple[str, str, int]] = []
        for kind in (Kind.QUOTE, Kind.BOOK_STATUS, Kind.QUALITY, Kind.TRADE, Kind.BAR):
            engine.bus.subscribe_kind(kind, lambda topic, event: seen.append(
                (topic, repr(event), engine.clock.now_ns())))
        await engine.start()
        await engine.run()
        books = engine.books
        state = {
            "books": {str(i): books.levels(i, 10_000) for i in books.instruments()},
            "heads": {str(i): (t.book.sequence, t.book.ts_event, t.book.updates,
                               getattr(t.sync, "checksums_verified", None), t.sync.synced)
                      for i, t in books._books.items()},
            "seen": seen,
            "freshness": list(engine.market_data.quality.freshness.items()),
            "published": dict(engine.bus.published),
            "clock": engine.clock.now_ns(),
            "kernel_applied": int(books.store.applied.sum()),
        }
        await engine.stop()
        summary = engine.summary()
        state["summary"] = {k: v for k, v in summary.items() if k not in TIMINGS}
        return state

    return asyncio.run(scenario())


@needs_data
@pytest.mark.parametrize("name", CAPTURES)
def test_the_engine_plays_a_capture_the_same_either_way(name: str, tmp_path: Path) -> None:
    one_by_one = play(WS / name, False, tmp_path / "lines")
    scanned = play(WS / name, True, tmp_path / "scanned")
    assert one_by_one["kernel_applied"] == 0
    applied_by_kernel = scanned.pop("kernel_applied")
    one_by_one.pop("kernel_applied")
    assert scanned == one_by_one
    assert scanned["summary"]["ok"]
    deltas = one_by_one["summary"]["events"]["by_kind"].get("book_delta", 0)
    if deltas > 100:  # the run kernel applied them (all but the first after each snapshot)
        assert applied_by_kernel >= 0.9 * deltas
