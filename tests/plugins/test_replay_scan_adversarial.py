"""Adversarial inputs for the scanned replay of cryptofeed websocket captures.

The scanned reading (compiled frame scan, book updates in MarketRuns) and the run kernel
must give exactly what the line-by-line reading and the per-event engine give. Each case
takes the real captures of ../shared/data/ws, perturbs some frames the way a hostile or
broken recorder could (numbers of many digits, leading zeros, exponents, whitespace, keys
in another order, escapes, unknown products, cut files, checksums, sequence gaps, crossed
books and quotes...), writes the result into tmp_path and checks that

- the events of `open_recording(path)` equal those of `open_recording(path, runs=True)`
  with the runs expanded (their `raw` too), and so do the report's counts and problems;
- the engine, playing the file at speed max with the scan off and on, ends with the same
  summary (timings left out), the same books, and published the same bus events at the
  same clock times.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import math
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from plugins.replay.formats import open_recording
from terminal.app import Engine, EngineOptions
from terminal.core.topics import Kind
from terminal.model.market_run import MarketRun
from tests.data_paths import SHARED_DATA

WS = SHARED_DATA / "ws"
COINBASE = "cryptofeed__COINBASE.ws.28.0"
KRAKEN = "cryptofeed__KRAKEN.ws.50.0"
BINANCE = "cryptofeed__BINANCE.ws.1.0"
BINANCE_HTTP = "cryptofeed__BINANCE.http.0.0"
NEEDED = (COINBASE, KRAKEN, BINANCE, BINANCE_HTTP)

pytestmark = pytest.mark.skipif(not all((WS / name).is_file() for name in NEEDED),
                                reason=f"the websocket captures are not in {WS}")

# the captures are cut to this many lines (header included) to keep the engine runs short
KEEP_LINES = {COINBASE: 2500, KRAKEN: 1200, BINANCE: 10_000}
TIMINGS = {"wall_seconds", "run_seconds", "events_per_second"}
KINDS = (Kind.QUOTE, Kind.BOOK_STATUS, Kind.QUALITY, Kind.TRADE, Kind.BAR)

Lines = list[bytes]  # the capture's lines after the header, without their b"\n"


# -- the captures, and editing their frames as text ------------------------------------

@lru_cache(maxsize=None)
def _capture(name: str) -> tuple[bytes, tuple[bytes, ...]]:
    data = (WS / name).read_bytes()
    header, _, rest = data.partition(b"\n")
    lines = rest.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return header, tuple(lines[:KEEP_LINES[name] - 1])


def capture(name: str) -> tuple[bytes, Lines]:
    header, lines = _capture(name)
    return header, list(lines)


def stamp_of(line: bytes) -> bytes:
    return line.partition(b": ")[0]


def payload_of(line: bytes) -> bytes:
    return line.partition(b": ")[2]


def with_stamp(line: bytes, stamp: bytes) -> bytes:
    return stamp + b": " + payload_of(line)


def later(stamp: bytes, micros: int = 1) -> bytes:
    """A receive stamp `micros` µs after `stamp` (as text with 6 fraction digits)."""
    whole, _, frac = stamp.partition(b".")
    ns = int(whole) * 10**9 + int(frac.ljust(9, b"0")[:9]) + micros * 1000
    return b"%d.%06d" % (ns // 10**9, ns % 10**9 // 1000)


def indices(lines: Lines, *needles: bytes, start: int = 0) -> list[int]:
    return [i for i, line in enumerate(lines) if i >= start
            and all(needle in line for needle in needles)]


def first(lines: Lines, *needles: bytes, start: int = 0) -> int:
    return indices(lines, *needles, start=start)[0]


def sub(line: bytes, pattern: bytes, replace: bytes | Callable[[re.Match[bytes]], bytes],
        count: int = 1) -> bytes:
    out, n = re.subn(pattern, replace, line, count=count)
    assert n, (pattern, line[:200])
    return out


def edit(lines: Lines, where: list[int], change: Callable[[bytes], bytes]) -> Lines:
    for i in where:
        lines[i] = change(lines[i])
    return lines


# JSON strings holding numbers (prices, sizes, level times) in a frame's payload
NUMBER = rb'"(\d+(?:\.\d+)?)"'


def numbers(change: Callable[[bytes], bytes], count: int = 0) -> Callable[[bytes], bytes]:
    """Rewrite the number strings of a frame's payload (the first `count`, 0: all)."""
    def rewrite(line: bytes) -> bytes:
        stamp, _, payload = line.partition(b": ")
        payload = re.sub(NUMBER, lambda m: b'"' + change(m.group(1)) + b'"', payload,
                         count=count)
        return stamp + b": " + payload
    return rewrite


