"""Which terminal events become webhook events, under which type names, and their data.

The bridge listens on the bus (as the stream hub does) and hands each event to a publish
function; the kill switch has no bus event, so its state is looked at on each tick.
"""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from local_api.stream import ROUTES
from terminal.core.bus import EventBus, Subscription
from terminal.core.topics import Kind
from terminal.model.orders import Order

EVENT_TYPES = (
    "order.submitted", "order.accepted", "order.rejected", "order.partially_filled",
    "order.filled", "order.cancelled", "order.expired", "order.updated",
    "fill", "position.changed", "signal.generated", "alert.triggered", "risk.rejected",
    "kill_switch.engaged", "kill_switch.released", "connection.up", "connection.down",
    "data_quality.finding", "system.started", "system.stopping", "system.event",
    "webhook.ping",
)
ORDER_TYPES = {"pending_new": "order.submitted", "accepted": "order.accepted",
               "rejected": "order.rejected", "partially_filled": "order.partially_filled",
               "filled": "order.filled", "canceled": "order.cancelled",
               "expired": "order.expired"}
SIMPLE = {Kind.FILL: "fill", Kind.POSITION: "position.changed",
          Kind.SIGNAL: "signal.generated", Kind.ALERT: "alert.triggered",
          Kind.RISK: "risk.rejected", Kind.QUALITY: "data_quality.finding",
          Kind.SYSTEM: "system.event"}
Publish = Callable[[str, Any], object]


def valid_filter(pattern: str) -> bool:
    return any(fnmatchcase(t, pattern) for t in EVENT_TYPES)


def matches(patterns: tuple[str, ...], event_type: str) -> bool:
    return any(fnmatchcase(event_type, p) for p in patterns)


def _data(kind: Kind, event: Any) -> Any:
    return ROUTES[kind][1](event)


class BusBridge:
    def __init__(self, bus: EventBus, publish: Publish,
                 watch_kill_switch: Callable[[Callable[[bool, str], None]],
                                             Callable[[], None]]) -> None:
        self._bus = bus
        self._publish = publish
        self._watch_kill_switch = watch_kill_switch
        self._unwatch: Callable[[], None] | None = None
        self._order_status: dict[str, str] = {}
        self._subs: list[Subscription] = []

    def start(self) -> None:
        self._unwatch = self._watch_kill_switch(self._kill_switch)
        self._subs.append(self._bus.subscribe_kind(Kind.ORDER, self._order))
        self._subs.append(self._bus.subscribe_kind(Kind.CONNECTION, self._connection))
        for kind, name in SIMPLE.items():
            self._subs.append(self._bus.subscribe_kind(kind, self._simple(kind, name)))

    def stop(self) -> None:
        for sub in self._subs:
            sub.cancel()
        self._subs.clear()
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None

    def _simple(self, kind: Kind, name: str) -> Callable[[str, Any], None]:
        def handle(_topic: str, event: Any) -> None:
            self._publish(name, _data(kind, event))
        return handle

    def _order(self, _topic: str, order: Order) -> None:
        status = order.status.value
        seen = self._order_status.get(order.client_order_id)
        if order.status.is_terminal:
            self._order_status.pop(order.client_order_id, None)
        else:
            self._order_status[order.client_order_id] = status
        name = "order.updated" if seen == status and status != "partially_filled" \
            else ORDER_TYPES.get(status, "order.updated")
        self._publish(name, _data(Kind.ORDER, order))

    def _connection(self, _topic: str, event: Any) -> None:
        data = _data(Kind.CONNECTION, event)
        state = str(data.get("state", "")) if isinstance(data, dict) else ""
        self._publish("connection.up" if state in ("connected", "up") else "connection.down",
                      data)

    def _kill_switch(self, engaged: bool, reason: str) -> None:
        self._publish("kill_switch.engaged" if engaged else "kill_switch.released",
                      {"engaged": engaged, "reason": reason})
