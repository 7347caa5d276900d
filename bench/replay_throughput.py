"""Headless replay at --speed max against merely parsing the same capture with orjson.

Both sides handle every inbound frame of the file: the reference splits each line and
orjson-parses the frame; the engine parses, normalises, keeps books, builds bars and
publishes everything on the bus. A Binance capture's replay also reads the REST depth
snapshots of the `*BINANCE.http.*` file beside it, so the reference parses those too. The
figure is frames per second of the engine over frames per second of the bare parse.

The engine runs as `--headless` runs it: started, its start-up heap settled (collected and
frozen, as the headless run and the window do), then timed from run() to the replay's end.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import tempfile
import time
from pathlib import Path

import orjson
from sortedcontainers import SortedDict

from bench.common import SHARED_DATA, interleaved_best, report
from plugins.replay.formats import open_recording
from plugins.replay.formats.cryptofeed_binance import snapshot_siblings
from terminal.app import Engine, EngineOptions
from terminal.core.bus import EventBus
from terminal.core.heap import settle_heap
from terminal.model.market import BookDelta, BookSnapshot
from terminal.services.books import BookManager

CAPTURES = ["cryptofeed__COINBASE.ws.28.0", "cryptofeed__KRAKEN.ws.50.0",
            "cryptofeed__BINANCE.ws.1.0"]


def parse_only(path: Path) -> int:
    """Frames of the capture, each split from its line and parsed with orjson; and the
    REST answers the replay merges into it, parsed the same way."""
    frames = 0
    with path.open("rb") as fh:
        fh.readline()  # the connection line
        for line in fh:
            ts, sep, body = line.partition(b": ")
            if not sep or b" <- " in ts:
                continue
            orjson.loads(body)
            frames += 1
    for http in (snapshot_siblings(path) if "BINANCE.ws." in path.name else []):
        with http.open("rb") as fh:
            for line in fh:
                _, sep, rest = line.partition(b" -> ")
                _, sep2, body = rest.partition(b": ")
                if sep and sep2:
                    orjson.loads(body)
    return frames


def engine_run(path: Path) -> float:
    async def scenario() -> float:
        with tempfile.TemporaryDirectory() as tmp:
            engine = Engine(EngineOptions(data_dir=Path(tmp), replay_paths=[path], speed="max"))
            await engine.start()
            settle_heap()
            start = time.perf_counter()
            await engine.run()
            elapsed = time.perf_counter() - start
            await engine.stop()
            gc.unfreeze()  # this process runs many engines, one after the other
            summary = engine.summary()
            if not summary["ok"]:
                raise RuntimeError(f"replay failed: {summary['errors']}")
            return elapsed

    return asyncio.run(scenario())


def _timed_run(path: Path, times: list[float]) -> None:
    times.append(engine_run(path))


def books_only(events: list[BookSnapshot | BookDelta]) -> float:
    """Seconds to run pre-parsed book events through the engine's BookManager."""
    books = BookManager(EventBus())
    start = time.perf_counter()
    for event in events:
        if type(event) is BookDelta:
            books.on_delta(event)
        else:
            books.on_snapshot(event)  # type: ignore[arg-type]
    return time.perf_counter() - start


def sorted_dict_books(events: list[BookSnapshot | BookDelta]) -> float:
    """The same events into plain SortedDict books, reading the top after each (reference)."""
    sides: dict[object, tuple[SortedDict, SortedDict]] = {}
    start = time.perf_counter()
    for event in events:
        if type(event) is BookSnapshot:
            sides[event.instrument_id] = (SortedDict(), SortedDict())
        bids, asks = sides[event.instrument_id]
        for price, size in event.bids:
            if size > 0:
                bids[-price] = size
            else:
                bids.pop(-price, None)
        for price, size in event.asks:
            if size > 0:
                asks[price] = size
            else:
                asks.pop(price, None)
        if bids and asks:
            bids.peekitem(0)
            asks.peekitem(0)
    return time.perf_counter() - start


def main() -> None:
    print("== headless replay (--speed max) vs orjson parse of the same file ==")
    for name in CAPTURES:
        path = SHARED_DATA / "ws" / name
        if not path.is_file():
            print(f"{name}: missing, skipped")
            continue
        frames = parse_only(path)
        engine_times: list[float] = []
        parse_s, _ = interleaved_best(
            [15, 15], [functools.partial(parse_only, path),
                     functools.partial(_timed_run, path, engine_times)])
        engine_s = min(engine_times)  # the run() span alone, not the start-up around it
        report(f"replay {name}", frames / engine_s, frames / parse_s, "frames/s",
               "orjson parse", target=0.3)
    coinbase = SHARED_DATA / "ws" / "cryptofeed__COINBASE.ws.28.0"
    if coinbase.is_file():
        stream, _ = open_recording(coinbase)
        events = [e for _, e in stream if isinstance(e, BookSnapshot | BookDelta)]
        ours = min(books_only(events) for _ in range(5))
        reference = min(sorted_dict_books(events) for _ in range(5))
        report("coinbase capture into books (BookManager)", len(events) / ours,
               len(events) / reference, "events/s", "SortedDict books")
