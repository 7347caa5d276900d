"""The order manager: the one path every order takes (UI, API, webhook, strategy).

submit: normalise to the instrument's grid -> risk gate -> store the intent (PENDING_NEW) ->
send to the broker. The intent is durable before anything leaves, so a crash or reconnect
never sends twice (the client order id is the idempotency key) and never loses an order.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal
from typing import NoReturn

from terminal.core.bus import EventBus
from terminal.core.clock import Clock
from terminal.core.errors import InvalidTransition, OrderError, PersistenceError, RiskRejected
from terminal.core.tasks import TaskTracker
from terminal.core.topics import Kind
from terminal.model.ids import ClientOrderIdFactory, InstrumentId
from terminal.model.numbers import plain
from terminal.model.orders import Order, OrderStatus, OrderType
from terminal.model.portfolio import Fill
from terminal.persistence.db import Database
from terminal.plugin_host.base import ExecutionClient
from terminal.services.instruments import InstrumentService
from terminal.services.order_request import OrderRequest, normalise, same_intent
from terminal.services.portfolio import Portfolio
from terminal.services.risk import RiskGate

log = logging.getLogger(__name__)


class OrderManager:
    def __init__(self, bus: EventBus, clock: Clock, db: Database,
                 instruments: InstrumentService, portfolio: Portfolio, risk: RiskGate,
                 account_id: str = "paper", tasks: TaskTracker | None = None) -> None:
        self._bus = bus
        self._clock = clock
        self._db = db
        self._instruments = instruments
        self._portfolio = portfolio
        self.risk = risk
        self._account_id = account_id
        self._ids = ClientOrderIdFactory()
        self._broker: ExecutionClient | None = None
        self.orders: dict[str, Order] = {}
        self.fills: list[Fill] = []
        self.rejections = 0
        self._tasks = tasks
        risk.on_trip(self._tripped)

    def attach_broker(self, broker: ExecutionClient) -> None:
        self._broker = broker

    def working(self) -> list[Order]:
        return [o for o in self.orders.values() if not o.status.is_terminal]

    async def submit(self, req: OrderRequest) -> Order:
        """Place an order. A refused request raises RiskRejected and leaves no trace but
        its audit entry: nothing in memory, nothing in the orders table."""
        if self._broker is None:
            raise OrderError("no broker is connected")
        instrument = self._instruments.get(req.instrument_id) \
            if isinstance(req.instrument_id, InstrumentId) else None
        if instrument is None:
            self._reject_audit(req, "unknown_instrument", f"unknown instrument {req.instrument_id}")
        try:
            order = normalise(req, instrument, req.client_order_id or self._ids.next(),
                              self._clock.now_ns())
        except OrderError as exc:
            self._reject_audit(req, "invalid_order", str(exc))
        if req.client_order_id:  # a retry, also across restarts, is answered, never re-sent
            known = self.orders.get(order.client_order_id) or \
                self._db.orders.get(order.client_order_id)
            if known is not None:
                if same_intent(known, order):
                    return known
                self._reject_audit(req, "duplicate_client_order_id",
                                   f"client order id {order.client_order_id} is already used by "
                                   "a different order")
        try:
            self.risk.pre_trade(order, instrument, len(self.working()))
        except RiskRejected as exc:
            self._reject_audit(req, exc.reason, str(exc))
        try:
            self._db.orders.save(order)  # the intent is durable before anything is sent
        except PersistenceError as exc:
            self._reject_audit(req, "not_stored", f"the order could not be stored: {exc}")
        self.orders[order.client_order_id] = order
        self.risk.track(order)
        self._audit("order.submit", order.client_order_id, {
            "instrument": str(order.instrument_id), "side": order.side.value,
            "type": order.type.value, "quantity": plain(order.quantity),
            "price": plain(order.price) if order.price is not None else None,
            "source": order.source})
        self._bus.emit(Kind.ORDER, str(order.instrument_id), order)
        await self._broker.submit(order)
        return order

    async def cancel(self, client_order_id: str) -> Order:
        order = self.orders.get(client_order_id)
        if order is None:
            raise OrderError(f"no order {client_order_id}")
        if order.status.is_terminal:
            raise OrderError(f"order {client_order_id} is already {order.status.value}")
        if self._broker is None:
            raise OrderError("no broker is connected")
        try:
            self.risk.check_cancel(order)
        except RiskRejected as exc:
            self.rejections += 1
            self._audit("order.cancel_rejected", client_order_id,
                        {"reason": exc.reason, "message": str(exc), "source": order.source})
            raise
        return await self._cancel(order)

    async def _cancel(self, order: Order) -> Order:
        assert self._broker is not None
        self._audit("order.cancel", order.client_order_id, {"source": order.source})
        await self._broker.cancel(order)
        return order

    async def modify(self, client_order_id: str, quantity: Decimal | str,
                     price: Decimal | str | None) -> Order:
        """Change a working order's quantity and (limit) price. The new terms are checked
        and snapped like a new order's and pass the risk gate; a refusal raises and changes
        nothing. The order changes when the venue confirms (on_modified)."""
        order = self.orders.get(client_order_id)
        if order is None:
            raise OrderError(f"no order {client_order_id}")
        if not order.status.is_working:
            raise OrderError(f"order {client_order_id} is {order.status.value}, not working")
        if self._broker is None:
            raise OrderError("no broker is connected")
        if order.type is not OrderType.LIMIT:
            raise OrderError(f"a {order.type.value} order cannot be modified; cancel it and "
                             "place a new one")
        instrument = self._instruments.get(order.instrument_id)
        if instrument is None:
            raise OrderError(f"unknown instrument {order.instrument_id}")
        req = OrderRequest(order.instrument_id, order.side, order.type, quantity,
                           price if order.price is not None else None, order.stop_price,
                           order.time_in_force, order.reduce_only, order.source)
        terms = normalise(req, instrument, client_order_id, self._clock.now_ns())
        if terms.quantity <= order.filled_qty:
            raise OrderError(f"quantity {plain(terms.quantity)} is not above the filled "
                             f"{plain(order.filled_qty)}")
        try:
            self.risk.pre_trade(terms, instrument, len(self.working()), replacing=order)
        except RiskRejected as exc:
            self._reject_audit(req, exc.reason, str(exc), client_order_id)
        self._audit("order.modify", client_order_id, {
            "quantity": plain(terms.quantity),
            "price": plain(terms.price) if terms.price is not None else None})
        try:
            await self._broker.modify(order, terms.quantity, terms.price)
        except NotImplementedError as exc:
            raise OrderError(str(exc)) from exc
        return order

    async def cancel_all(self) -> int:
        """Cancel every working order (never held back by the cancel rate)."""
        if self._broker is None:
            raise OrderError("no broker is connected")
        count = 0
        for order in self.working():
            await self._cancel(order)
            count += 1
        return count

    async def engage_kill_switch(self, reason: str, actor: str = "api") -> int:
        """Stop every new order from every path, then cancel the working ones at the venue.
        Returns how many cancels were sent."""
        self.risk.engage_kill_switch(reason, actor)
        return await self.cancel_all() if self._broker is not None else 0

    def _tripped(self, reason: str) -> None:
        # a rule engaged the kill switch (e.g. the daily loss): cancel what is working
        log.warning("kill switch tripped: %s", reason)
        if self._broker is not None and self._tasks is not None:
            self._tasks.spawn(self.cancel_all(), "kill-switch-cancel-all")

    def _reject_audit(self, req: OrderRequest, reason: str, message: str,
                      subject: str | None = None) -> NoReturn:
        self.rejections += 1
        self._audit("order.rejected", (subject or str(req.client_order_id or "-"))[:64], {
            "reason": reason, "message": message, "instrument": str(req.instrument_id),
            "side": str(req.side), "quantity": str(req.quantity)[:64],
            "source": str(req.source)[:64]})
        self._bus.emit(Kind.RISK, str(req.instrument_id), {"reason": reason, "message": message})
        raise RiskRejected(reason, message)

    def _audit(self, action: str, subject: str, detail: dict[str, object]) -> None:
        # the audit log is in wall-clock time, also during a replay: it records what the
        # terminal did and when; market time is in the detail where it matters
        detail = {**detail, "market_ts": self._clock.now_ns()}
        self._db.audit.record(time.time_ns(), "engine", action, subject, detail)

    def _update(self, order: Order) -> None:
        self.risk.track(order)
        self._db.orders.save(order)
        self._bus.emit(Kind.ORDER, str(order.instrument_id), order)

    # ExecutionSink -----------------------------------------------------------------------
    def _known(self, client_order_id: str) -> Order | None:
        order = self.orders.get(client_order_id)
        if order is None:
            log.warning("execution report for unknown order %s", client_order_id)
        return order

    def on_accepted(self, client_order_id: str, venue_order_id: str, ts_ns: int) -> None:
        order = self._known(client_order_id)
        if order is None:
            return
        order.venue_order_id = venue_order_id
        if order.status is OrderStatus.PENDING_NEW:
            order.transition(OrderStatus.ACCEPTED, ts_ns)
        self._update(order)

    def on_rejected(self, client_order_id: str, reason: str, ts_ns: int) -> None:
        order = self._known(client_order_id)
        if order is None:
            return
        order.reject_reason = reason
        order.transition(OrderStatus.REJECTED, ts_ns)
        self.rejections += 1
        self._audit("order.venue_rejected", client_order_id, {"reason": reason})
        self._update(order)

    def on_canceled(self, client_order_id: str, ts_ns: int) -> None:
        order = self._known(client_order_id)
        if order is None or order.status.is_terminal:
            return
        order.transition(OrderStatus.CANCELED, ts_ns)
        self._update(order)

    def on_modified(self, client_order_id: str, quantity: Decimal, price: Decimal | None,
                    ts_ns: int) -> None:
        order = self._known(client_order_id)
        if order is None:
            return
        order.quantity = quantity
        order.price = price
        order.ts_updated = ts_ns
        self._update(order)

    def on_fill(self, fill: Fill) -> None:
        order = self._known(fill.client_order_id)
        if order is None:
            return
        instrument = self._instruments.get(fill.instrument_id)
        if instrument is None:
            log.error("fill %s for unknown instrument %s", fill.fill_id, fill.instrument_id)
            return
        try:
            order.apply_fill(fill.quantity, fill.price, fill.fee, fill.ts_event)
        except InvalidTransition:
            log.exception("fill %s does not fit order %s", fill.fill_id, order.client_order_id)
            return
        position = self._portfolio.apply_fill(fill, instrument)
        self.risk.track(order)
        self.fills.append(fill)
        self._db.record_fill(order, fill, position, self._account_id, self._portfolio.account)
        key = str(fill.instrument_id)
        self._bus.emit(Kind.FILL, key, fill)
        self._bus.emit(Kind.ORDER, key, order)
        self._bus.emit(Kind.POSITION, key, position)
        self._bus.emit(Kind.ACCOUNT, None, self._portfolio.account)
        self.risk.on_fill(fill)

    def restore(self, orders: list[Order]) -> None:
        """Take back the working orders stored by an earlier run (before reconcile)."""
        for order in orders:
            self.orders[order.client_order_id] = order
            self.risk.track(order)

    async def reconcile(self) -> int:
        """Compare working orders with what the venue holds. An order the venue does not
        hold is closed as canceled (never re-sent: the venue may have seen it), with the
        reason recorded. Returns how many orders changed."""
        if self._broker is None:
            return 0
        venue = {o.client_order_id for o in await self._broker.open_orders()}
        changed = 0
        for order in self.working():
            if order.client_order_id in venue:
                continue
            order.reject_reason = "not held by the venue at reconciliation"
            order.transition(OrderStatus.CANCELED, self._clock.now_ns())
            self._audit("order.reconciled", order.client_order_id,
                        {"status": order.status.value, "reason": order.reject_reason})
            self._update(order)
            changed += 1
        return changed
