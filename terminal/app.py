"""Composition root: builds the engine from its parts and runs it (headless or under the GUI).

Nothing else wires components together; everything else receives what it needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from terminal.core.bus import EventBus
from terminal.core.clock import Clock, LiveClock, TestClock
from terminal.core.errors import ConfigError, PluginError, TerminalError
from terminal.core.lifecycle import Lifecycle
from terminal.core.tasks import TaskTracker
from terminal.core.topics import Kind
from terminal.datadir_lock import DataDirLock
from terminal.model.market import Bar
from terminal.model.portfolio import Account
from terminal.persistence.db import Database, default_url
from terminal.plugin_host.base import Connector, DataClient, MarketDataSink, PluginContext
from terminal.plugin_host.playback import play_to_end
from terminal.plugin_host.registry import PluginRegistry
from terminal.services.alerts import AlertService
from terminal.services.bars import BarBuilder
from terminal.services.books import BookManager
from terminal.services.execution import OrderManager
from terminal.services.feed_recorder import FeedRecorder, RecordingSink
from terminal.services.history_import import HistoryReport, HistorySink
from terminal.services.instruments import InstrumentService
from terminal.services.market_data import MarketDataService
from terminal.services.portfolio import Portfolio
from terminal.services.recorder import Recorder
from terminal.services.risk import RiskEngine
from terminal.services.signals import SignalEngine
from terminal.services.timeframes import parse_timeframe

log = logging.getLogger(__name__)

DEFAULT_BALANCES = {"USD": "100000", "USDT": "100000", "EUR": "100000", "BTC": "2",
                    "ETH": "20"}
LIVE_TICK_S = 0.25


@dataclass
class EngineOptions:
    data_dir: Path
    db_url: str | None = None
    replay_paths: list[Path] = field(default_factory=list)
    replay_format: str | None = None
    replay_instrument: str | None = None
    replay_scan: bool = True  # at --speed max, book updates read and applied compiled, in runs
    instrument_files: list[Path] = field(default_factory=list)
    speed: float | Literal["max"] = 1.0
    max_gap_s: float | None = None
    bar_timeframes: list[str] = field(default_factory=lambda: ["1m"])
    broker: str = "paper"
    broker_settings: dict[str, Any] = field(default_factory=dict)
    starting_balances: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_BALANCES))
    history_paths: list[Path] = field(default_factory=list)  # bars stored, not played
    record_path: Path | None = None  # every delivered market data event goes to this ttrec file
    api: Any = None  # local_api.settings.ApiSettings to serve the local API; None: no API
    # data plugins connected at start, with their settings (e.g. a live feed)
    connect: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class Engine:
    def __init__(self, options: EngineOptions, registry: PluginRegistry | None = None) -> None:
        self.options = options
        self.bus = EventBus()
        self.replaying = bool(options.replay_paths)
        self._replay_clock = TestClock() if self.replaying else None
        self.clock: Clock = self._replay_clock or LiveClock()
        self.tasks = TaskTracker()
        self.lifecycle = Lifecycle()
        self.registry = registry or PluginRegistry()
        self.instruments = InstrumentService(self.bus)
        self.books = BookManager(self.bus)
        self.bars_built = 0
        self.bars_from_feed = 0
        self.aggregator = BarBuilder([parse_timeframe(s) for s in options.bar_timeframes],
                                     self._on_built_bar, on_update=self._on_forming_bar)
        self.market_data = MarketDataService(
            self.bus, self.instruments, self.books, self.aggregator, on_time=self._on_time,
            on_bar=self._on_feed_bar, horizon=self._time_horizon,
            advance_clock=self._replay_clock.advance_to if self._replay_clock else None)
        account = Account(options.broker_settings.get("account_id", "paper"), "USD",
                          {k: Decimal(v) for k, v in options.starting_balances.items()})
        self.portfolio = Portfolio(account)
        self.risk = RiskEngine(self.portfolio, self.market_data, self.instruments, self.clock)
        self.db: Database | None = None
        self.recorder: Recorder | None = None
        self.feed_recorder: FeedRecorder | None = None
        self.orders: OrderManager | None = None
        # strategies are added at run time: engine.signals.add(strategy, auto_trade=...)
        self.signals = SignalEngine(self.bus, self.tasks, lambda: self.orders)
        self.alerts = AlertService(self.bus, self.tasks, self.instruments)
        self.connectors: dict[str, Connector] = {}
        self.errors: list[str] = []
        self._stopping = asyncio.Event()
        self._lock = DataDirLock(options.data_dir)
        self._stopped = False
        self._running = False  # run() has started the data clients
        self.history: HistoryReport | None = None
        self._started_wall = 0.0
        self._run_wall = 0.0
        self.api_server: Any = None  # local_api.server.ApiServer while serving
        self.api_error: str | None = None  # why the API asked for is not served

    # time -----------------------------------------------------------------------------
    def _on_time(self, ts_ns: int) -> None:
        if self._replay_clock is not None:
            self._replay_clock.advance_to(ts_ns)
        self.aggregator.on_time(ts_ns)
        self.risk.on_time(ts_ns)

    def _time_horizon(self) -> int:
        """The earliest market time at which `_on_time` does more than advance the clock."""
        return min(self.aggregator.next_due() + 1, self.risk.next_look_ns())

    def _on_built_bar(self, bar: Bar) -> None:
        self.bars_built += 1
        self.bus.emit(Kind.BAR, str(bar.instrument_id), bar)
        if self.recorder is not None:
            self.recorder.on_bar(bar)

    def _on_forming_bar(self, bar: Bar) -> None:
        self.bus.emit(Kind.BAR_UPDATE, str(bar.instrument_id), bar)

    def _on_feed_bar(self, bar: Bar) -> None:
        self.bars_from_feed += 1
        if self.recorder is not None:
            self.recorder.on_bar(bar)

    # lifecycle ------------------------------------------------------------------------
    def _context(self) -> PluginContext:
        loop = asyncio.get_running_loop()
        assert self.orders is not None

        def post(fn: Callable[[], None]) -> None:
            loop.call_soon_threadsafe(fn)

        sink: MarketDataSink = self.market_data
        if self.feed_recorder is not None:
            sink = RecordingSink(sink, self.feed_recorder, self.clock)
        return PluginContext(
            bus=self.bus, clock=self.clock, tasks=self.tasks, data_dir=self.options.data_dir,
            books=self.books, instruments=self.instruments, market_data=sink,
            execution=self.orders, post=post,
            logger=logging.getLogger("plugin"))

    async def start(self) -> None:
        self._started_wall = time.monotonic()
        self.bus.bind_loop(asyncio.get_running_loop())
        try:
            self.options.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot use the data dir {self.options.data_dir}: "
                              f"{exc.strerror}") from None
        self._lock.acquire()  # one terminal per data dir
        url = self.options.db_url or default_url(self.options.data_dir)
        self.db = await asyncio.to_thread(Database.open, url)
        await asyncio.to_thread(self.db.migrate)
        self.instruments.restore(await asyncio.to_thread(self.db.instruments.all))
        account_id = self.portfolio.account.account_id
        self.portfolio.restore(self.db.positions.all(account_id),
                               self.db.accounts.latest(account_id))
        self.recorder = Recorder(self.db, self.instruments, self.tasks)
        db = self.db
        self.risk.attach(db.risk_limits, lambda action, subject, detail: db.audit.record(
            time.time_ns(), "engine", action, subject, detail))
        self.orders = OrderManager(self.bus, self.clock, self.db, self.instruments,
                                   self.portfolio, self.risk, self.portfolio.account.account_id,
                                   self.tasks)
        self.alerts.restore(self.db.alerts, await asyncio.to_thread(self.db.alerts.all))
        self.lifecycle.add(self.recorder)
        self.lifecycle.add(self.alerts)
        await self.lifecycle.start_all()
        if self.options.record_path is not None:
            self.feed_recorder = _open_recording(self.options.record_path)
        context = self._context()
        await self._start_broker(context)
        if self.options.history_paths:
            await self.import_history(self.options.history_paths)
        if self.replaying:
            settings: dict[str, Any] = {"paths": self.options.replay_paths,
                                        "speed": self.options.speed,
                                        "max_gap": self.options.max_gap_s,
                                        "format": self.options.replay_format,
                                        "instrument": self.options.replay_instrument,
                                        "scan": self.options.replay_scan,
                                        "instruments": self.options.instrument_files}
            connector = self.registry.create("replay", context, settings)
            self.connectors["replay"] = connector
            if connector.data is not None:
                await connector.data.connect()
        for plugin_id, settings in self.options.connect:
            try:
                await self.connect(plugin_id, settings)
            except PluginError as exc:  # the terminal runs on: the panel shows it
                self.errors.append(str(exc))
                log.error("%s", exc)
        if not self.replaying:
            self.tasks.spawn(self._live_ticker(), "bar-clock")
        self.db.audit.record(time.time_ns(), "engine", "system.start", "engine",
                             {"replay": [str(p) for p in self.options.replay_paths]})
        if self.options.api is not None:
            await self._start_api()

    async def _start_api(self) -> None:
        from local_api.server import ApiServer  # the API is optional: imported when served

        try:
            server = ApiServer(self, self.options.api)
            await server.start()
        except ConfigError as exc:  # e.g. the port is taken: the terminal runs on without
            self.api_error = str(exc)
            log.error("%s", exc)
            return
        self.api_server = server

    async def _start_broker(self, context: PluginContext) -> None:
        assert self.orders is not None
        try:
            connector = self.registry.create(self.options.broker, context,
                                             self.options.broker_settings)
        except PluginError as exc:
            self.errors.append(str(exc))
            log.error("broker unavailable: %s", exc)
            return
        self.connectors[self.options.broker] = connector
        if connector.execution is not None:
            await connector.execution.connect()
            self.orders.attach_broker(connector.execution)
            assert self.db is not None
            self.orders.restore(self.db.orders.open())
            closed = await self.orders.reconcile()
            if closed:
                log.warning("%d working orders from an earlier run were not at the venue "
                            "and are closed as canceled", closed)

    async def _live_ticker(self) -> None:
        while True:
            await asyncio.sleep(LIVE_TICK_S)
            self.aggregator.on_time(self.clock.now_ns())
            self.risk.on_time(self.clock.now_ns())

    def data_clients(self) -> list[DataClient]:
        return [c.data for c in self.connectors.values() if c.data is not None]

    async def connect(self, plugin_id: str, settings: dict[str, Any]) -> Connector:
        """Create and connect a data plugin while the terminal runs (the connections panel).

        PluginError (with the setting problems, field by field) when it is already connected,
        broken, or its settings are refused; nothing is left half-connected.
        """
        if self.orders is None:
            raise PluginError("the engine is not started")
        if plugin_id in self.connectors:
            raise PluginError(f"{plugin_id} is already connected")
        connector = self.registry.create(plugin_id, self._context(), settings)
        if connector.execution is not None and connector.data is None:
            raise PluginError(f"{plugin_id} is a broker: choose it at start (--broker)")
        if connector.data is not None:
            try:
                await connector.data.connect()
                await connector.data.preflight()
            except Exception as exc:
                with contextlib.suppress(Exception):
                    await connector.data.disconnect()
                raise PluginError(f"{plugin_id}: connect failed: {exc}") from exc
            if self._running:
                self.tasks.spawn(connector.data.run(), f"data:{plugin_id}")
        self.connectors[plugin_id] = connector
        self.bus.emit(Kind.CONNECTION, plugin_id, {"plugin_id": plugin_id, "state": "connected"})
        log.info("connected %s", plugin_id)
        return connector

    async def import_history(self, paths: list[Path],
                             instrument: str | None = None) -> HistoryReport:
        """Store the bars of recorded files (any replay format) without playing them.

        The files are read at full speed by the replay plugin into a sink that only stores
        bars and instruments; the report counts bars per instrument and bad rows.
        """
        if self.db is None or self.recorder is None:
            raise PluginError("the engine is not started")
        sink = HistorySink(self.recorder, self.instruments)
        context = replace(self._context(), market_data=sink)
        stats = await play_to_end(self.registry, "replay", context, {
            "paths": paths, "speed": "max", "instrument": instrument})
        sink.report.bad_rows = sum(int(f.get("bad_rows", 0)) for f in stats.get("files", []))
        for error in stats.get("errors", []):
            self.errors.append(f"history import: {error}")
        await self.recorder.flush()
        self.history = sink.report
        log.info("history imported: %s", sink.report.as_dict()["bars"])
        return sink.report

    async def disconnect(self, plugin_id: str) -> None:
        connector = self.connectors.get(plugin_id)
        if connector is None:
            raise PluginError(f"{plugin_id} is not connected")
        if plugin_id == self.options.broker:
            raise PluginError(f"{plugin_id} is the broker of this session; it stays connected")
        del self.connectors[plugin_id]
        try:
            if connector.data is not None:
                await connector.data.disconnect()
        finally:
            self.bus.emit(Kind.CONNECTION, plugin_id,
                          {"plugin_id": plugin_id, "state": "disconnected"})
            log.info("disconnected %s", plugin_id)

    async def run(self, duration_s: float | None = None, stay: bool = False) -> None:
        """Run the data clients until the finite ones end (unless `stay`), the duration
        passes, or `request_stop` is called. Data clients keep running until `stop`."""
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        self._running = True
        clients = self.data_clients()
        runners = [self.tasks.spawn(client.run(), f"data:{type(client).__name__}")
                   for client in clients]
        finite = {t for t, c in zip(runners, clients, strict=True) if c.finite}
        stop_waiter = loop.create_task(self._stopping.wait())
        deadline = None if duration_s is None else loop.time() + duration_s
        until_sources_end = bool(finite) and not stay  # else: until stopped or timed out
        try:
            while finite or not until_sources_end:
                timeout = None if deadline is None else max(0.0, deadline - loop.time())
                watched: set[asyncio.Future[Any]] = {
                    stop_waiter, *(finite if until_sources_end else ())}
                done, _ = await asyncio.wait(watched, timeout=timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
                if stop_waiter in done or (deadline is not None and loop.time() >= deadline):
                    break
                finite -= done
        finally:
            stop_waiter.cancel()
            await asyncio.gather(stop_waiter, return_exceptions=True)
            self._run_wall = time.monotonic() - started

    def request_stop(self) -> None:
        self._stopping.set()

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.api_server is not None:
            try:
                await self.api_server.stop()
            except Exception as exc:  # the API must not stop the shutdown
                self.errors.append(f"stopping the local API failed: {exc}")
        for connector in self.connectors.values():
            try:
                if connector.data is not None:
                    await connector.data.disconnect()
                if connector.execution is not None:
                    await connector.execution.disconnect()
            except Exception as exc:  # a plugin must not stop the shutdown
                self.errors.append(f"{connector.plugin_id}: disconnect failed: {exc}")
        await self.lifecycle.stop_all()  # the recorder flushes before stray tasks are cancelled
        await self.tasks.cancel_all()
        if self.feed_recorder is not None:  # no data client is left to deliver into it
            await self.feed_recorder.aclose()
        if self.db is not None:
            try:
                account = self.portfolio.account
                account.ts_updated = max(account.ts_updated, self.clock.now_ns())
                self.db.accounts.snapshot(account)
                for position in self.portfolio.positions.values():
                    self.db.positions.save(account.account_id, position)
                self.db.audit.record(time.time_ns(), "engine", "system.stop", "engine",
                                     {"market_ts": self.clock.now_ns()})
            except TerminalError as exc:
                self.errors.append(f"saving the account at shutdown failed: {exc}")
            finally:
                self.db.close()
        self._lock.release()

    # report ---------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        md = self.market_data
        events = dict(sorted(md.events.items()))
        total = sum(events.values())
        errors = list(self.errors)
        replay: dict[str, Any] = {}
        connector = self.connectors.get("replay")
        if connector is not None and connector.data is not None:
            replay = connector.data.stats()
            errors.extend(replay.get("errors", []))
        errors.extend(f"task {name} failed: {exc!r}" for name, exc in self.tasks.failures)
        if self.bus.handler_errors:
            errors.append(f"{self.bus.handler_errors} event handler errors (see the log)")
        if self.recorder is not None and self.recorder.errors:
            errors.append(f"{self.recorder.errors} failed writes of bars")
        recording = self.feed_recorder.stats() if self.feed_recorder is not None else {}
        if self.feed_recorder is not None:
            errors.extend(f"recording {self.feed_recorder.path}: {e}"
                          for e in self.feed_recorder.errors)
        for file in replay.get("files", []):
            if file["bad_rows"] and not file["rows"]:
                errors.append(f"{file['path']}: none of its {file['bad_rows']} rows could be "
                              f"read as {file['format']}")
        orders = self.orders.orders.values() if self.orders else []
        wall = self._run_wall or 1e-9
        return {
            "ok": not errors,
            "wall_seconds": round(self._run_wall, 3),
            "events": {"total": total, "by_kind": events},
            "events_per_second": round(total / wall, 1),
            "instruments": sorted(str(i) for i in md.instruments_seen),
            "books": self.books.summary(),
            "bars": {
                "timeframes": list(self.options.bar_timeframes),
                "built_from_trades": self.bars_built,
                "received_from_feed": self.bars_from_feed,
                "stored": self.recorder.bars_stored if self.recorder else 0,
                "forming_at_end": len(self.aggregator.forming()),
                "late_trades": self.aggregator.late_trades(),
                "rejected_trades": self.aggregator.rejected_trades(),
            },
            "orders": {
                "total": len(list(orders)),
                "by_status": _count(o.status.value for o in
                                    (self.orders.orders.values() if self.orders else [])),
                "rejected_by_risk": self.orders.rejections if self.orders else 0,
            },
            "fills": len(self.orders.fills) if self.orders else 0,
            "replay": replay,
            "recording": recording,
            "history": self.history.as_dict() if self.history is not None else {},
            "rejected_input_rows": {
                "count": sum(f["bad_rows"] for f in replay.get("files", [])),
                "examples": [str(p) for p in md.problems[:20]],
            },
            "quality": md.quality.summary(),
            "api": self._api_summary(),
            "warnings": self._warnings(),
            "errors": errors,
        }

    def _api_summary(self) -> dict[str, Any]:
        server = self.api_server
        if server is None:
            return {}
        metrics = server.api.metrics
        return {"url": server.url, "requests": metrics.total,
                "errors": len(metrics.recent_errors)}

    def _warnings(self) -> list[str]:
        """Things that did not fail but that a user should know about."""
        out = [] if self.api_error is None else [f"local API not served: {self.api_error}"]
        for iid, book in self.books.summary().items():
            if not book["usable"]:
                out.append(f"{iid}: book not usable at the end ({book['stale_reason']})")
        return out


def _open_recording(path: Path) -> FeedRecorder:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return FeedRecorder(path)
    except FileExistsError:
        raise ConfigError(f"cannot record to {path}: the file exists (a recording is never "
                          "overwritten)") from None
    except OSError as exc:
        raise ConfigError(f"cannot record to {path}: {exc.strerror or exc}") from None


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out
