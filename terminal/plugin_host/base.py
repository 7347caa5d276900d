"""The contracts a connector implements and the context the host hands it.

A connector is config + instrument provider + data client + execution client + factory, each
in a file with a fixed name (config.py, instrument_provider.py, data_client.py,
execution_client.py, factory.py) next to the plugin's plugin.toml.

Threading rule: every method here is called on the engine's event loop and must not block it.
A connector that uses a threaded SDK hands results in through `PluginContext.post`.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from terminal.core.bus import EventBus
from terminal.core.clock import Clock
from terminal.core.tasks import TaskTracker
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.market import Bar, BookDelta, BookSnapshot, Level, Quote, Trade
from terminal.model.orders import Order
from terminal.model.portfolio import Fill


@dataclass(frozen=True, slots=True)
class InputProblem:
    """A bad input row, kept for the report: where it was and what was wrong."""

    source: str
    line: int
    reason: str
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}"
        return f"{where}: {self.reason}" + (f" (field {self.field!r})" if self.field else "")


class MarketDataSink(Protocol):
    """Where a data client delivers normalised events (the market data service)."""

    def on_time(self, ts_ns: int) -> None: ...
    def on_instrument(self, instrument: Instrument) -> None: ...
    def on_quote(self, quote: Quote) -> None: ...
    def on_trade(self, trade: Trade) -> None: ...
    def on_bar(self, bar: Bar) -> None: ...
    def on_book_snapshot(self, snapshot: BookSnapshot) -> None: ...
    def on_book_delta(self, delta: BookDelta) -> None: ...
    def on_input_problem(self, problem: InputProblem) -> None: ...


class ExecutionSink(Protocol):
    """Where an execution client reports what the venue did with an order."""

    def on_accepted(self, client_order_id: str, venue_order_id: str, ts_ns: int) -> None: ...
    def on_rejected(self, client_order_id: str, reason: str, ts_ns: int) -> None: ...
    def on_fill(self, fill: Fill) -> None: ...
    def on_canceled(self, client_order_id: str, ts_ns: int) -> None: ...
    def on_modified(self, client_order_id: str, quantity: Decimal, price: Decimal | None,
                    ts_ns: int) -> None: ...


class BookView(Protocol):
    """Read-only access to the books the engine maintains."""

    def levels(self, instrument_id: InstrumentId, depth: int) -> tuple[list[Level], list[Level]]:
        """Top `depth` bids (best first) and asks (best first). Empty when stale or unknown."""
        ...

    def is_usable(self, instrument_id: InstrumentId) -> bool: ...


class InstrumentView(Protocol):
    def get(self, instrument_id: InstrumentId) -> Instrument | None: ...


@dataclass
class PluginContext:
    """What the host gives a connector. Plugins never reach into the engine otherwise."""

    bus: EventBus
    clock: Clock
    tasks: TaskTracker
    data_dir: Path
    books: BookView
    instruments: InstrumentView
    market_data: MarketDataSink
    execution: ExecutionSink
    post: Callable[[Callable[[], None]], None]
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("plugin"))


class InstrumentProvider(abc.ABC):
    @abc.abstractmethod
    async def load(self) -> list[Instrument]:
        """Instruments this connector knows (may be empty until data arrives)."""


class DataClient(abc.ABC):
    """A market data connection. `run` streams until the source ends or `disconnect`."""

    @abc.abstractmethod
    async def connect(self) -> None: ...

    @abc.abstractmethod
    async def run(self) -> None:
        """Deliver events to the context's market data sink until done or disconnected."""

    async def preflight(self) -> None:  # noqa: B027 - optional, no check by default
        """Check, after connect and before run, what would only fail later (files that are
        not recordings, credentials), raising an error that says why. A connect from the
        running window reports it in the dialog instead of showing a dead connection."""

    @abc.abstractmethod
    async def disconnect(self) -> None: ...

    @property
    def finite(self) -> bool:
        """True when the source ends by itself (a recording), false for a live feed."""
        return False

    def stats(self) -> dict[str, Any]:
        return {}


class ExecutionClient(abc.ABC):
    """A broker connection. Results come back through the context's execution sink."""

    @abc.abstractmethod
    async def connect(self) -> None: ...

    @abc.abstractmethod
    async def disconnect(self) -> None: ...

    @abc.abstractmethod
    async def submit(self, order: Order) -> None: ...

    @abc.abstractmethod
    async def cancel(self, order: Order) -> None: ...

    async def modify(self, order: Order, quantity: Decimal, price: Decimal | None) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not support modify")

    async def open_orders(self) -> list[Order]:
        """Orders the venue holds as working, for reconciliation after a reconnect."""
        return []


@dataclass
class Connector:
    """What a plugin's factory returns."""

    plugin_id: str
    instruments: InstrumentProvider | None = None
    data: DataClient | None = None
    execution: ExecutionClient | None = None
