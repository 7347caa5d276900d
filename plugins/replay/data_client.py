"""Plays recordings into the market data sink, paced by their original receive times."""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from plugins.replay.config import ReplayConfig
from plugins.replay.formats import detect_format, open_recording
from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.cryptofeed_binance import snapshot_siblings
from plugins.replay.formats.cryptofeed_ref import read_instrument_file
from terminal.core.errors import DataError
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.market import Bar, BookDelta, BookSnapshot, Quote, Trade
from terminal.model.market_run import MarketRun
from terminal.plugin_host.base import DataClient, InputProblem, MarketDataSink, PluginContext

log = logging.getLogger(__name__)

YIELD_EVERY = 256  # at max speed, give the loop a turn this often
PACED_TURN_S = 0.004  # when paced and behind, never hold the loop longer than this
MAX_HANDLER_ERRORS_KEPT = 20


class ReplayDataClient(DataClient):
    def __init__(self, context: PluginContext, config: ReplayConfig) -> None:
        self._ctx = context
        self._config = config
        self._stop = asyncio.Event()
        self.reports: list[ReadReport] = []
        self.errors: list[str] = []
        self.instrument_files: list[dict[str, Any]] = []
        self.events = 0
        self.handler_failures = 0
        self.done = False
        self._merged_paths: set[Path] | None = None
        self._formats: dict[Path, str] = {}  # sniffed by preflight, not again by run

    @property
    def finite(self) -> bool:
        return True

    async def connect(self) -> None:
        self._stop.clear()

    async def disconnect(self) -> None:
        self._stop.set()

    async def preflight(self) -> None:
        """Every file must be a recording of a known format (sniffed, or the forced one)."""
        if self._config.format is not None:
            return
        merged = self._merged()
        for path in self._config.paths:
            if path.resolve() not in merged:
                # DataError naming the file and the known formats
                self._formats[path] = detect_format(path).name

    def _dispatch_table(self, sink: MarketDataSink) -> dict[type, Callable[[Any], None]]:
        table: dict[type, Callable[[Any], None]] = {
            BookDelta: sink.on_book_delta,
            Quote: sink.on_quote,
            Trade: sink.on_trade,
            Bar: sink.on_bar,
            BookSnapshot: sink.on_book_snapshot,
            Instrument: sink.on_instrument,
        }
        on_run = getattr(sink, "on_market_run", None)
        if on_run is not None:
            table[MarketRun] = on_run
        return table

    def _runs_wanted(self, sink: MarketDataSink) -> bool:
        """Book updates in compiled runs: at --speed max, from one recording (several are
        merged event by event), into a sink that takes runs (see MarketDataService)."""
        playing = [p for p in self._config.paths if p.resolve() not in self._merged()]
        return (self._config.speed == "max" and self._config.scan and len(playing) == 1
                and hasattr(sink, "on_market_run"))

    def _merged(self) -> set[Path]:
        """REST snapshot files merged into a Binance capture beside them (not played)."""
        if self._merged_paths is None:
            self._merged_paths = {http.resolve() for path in self._config.paths
                                  if "BINANCE.ws." in path.name
                                  for http in snapshot_siblings(path)}
        return self._merged_paths

    async def _announce_instruments(self, sink: MarketDataSink) -> None:
        """Deliver the metadata files' instruments, so the recordings' bare ones never
        stand in for them."""
        for path in self._config.instruments:
            skipped: dict[str, str] = {}
            try:
                # a 2 MB exchangeInfo takes ~50 ms to parse: off the loop
                instruments = await asyncio.to_thread(read_instrument_file, path, skipped)
            except DataError as exc:
                self.errors.append(str(exc))
                log.error("cannot read instruments from %s: %s", path, exc)
                continue
            if skipped:
                examples = "; ".join(f"{k}: {v}" for k, v in list(skipped.items())[:3])
                log.info("%s: %d entries skipped (%s%s)", path, len(skipped), examples,
                         "; ..." if len(skipped) > 3 else "")
            self.instrument_files.append({"path": str(path), "instruments": len(instruments),
                                          "skipped": len(skipped)})
            for count, instrument in enumerate(instruments, 1):
                if self._stop.is_set():
                    return
                sink.on_instrument(instrument)
                if count % YIELD_EVERY == 0:
                    await asyncio.sleep(0)

    def _open_all(self, runs: bool = False
                  ) -> list[Iterator[tuple[int, ReplayEvent | MarketRun]]]:
        iid = InstrumentId.parse(self._config.instrument) if self._config.instrument else None
        streams = []
        merged_by_captures = self._merged()
        for path in self._config.paths:
            if path.resolve() in merged_by_captures:
                log.info("%s: skipped, its snapshots are merged into the capture beside it",
                         path)
                continue
            try:
                stream, report = open_recording(
                    path, self._config.format or self._formats.get(path), iid, runs=runs)
            except DataError as exc:
                self.errors.append(str(exc))  # the message names the file
                log.error("cannot replay: %s", exc)
                continue
            self.reports.append(report)
            streams.append(stream)
        return streams

    async def run(self) -> None:
        sink = self._ctx.market_data
        table = self._dispatch_table(sink)
        await self._announce_instruments(sink)
        streams = self._open_all(self._runs_wanted(sink))
        merged: Iterator[tuple[int, ReplayEvent | MarketRun]] = (
            streams[0] if len(streams) == 1 else heapq.merge(*streams, key=lambda e: e[0]))
        speed = self._config.speed
        on_time = sink.on_time
        if speed == "max":
            await self._run_max(merged, table, on_time)
            return
        factor = float(speed)
        first_ts: int | None = None
        previous_ts = 0
        max_gap = self._config.max_gap
        wall_start = 0.0
        count = 0
        clock_ts: int | None = None
        turn_start = time.monotonic()
        try:
            for ts, event in merged:
                if self._stop.is_set():
                    break
                if first_ts is None:
                    first_ts, previous_ts, wall_start = ts, ts, time.monotonic()
                if max_gap is not None:
                    gap = (ts - previous_ts) / 1e9 / factor
                    if gap > max_gap:
                        wall_start -= gap - max_gap  # skip the idle stretch
                    previous_ts = ts
                now = time.monotonic()
                delay = wall_start + (ts - first_ts) / 1e9 / factor - now
                if delay > 0.001:
                    await asyncio.sleep(delay)
                    turn_start = time.monotonic()
                elif now - turn_start > PACED_TURN_S:  # behind schedule: catch up in turns
                    await asyncio.sleep(0)
                    turn_start = time.monotonic()
                try:
                    if ts != clock_ts:  # the frame's other events share its time
                        clock_ts = ts
                        on_time(ts)
                    table[type(event)](event)
                except Exception as exc:  # one event must not end the replay
                    self._handler_failed(ts, event, exc)
                count += 1
        except DataError as exc:
            self.errors.append(str(exc))
            log.error("replay stopped: %s", exc)
        finally:
            self._finish(count)

    async def _run_max(self, merged: Iterator[tuple[int, ReplayEvent | MarketRun]],
                       table: dict[type, Callable[[Any], None]],
                       on_time: Callable[[int], None]) -> None:
        """`run` at --speed max: no pacing, a loop turn every YIELD_EVERY events (a run of
        book updates counts as its updates, and is never cut).

        The stop flag is read before the first event and after each turn: only another task
        sets it, and none runs between two turns, so this stops where checking it per event
        would."""
        count = 0
        turn_at = YIELD_EVERY
        clock_ts: int | None = None
        stopped = self._stop.is_set
        try:
            while True:
                if stopped():
                    next(merged, None)  # read, not delivered: as when checked per event
                    break
                for ts, event in merged:
                    kind = type(event)
                    try:
                        if ts != clock_ts:  # the frame's other events share its time
                            clock_ts = ts
                            on_time(ts)
                        table[kind](event)
                    except Exception as exc:  # one event must not end the replay
                        self._handler_failed(ts, event, exc)
                    if kind is MarketRun:
                        clock_ts = event.last_ts  # type: ignore[union-attr]
                        count += len(event)  # type: ignore[arg-type]
                    else:
                        count += 1
                    if count >= turn_at:
                        turn_at = count + YIELD_EVERY
                        break
                else:
                    break  # the recordings are played to their end
                await asyncio.sleep(0)
        except DataError as exc:
            self.errors.append(str(exc))
            log.error("replay stopped: %s", exc)
        finally:
            self._finish(count)

    def _finish(self, count: int) -> None:
        sink = self._ctx.market_data
        self.events = count
        self.done = True
        for report in self.reports:
            for note in report.notes:
                log.info("%s: %s", report.source, note)
            for problem in report.problems:
                sink.on_input_problem(problem)
            hidden = report.bad_rows - len(report.problems)
            if hidden > 0:
                sink.on_input_problem(InputProblem(
                    report.source, 0, f"{hidden} more bad rows not listed"))

    def _handler_failed(self, ts: int, event: ReplayEvent | MarketRun,
                        exc: Exception) -> None:
        self.handler_failures += 1
        if self.handler_failures <= MAX_HANDLER_ERRORS_KEPT:
            message = f"{type(event).__name__} at {ts} could not be processed: {exc!r}"[:300]
            self.errors.append(message)
            log.exception("replay: %s", message)

    def stats(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "files": [{"path": r.source, "format": r.format, "rows": r.rows,
                       "events": r.events, "bad_rows": r.bad_rows, "notes": list(r.notes)}
                      for r in self.reports],
            "instrument_files": list(self.instrument_files),
            "errors": list(self.errors),
        }
