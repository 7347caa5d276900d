import asyncio

import pytest

from terminal.core.bus import EventBus
from terminal.core.clock import TestClock
from terminal.core.lifecycle import Lifecycle, State
from terminal.core.tasks import TaskTracker
from terminal.core.topics import Kind, Topics


def test_bus_delivers_exact_and_kind_subscriptions_in_order():
    bus = EventBus()
    seen: list[tuple[str, str, object]] = []
    bus.subscribe(Topics.of(Kind.QUOTE, "BINANCE:NKNUSDT"), lambda t, e: seen.append(("x", t, e)))
    bus.subscribe_kind(Kind.QUOTE, lambda t, e: seen.append(("k", t, e)))
    bus.emit(Kind.QUOTE, "BINANCE:NKNUSDT", 1)
    bus.emit(Kind.QUOTE, "KRAKEN:XBT/USD", 2)
    bus.emit(Kind.TRADE, "BINANCE:NKNUSDT", 3)
    assert seen == [("x", "quote.BINANCE:NKNUSDT", 1), ("k", "quote.BINANCE:NKNUSDT", 1),
                    ("k", "quote.KRAKEN:XBT/USD", 2)]
    assert bus.published["quote"] == 2 and bus.published["trade"] == 1


def test_failing_handler_does_not_stop_delivery():
    bus = EventBus()
    got: list[object] = []

    def broken(_t, _e):
        raise RuntimeError("boom")

    bus.subscribe_kind(Kind.FILL, broken)
    bus.subscribe_kind(Kind.FILL, lambda _t, e: got.append(e))
    bus.emit(Kind.FILL, "X:Y", "fill")
    assert got == ["fill"] and bus.handler_errors == 1


def test_unsubscribe_stops_delivery():
    bus = EventBus()
    got: list[object] = []
    sub = bus.subscribe_kind(Kind.BAR, lambda _t, e: got.append(e))
    bus.emit(Kind.BAR, "A:B", 1)
    sub.cancel()
    bus.emit(Kind.BAR, "A:B", 2)
    assert got == [1]


def test_post_threadsafe_delivers_on_the_loop():
    async def scenario() -> list[object]:
        bus = EventBus(asyncio.get_running_loop())
        got: list[object] = []
        bus.subscribe_kind(Kind.SYSTEM, lambda _t, e: got.append(e))
        await asyncio.to_thread(bus.post_threadsafe, Topics.of(Kind.SYSTEM), "hello")
        await asyncio.sleep(0.01)
        return got

    assert asyncio.run(scenario()) == ["hello"]


def test_test_clock_never_moves_backwards_and_notifies():
    clock = TestClock(100)
    seen: list[int] = []
    clock.on_advance(seen.append)
    clock.advance_to(200)
    clock.advance_to(150)
    assert clock.now_ns() == 200 and seen == [200]


def test_tracked_task_failures_are_recorded():
    async def scenario() -> TaskTracker:
        tracker = TaskTracker()

        async def fail() -> None:
            raise ValueError("bad")

        tracker.spawn(fail(), "failing")
        await asyncio.sleep(0.01)
        return tracker

    tracker = asyncio.run(scenario())
    assert tracker.running == 0
    assert tracker.failures[0][0] == "failing"
    assert isinstance(tracker.failures[0][1], ValueError)


class _Component:
    def __init__(self, name: str, log: list[str], fail: bool = False) -> None:
        self.name, self._log, self._fail = name, log, fail

    async def start(self) -> None:
        if self._fail:
            raise RuntimeError("cannot start")
        self._log.append(f"start {self.name}")

    async def stop(self) -> None:
        self._log.append(f"stop {self.name}")


def test_lifecycle_stops_in_reverse_and_unwinds_on_failure():
    log: list[str] = []
    life = Lifecycle()
    for c in (_Component("a", log), _Component("b", log), _Component("c", log, fail=True)):
        life.add(c)
    with pytest.raises(RuntimeError):
        asyncio.run(life.start_all())
    assert log == ["start a", "start b", "stop b", "stop a"]
    assert life.states == {"a": State.STOPPED, "b": State.STOPPED, "c": State.FAILED}