def write(tmp_path: Path, name: str, header: bytes, lines: Lines, *, gz: bool = False,
          newline_at_end: bool = True, cut: float | None = None,
          http_lines: Lines | None = None) -> Path:
    folder = tmp_path / "capture"
    folder.mkdir(exist_ok=True)
    data = header + b"\n" + b"\n".join(lines) + (b"\n" if newline_at_end else b"")
    path = folder / (name + (".gz" if gz else ""))
    if gz:
        data = gzip.compress(data)
        if cut is not None:
            data = data[:int(len(data) * cut)]
    path.write_bytes(data)
    if "BINANCE" in name:
        http = (WS / BINANCE_HTTP).read_bytes() if http_lines is None else \
            b"\n".join(http_lines) + b"\n"
        (folder / BINANCE_HTTP).write_bytes(http)
    return path


# -- the two readings, and the two engines ----------------------------------------------

def flatten(items: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    out: list[tuple[int, Any]] = []
    for ts, item in items:
        out.extend(item.events() if isinstance(item, MarketRun) else [(ts, item)])
    return out


def raw_of(event: Any) -> Any:
    raw = getattr(event, "raw", None)
    return None if raw is None else dict(raw)


def report_of(report: Any) -> tuple[Any, ...]:
    return (report.rows, report.events, report.bad_rows,
            [(p.line, p.reason, p.field) for p in report.problems])


def norm(value: Any) -> Any:
    """NaN-safe, order-keeping form of nested values for ==."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return [(norm(k), norm(v)) for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [norm(v) for v in value]
    return value


def read_both(path: Path) -> tuple[dict[str, Any], dict[str, Any], int]:
    lines, line_report = open_recording(path)
    scanned, scan_report = open_recording(path, runs=True)
    by_line = list(lines)
    items = list(scanned)
    flat = flatten(items)
    runs = sum(isinstance(item, MarketRun) for _, item in items)
    a = {"events": norm(by_line), "raw": norm([raw_of(e) for _, e in by_line]),
         "report": norm(report_of(line_report))}
    b = {"events": norm(flat), "raw": norm([raw_of(e) for _, e in flat]),
         "report": norm(report_of(scan_report))}
    return a, b, runs


def play(path: Path, scan: bool, data_dir: Path) -> dict[str, Any]:
    async def scenario() -> dict[str, Any]:
        engine = Engine(EngineOptions(data_dir=data_dir, replay_paths=[path], speed="max"))
        create = engine.registry.create

        def create_with_scan(plugin_id: str, context: Any, settings: dict[str, Any]) -> Any:
            if plugin_id == "replay":
                settings = {**settings, "scan": scan}
            return create(plugin_id, context, settings)

        engine.registry.create = create_with_scan  # type: ignore[method-assign]
        seen: list[tuple[str, str, int]] = []
        for kind in KINDS:
            engine.bus.subscribe_kind(kind, lambda topic, event: seen.append(
                (topic, repr(event), engine.clock.now_ns())))
        await engine.start()
        await engine.run()
        books = engine.books
        state: dict[str, Any] = {
            "levels": {str(i): books.levels(i, 1000) for i in books.instruments()},
            "heads": {str(i): (t.book.sequence, t.book.ts_event, t.book.updates,
                               getattr(t.sync, "checksums_verified", None), t.sync.synced,
                               t.sync.stale_reason)
                      for i, t in sorted(books._books.items())},
            "seen": seen,
            "freshness": list(engine.market_data.quality.freshness.items()),
            "clock": engine.clock.now_ns(),
        }
        await engine.stop()
        summary = engine.summary()
        state["summary"] = {k: v for k, v in summary.items() if k not in TIMINGS}
        return state

    return asyncio.run(scenario())


def check(path: Path, tmp_path: Path) -> None:
    by_line, scanned, _ = read_both(path)
    for key in by_line:
        assert scanned[key] == by_line[key], f"the readings differ in {key}"
    one_by_one = play(path, False, tmp_path / "engine-lines")
    in_runs = play(path, True, tmp_path / "engine-runs")
    for key in one_by_one:
        assert norm(in_runs[key]) == norm(one_by_one[key]), f"the engines differ in {key}"
