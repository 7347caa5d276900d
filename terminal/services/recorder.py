"""Stores closed bars and new instruments in batches, off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from terminal.core.tasks import TaskTracker
from terminal.model.instrument import Instrument
from terminal.model.market import Bar
from terminal.persistence.db import Database
from terminal.services.instruments import InstrumentService

log = logging.getLogger(__name__)


class Recorder:
    name = "recorder"

    def __init__(self, db: Database, instruments: InstrumentService, tasks: TaskTracker,
                 batch_size: int = 5000, flush_interval_s: float = 1.0) -> None:
        self._db = db
        self._tasks = tasks
        self._instruments = instruments
        self._batch_size = batch_size
        self._flush_interval_s = flush_interval_s
        self._pending: list[Bar] = []
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._flush_scheduled = False
        self.bars_stored = 0
        self.instruments_stored = 0
        self.errors = 0

    def on_bar(self, bar: Bar) -> None:
        self._pending.append(bar)
        if len(self._pending) >= self._batch_size and not self._flush_scheduled:
            self._flush_scheduled = True
            self._tasks.spawn(self.flush(), "recorder-flush")

    async def start(self) -> None:
        self._task = self._tasks.spawn(self._periodic(), "recorder")

    async def stop(self) -> None:
        # let a write in progress finish (never cancel it), then store what is left
        self._stopping.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()

    async def _periodic(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._flush_interval_s)
            await self.flush()

    async def flush(self) -> None:
        self._flush_scheduled = False
        async with self._lock:
            instruments = self._instruments.take_dirty()
            bars, self._pending = self._pending, []
            if not bars and not instruments:
                return
            try:
                await asyncio.to_thread(self._write, instruments, bars)
            except Exception:
                log.exception("storing %d bars failed; trying them one by one", len(bars))
                failed = await asyncio.to_thread(self._write_each, instruments, bars)
                if bars and len(failed) == len(bars):
                    # nothing went in: the database is unavailable, not the data bad; keep
                    # everything for the next attempt so nothing is lost
                    self.errors += 1
                    self._pending[:0] = bars
                else:
                    self.errors += len(failed)
                    for bar in failed:
                        log.error("bar %s at %s not stored", bar.instrument_id, bar.ts)
                return
            self.bars_stored += len(bars)
            self.instruments_stored += len(instruments)

    def _write_each(self, instruments: list[Instrument], bars: list[Bar]) -> list[Bar]:
        """After a failed batch: store what can be stored and return the bars that could not
        be, so one bad row never costs the good ones (and is not retried forever)."""
        failed: list[Bar] = []
        for instrument in instruments:
            try:
                self._db.instruments.upsert([instrument])
                self.instruments_stored += 1
            except Exception as exc:
                self.errors += 1
                log.error("instrument %s not stored: %s", instrument.id, exc)
        for bar in bars:
            try:
                self._db.bars.insert_many([bar])
                self.bars_stored += 1
            except Exception:
                failed.append(bar)
        return failed

    def _write(self, instruments: list[Instrument], bars: list[Bar]) -> None:
        if instruments:
            self._db.instruments.upsert(instruments)
        if bars:
            self._db.bars.insert_many(bars)
