"""Per-host pacing of REST calls, shared by every connector in the process.

- `take()`: the snapshot budget, a token bucket (`rate` per second, `burst` at once). Book
  snapshots are the heavy calls a reconnect of many symbols would fire all at once.
- `pause(seconds)`: after a 429 (too many requests) or 418 (IP banned) answer nothing more
  goes to that host until the venue's Retry-After has passed; `ready()` waits for it.

Gates are kept per host (`gate_for`), so two connections to the same venue share a budget.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from urllib.parse import urlsplit

_GATES: dict[str, HostGate] = {}


class HostGate:
    def __init__(self, host: str, rate: float, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a host gate needs rate > 0 and burst >= 1")
        self.host = host
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()
        self._tail: asyncio.Future[None] | None = None
        self.paused_until = 0.0
        self.granted: list[float] = []  # when each snapshot call was let through
        self.pauses: list[tuple[float, float]] = []  # (when, seconds)

    def pause(self, seconds: float) -> None:
        now = self._clock()
        self.paused_until = max(self.paused_until, now + seconds)
        self.pauses.append((now, seconds))

    async def ready(self) -> None:
        while (wait := self.paused_until - self._clock()) > 0:
            await asyncio.sleep(wait)

    async def take(self) -> None:
        """Wait for a snapshot token. Callers are served one at a time in arrival order
        (each waits for the one before, without a lock bound to one event loop), and the
        bucket is counted at the moment a call is let through, so a late wake-up never
        lets two calls go closer together than the budget allows."""
        loop = asyncio.get_running_loop()
        previous, done = self._tail, loop.create_future()
        self._tail = done
        try:
            if previous is not None and not previous.done() and previous.get_loop() is loop:
                await asyncio.shield(previous)
            while True:
                await self.ready()
                now = self._clock()
                self._tokens = min(float(self.burst),
                                   self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    self.granted.append(now)
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.rate)
        finally:
            if not done.done():
                done.set_result(None)


def gate_for(url: str, rate: float, burst: int) -> HostGate:
    """The process-wide gate of the URL's host; the strictest rate asked for wins."""
    host = urlsplit(url).netloc.lower()
    gate = _GATES.get(host)
    if gate is None:
        gate = _GATES[host] = HostGate(host, rate, burst)
    else:
        gate.rate = min(gate.rate, rate)
        gate.burst = min(gate.burst, burst)
    return gate


def retry_after(headers: dict[str, str] | object, default: float) -> float:
    """Seconds from a Retry-After header (seconds; fractions accepted), else `default`."""
    value = headers.get("retry-after") if hasattr(headers, "get") else None
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default
