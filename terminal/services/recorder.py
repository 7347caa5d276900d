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
                self.errors += 1
                self._pending[:0] = bars  # keep them for the next attempt: nothing is lost
                self._instruments.dirty[:0] = instruments
                log.exception("storing %d bars failed; will retry", len(bars))
                return
            self.bars_stored += len(bars)
            self.instruments_stored += len(instruments)

    def _write(self, instruments: list[Instrument], bars: list[Bar]) -> None:
        if instruments:
            self._db.instruments.upsert(instruments)
        if bars:
            self._db.bars.insert_many(bars)
