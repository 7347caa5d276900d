"""A plugin context wired to the engine's real market data path (bus, books, instruments,
market data service), without the database or the GUI, for connector tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from terminal.core.bus import EventBus
from terminal.core.clock import LiveClock
from terminal.core.tasks import TaskTracker
from terminal.core.topics import Kind
from terminal.model.portfolio import Fill
from terminal.plugin_host.base import PluginContext
from terminal.services.bars import BarBuilder
from terminal.services.books import BookManager, BookStatus
from terminal.services.instruments import InstrumentService
from terminal.services.market_data import MarketDataService


@dataclass
class ExecutionLog:
    """An execution sink that keeps what it is told."""

    calls: list[tuple[str, Any]] = field(default_factory=list)

    def on_accepted(self, client_order_id: str, venue_order_id: str, ts_ns: int) -> None:
        self.calls.append(("accepted", (client_order_id, venue_order_id)))

    def on_rejected(self, client_order_id: str, reason: str, ts_ns: int) -> None:
        self.calls.append(("rejected", (client_order_id, reason)))

    def on_fill(self, fill: Fill) -> None:
        self.calls.append(("fill", fill))

    def on_canceled(self, client_order_id: str, ts_ns: int) -> None:
        self.calls.append(("canceled", client_order_id))

    def on_modified(self, client_order_id: str, quantity: Decimal, price: Decimal | None,
                    ts_ns: int) -> None:
        self.calls.append(("modified", client_order_id))


class Harness:
    def __init__(self, data_dir: Path) -> None:
        self.bus = EventBus()
        self.tasks = TaskTracker()
        self.instruments = InstrumentService(self.bus)
        self.books = BookManager(self.bus)
        self.bars = BarBuilder([], lambda _bar: None)
        self.market_data = MarketDataService(self.bus, self.instruments, self.books, self.bars)
        self.execution = ExecutionLog()
        self.statuses: list[BookStatus] = []
        self.connection: list[dict[str, str]] = []
        self.system: list[dict[str, str]] = []
        self.bus.subscribe_kind(Kind.BOOK_STATUS, lambda _t, s: self.statuses.append(s))
        self.bus.subscribe_kind(Kind.CONNECTION, lambda _t, c: self.connection.append(c))
        self.bus.subscribe_kind(Kind.SYSTEM, lambda _t, e: self.system.append(e))
        self.context = PluginContext(
            bus=self.bus, clock=LiveClock(), tasks=self.tasks, data_dir=data_dir,
            books=self.books, instruments=self.instruments, market_data=self.market_data,
            execution=self.execution,
            post=lambda fn: asyncio.get_running_loop().call_soon_threadsafe(fn),
            logger=logging.getLogger("plugin.test"))

    async def until(self, condition: Callable[[], bool], limit_s: float = 20.0) -> None:
        """Wait until the condition holds (checked as events arrive; `limit_s` only keeps a
        broken test from hanging and is not what the test asserts)."""
        await until(condition, limit_s)


async def until(condition: Callable[[], bool], limit_s: float = 20.0) -> None:
    async def wait() -> None:
        while not condition():
            await asyncio.sleep(0.01)
    await asyncio.wait_for(wait(), limit_s)
