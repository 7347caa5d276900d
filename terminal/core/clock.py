"""Clocks in int64 nanoseconds UTC. The engine reads time only through a Clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

NS_PER_SECOND = 1_000_000_000
NS_PER_MS = 1_000_000


class Clock(Protocol):
    def now_ns(self) -> int: ...


class LiveClock:
    def now_ns(self) -> int:
        return time.time_ns()


class TestClock:
    """A clock advanced explicitly (tests) or by replayed event time (replay).

    Listeners are told every advance so time-driven work (closing bars on time) happens even
    when no market event arrives for a while. Time never moves backwards.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns
        self._listeners: list[Callable[[int], None]] = []

    def now_ns(self) -> int:
        return self._now

    def on_advance(self, listener: Callable[[int], None]) -> None:
        self._listeners.append(listener)

    def advance_to(self, ts_ns: int) -> None:
        if ts_ns <= self._now:
            return
        self._now = ts_ns
        for listener in self._listeners:
            listener(ts_ns)
