"""The live signal engine: closed bars from the bus in, signals (and orders) out.

Strategies are registered at run time. Each gets the closed bars (Kind.BAR) of its
instrument and timeframe, in order; every signal is published as Kind.SIGNAL and kept in a
bounded log. A registration in auto-trade mode turns each signal into an order through the
one order path (risk engine, order manager, broker) with source `strategy:<id>`; a refusal
is logged and counted, never raised into the bus.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Protocol

from terminal.core.bus import EventBus, Subscription
from terminal.core.errors import OrderError, RiskRejected
from terminal.core.tasks import TaskTracker
from terminal.core.topics import Kind, Topics
from terminal.model.ids import InstrumentId
from terminal.model.market import Bar
from terminal.model.orders import Order, OrderStatus, OrderType
from terminal.model.signals import Signal
from terminal.services.order_request import OrderRequest
from terminal.services.signals.base import AnyStrategy
from terminal.services.signals.history import BarHistory

log = logging.getLogger(__name__)

DEFAULT_KEEP = 1000


class OrderSubmitter(Protocol):
    async def submit(self, req: OrderRequest) -> Order: ...


@dataclass
class Registration:
    strategy: AnyStrategy
    history: BarHistory
    auto_trade: bool = False
    quantity: Decimal = Decimal(0)
    order_type: Literal["market", "limit"] = "market"  # a limit order rests at the close
    signals: int = 0
    errors: int = 0
    last_bar_ts: int = field(default=-(2**63))


@dataclass
class SignalStats:
    signals: int = 0
    orders_submitted: int = 0
    orders_refused: int = 0  # by the risk engine or as invalid, before reaching a broker
    orders_rejected: int = 0  # by the broker
    strategy_errors: int = 0
    late_bars: int = 0  # a bar not after the last one fed to that strategy


class SignalEngine:
    def __init__(self, bus: EventBus, tasks: TaskTracker,
                 orders: Callable[[], OrderSubmitter | None], keep: int = DEFAULT_KEEP) -> None:
        self._bus = bus
        self._tasks = tasks
        self._orders = orders
        self._registrations: dict[str, Registration] = {}
        self._by_instrument: dict[InstrumentId, list[Registration]] = {}
        self._subscriptions: dict[InstrumentId, Subscription] = {}
        self._pending: set[asyncio.Task[Any]] = set()
        self.recent: deque[Signal] = deque(maxlen=keep)
        self.stats = SignalStats()

    # registration ---------------------------------------------------------------------
    def add(self, strategy: AnyStrategy, auto_trade: bool = False,
            quantity: Decimal | str | int | None = None,
            order_type: Literal["market", "limit"] = "market") -> str:
        """Register a strategy from its next bar on; its id, which must be new."""
        sid = strategy.strategy_id
        if sid in self._registrations:
            raise ValueError(f"a strategy with id {sid!r} is already registered")
        qty = Decimal(0) if quantity is None else Decimal(str(quantity))
        if auto_trade and not qty > 0:
            raise ValueError("auto-trade needs a positive quantity")
        if order_type not in ("market", "limit"):
            raise ValueError(f"order_type must be 'market' or 'limit', not {order_type!r}")
        reg = Registration(strategy, strategy.new_history(), auto_trade, qty, order_type)
        self._registrations[sid] = reg
        iid = strategy.instrument_id
        self._by_instrument.setdefault(iid, []).append(reg)
        if iid not in self._subscriptions:
            self._subscriptions[iid] = self._bus.subscribe(Topics.of(Kind.BAR, str(iid)),
                                                           self._on_bar)
        log.info("strategy %s added (auto-trade %s)", strategy, "on" if auto_trade else "off")
        return sid

    def remove(self, strategy_id: str) -> None:
        reg = self._registrations.pop(strategy_id)
        iid = reg.strategy.instrument_id
        regs = self._by_instrument[iid]
        regs.remove(reg)
        if not regs:
            del self._by_instrument[iid]
            self._subscriptions.pop(iid).cancel()

    def set_auto_trade(self, strategy_id: str, on: bool,
                       quantity: Decimal | str | int | None = None) -> None:
        reg = self._registrations[strategy_id]
        qty = reg.quantity if quantity is None else Decimal(str(quantity))
        if on and not qty > 0:
            raise ValueError("auto-trade needs a positive quantity")
        reg.auto_trade, reg.quantity = on, qty

    def strategies(self) -> list[AnyStrategy]:
        return [r.strategy for r in self._registrations.values()]

    def registration(self, strategy_id: str) -> Registration:
        return self._registrations[strategy_id]

    # bars in, signals out -------------------------------------------------------------
    def _on_bar(self, _topic: str, bar: Bar) -> None:
        if not bar.closed:
            return
        for reg in self._by_instrument.get(bar.instrument_id, ()):
            strategy = reg.strategy
            if bar.interval_ns != strategy.interval_ns:
                continue
            if bar.ts <= reg.last_bar_ts:
                self.stats.late_bars += 1
                continue
            reg.last_bar_ts = bar.ts
            reg.history.append(bar)
            try:
                signal = strategy.on_bar(bar, reg.history)
            except Exception:  # one strategy's bug must not silence the others
                reg.errors += 1
                self.stats.strategy_errors += 1
                log.exception("strategy %s failed on the bar at %d", strategy.strategy_id,
                              bar.ts)
                continue
            if signal is not None:
                self._publish(reg, signal)

    def _publish(self, reg: Registration, signal: Signal) -> None:
        reg.signals += 1
        self.stats.signals += 1
        self.recent.append(signal)
        self._bus.emit(Kind.SIGNAL, str(signal.instrument_id), signal)
        if reg.auto_trade:
            self._spawn(self._trade(reg, signal), f"signal-order:{signal.strategy_id}")

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = self._tasks.spawn(coro, name)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _trade(self, reg: Registration, signal: Signal) -> None:
        orders = self._orders()
        sid = signal.strategy_id
        if orders is None:
            self.stats.orders_refused += 1
            log.warning("signal of %s not traded: the order path is not started", sid)
            return
        limit = reg.order_type == "limit"
        req = OrderRequest(signal.instrument_id, signal.side,
                           OrderType.LIMIT if limit else OrderType.MARKET, reg.quantity,
                           repr(signal.price) if limit else None, source=f"strategy:{sid}",
                           tags={"signal_ts": str(signal.ts)})
        try:
            order = await orders.submit(req)
        except RiskRejected as exc:
            self.stats.orders_refused += 1
            log.warning("order of %s refused by the risk engine (%s): %s", sid, exc.reason,
                        exc)
            return
        except OrderError as exc:
            self.stats.orders_refused += 1
            log.warning("order of %s refused: %s", sid, exc)
            return
        self.stats.orders_submitted += 1
        if order.status is OrderStatus.REJECTED:
            self.stats.orders_rejected += 1
            log.warning("order %s of %s rejected by the broker: %s", order.client_order_id,
                        sid, order.reject_reason)

    async def drain(self) -> None:
        """Wait for the orders of signals already given to be submitted."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    def close(self) -> None:
        for sub in self._subscriptions.values():
            sub.cancel()
        self._subscriptions.clear()
