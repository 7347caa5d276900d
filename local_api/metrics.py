"""Request counts, latencies, errors and use per token: Prometheus text at /metrics and a
snapshot for the API panel. Each server has its own registry (no process-global state)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                   2.5)
RATE_WINDOW_S = 10.0


@dataclass(frozen=True, slots=True)
class RecentError:
    ts_ns: int
    method: str
    route: str
    status: int
    problem: str
    token_id: str | None


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("terminal_api_requests", "Requests answered",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("terminal_api_request_seconds", "Time to answer a request",
                                 ["method", "route"], buckets=LATENCY_BUCKETS,
                                 registry=self.registry)
        self.errors = Counter("terminal_api_errors", "Answers with a problem type",
                              ["route", "problem"], registry=self.registry)
        self.token_requests = Counter("terminal_api_token_requests",
                                      "Authenticated requests per token", ["token_id"],
                                      registry=self.registry)
        self.stream_clients = Gauge("terminal_api_stream_clients",
                                    "Websocket stream clients connected",
                                    registry=self.registry)
        self.stream_messages = Counter("terminal_api_stream_messages",
                                       "Stream messages published", ["channel"],
                                       registry=self.registry)
        self.stream_closed_slow = Counter("terminal_api_stream_slow_closed",
                                          "Stream clients closed for falling behind",
                                          registry=self.registry)
        self.recent_errors: deque[RecentError] = deque(maxlen=200)
        self._stamps: deque[float] = deque(maxlen=100_000)
        self.total = 0
        self.started = time.time()
        self.per_token: dict[str, int] = {}
        # labelled children looked up once: `labels()` costs more than the increment
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}
        self._token_counters: dict[str, Any] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.total += 1
        self._stamps.append(time.monotonic())
        key = (method, route, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.requests.labels(method, route, str(status))
        counter.inc()
        timer = self._timers.get(key[:2])
        if timer is None:
            timer = self._timers[key[:2]] = self.latency.labels(method, route)
        timer.observe(seconds)

    def problem(self, method: str, route: str, status: int, problem: str,
                token_id: str | None) -> None:
        self.errors.labels(route, problem).inc()
        self.recent_errors.append(RecentError(time.time_ns(), method, route, status, problem,
                                              token_id))

    def token_used(self, token_id: str) -> None:
        self.per_token[token_id] = self.per_token.get(token_id, 0) + 1
        counter = self._token_counters.get(token_id)
        if counter is None:
            counter = self._token_counters[token_id] = self.token_requests.labels(token_id)
        counter.inc()

    def request_rate(self) -> float:
        """Requests per second over the last RATE_WINDOW_S seconds."""
        cutoff = time.monotonic() - RATE_WINDOW_S
        while self._stamps and self._stamps[0] < cutoff:
            self._stamps.popleft()
        return len(self._stamps) / RATE_WINDOW_S

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
