"""A synchronous publish/subscribe bus that runs on the one event loop.

Handlers are plain callables invoked in subscription order. A failing handler is logged and
counted; it never stops delivery to the others. Publishing from another thread must go through
`post_threadsafe`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from terminal.core.topics import Kind, Topics

log = logging.getLogger(__name__)

Handler = Callable[[str, Any], None]


class Subscription:
    __slots__ = ("_bus", "topic", "handler")

    def __init__(self, bus: EventBus, topic: str, handler: Handler) -> None:
        self._bus = bus
        self.topic = topic
        self.handler = handler

    def cancel(self) -> None:
        self._bus.unsubscribe(self)


class EventBus:
    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._exact: dict[str, list[Handler]] = defaultdict(list)
        self._by_kind: dict[str, list[Handler]] = defaultdict(list)
        self._loop = loop
        self.published: dict[str, int] = defaultdict(int)
        self.handler_errors = 0
        # topic -> (kind, handlers in delivery order); rebuilt lazily after any
        # (un)subscription, so a publish costs one dict lookup before delivery
        self._routes: dict[str, tuple[str, tuple[Handler, ...]]] = {}
        self.version = 0  # changes with every (un)subscription

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, topic: str, handler: Handler) -> Subscription:
        kind, _, key = topic.partition(".")
        if key == "*":
            self._by_kind[kind].append(handler)
        else:
            self._exact[topic].append(handler)
        self._routes.clear()
        self.version += 1
        return Subscription(self, topic, handler)

    def subscribe_kind(self, kind: Kind, handler: Handler) -> Subscription:
        return self.subscribe(Topics.all(kind), handler)

    def unsubscribe(self, sub: Subscription) -> None:
        kind, _, key = sub.topic.partition(".")
        table = self._by_kind[kind] if key == "*" else self._exact[sub.topic]
        if sub.handler in table:
            table.remove(sub.handler)
        self._routes.clear()
        self.version += 1

    def has_handlers(self, topic: str) -> bool:
        """Whether publishing on `topic` would reach anyone now."""
        return bool((self._routes.get(topic) or self._route(topic))[1])

    def count_unheard(self, kind: Kind, count: int) -> None:
        """Count `count` publishes of `kind` skipped because no handler would hear them."""
        self.published[kind] += count

    def _route(self, topic: str) -> tuple[str, tuple[Handler, ...]]:
        kind = topic.partition(".")[0]
        route = self._routes[topic] = (
            kind, (*self._exact.get(topic, ()), *self._by_kind.get(kind, ())))
        return route

    def publish(self, topic: str, event: Any) -> None:
        kind, handlers = self._routes.get(topic) or self._route(topic)
        self.published[kind] += 1
        for handler in handlers:
            try:
                handler(topic, event)
            except Exception:
                self.handler_errors += 1
                log.exception("bus handler %r failed on %s", handler, topic)

    def emit(self, kind: Kind, key: str | None, event: Any) -> None:
        self.publish(Topics.of(kind, key), event)

    def post_threadsafe(self, topic: str, event: Any) -> None:
        """Publish from a foreign thread: the delivery happens on the bus's loop."""
        if self._loop is None:
            raise RuntimeError("bus has no loop bound; call bind_loop first")
        self._loop.call_soon_threadsafe(self.publish, topic, event)
