"""Order and cancel rate throttles: at most N in any sliding one-second window (wall time,
since the venue counts real seconds, also during a replay)."""

from __future__ import annotations

from collections import deque

from terminal.core.errors import RiskRejected

WINDOW_NS = 1_000_000_000


class SlidingWindow:
    def __init__(self, reason: str, what: str) -> None:
        self._reason = reason
        self._what = what
        self._times: deque[int] = deque()

    def check(self, now_ns: int, limit: int) -> None:
        if not limit:
            return
        times = self._times
        cutoff = now_ns - WINDOW_NS
        while times and times[0] <= cutoff:
            times.popleft()
        if len(times) >= limit:
            wait_ms = (times[0] - cutoff) / 1e6
            raise RiskRejected(self._reason,
                               f"{len(times)} {self._what} in the last second (limit "
                               f"{limit}/s): retry in {wait_ms:.0f} ms")

    def record(self, now_ns: int) -> None:
        self._times.append(now_ns)
