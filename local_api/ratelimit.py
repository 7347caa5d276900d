"""Token buckets: per API token and tier, and per client for failed authentications."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from local_api.settings import Tier


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int  # seconds until the bucket is full again
    retry_after_s: int  # seconds until one request is allowed (0 when allowed)

    def headers(self, policy: str) -> dict[str, str]:
        out = {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining),
               "RateLimit-Reset": str(self.reset_s), "RateLimit-Policy": policy}
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after_s)
        return out


class TokenBucket:
    __slots__ = ("burst", "level", "rate", "stamp")

    def __init__(self, tier: Tier, now: float) -> None:
        self.rate = tier.rate
        self.burst = tier.burst
        self.level = float(tier.burst)
        self.stamp = now

    def _refill(self, now: float) -> None:
        self.level = min(float(self.burst), self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, now: float, cost: float = 1.0) -> Decision:
        self._refill(now)
        allowed = self.level >= cost
        if allowed:
            self.level -= cost
        missing = max(0.0, cost - self.level)
        retry = 0 if allowed else max(1, math.ceil(missing / self.rate))
        reset = math.ceil((self.burst - self.level) / self.rate) if self.rate > 0 else 0
        return Decision(allowed, self.burst, int(self.level), reset, retry)

    def peek(self, now: float) -> float:
        self._refill(now)
        return self.level


class RateLimiter:
    """One bucket per (key, tier); buckets left full for a while are forgotten."""

    def __init__(self, tiers: dict[str, Tier],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._tiers = tiers
        self._clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def policy(self, tier: str) -> str:
        t = self._tiers[tier]
        return f'"{tier}";q={t.burst};w={max(1, math.ceil(t.burst / t.rate))}'

    def take(self, key: str, tier: str) -> Decision:
        now = self._clock()
        bucket = self._buckets.get((key, tier))
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._forget_full(now)
            bucket = self._buckets[(key, tier)] = TokenBucket(self._tiers[tier], now)
        return bucket.take(now)

    def _forget_full(self, now: float) -> None:
        for k in [k for k, b in self._buckets.items() if b.peek(now) >= b.burst]:
            del self._buckets[k]


class FailureThrottle:
    """Counts failed authentications per client; an empty bucket refuses that client."""

    def __init__(self, burst: int, rate: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._tier = Tier(rate=rate, burst=burst)
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def blocked(self, client: str) -> int:
        """Seconds the client must wait, 0 when it may try."""
        bucket = self._buckets.get(client)
        if bucket is None:
            return 0
        level = bucket.peek(self._clock())
        return 0 if level >= 1.0 else max(1, math.ceil((1.0 - level) / bucket.rate))

    def failed(self, client: str) -> None:
        now = self._clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = TokenBucket(self._tier, now)
        bucket.take(now)
