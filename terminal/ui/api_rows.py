"""What the API panel shows, from the server's records and metrics. Pure functions: no Qt.

Token rows hold text for every time column: ISO-like UTC text sorts as the times do, and
"never" (no expiry) sorts after every date. Nothing here ever sees a token's text.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from local_api.tokens import highest_scope  # stdlib only: the UI does not load the server
from terminal.persistence.records import ApiTokenRecord
from terminal.ui.rows import clock

if TYPE_CHECKING:
    from local_api.metrics import RecentError

Keyed = list[tuple[object, tuple[Any, ...]]]
Pending = Callable[[str], tuple[int | None, int]]  # token id -> (last used ns, uses)

TOKEN_HEADERS = ("Name", "Id", "Kind", "Scope", "Created", "Expires", "Last used", "Uses",
                 "Status")
ERROR_HEADERS = ("Time", "Method", "Route", "Status", "Problem", "Token id")
SPARK_SECONDS = 60


class MetricsView(Protocol):
    """The part of local_api.metrics.ApiMetrics the panel reads."""

    total: int
    started: float
    recent_errors: deque[RecentError]

    def request_rate(self) -> float: ...


@dataclass(frozen=True, slots=True)
class ServerSummary:
    listening: bool
    state: str  # the URL, or why the API is off
    uptime: str = ""
    requests: int = 0
    rate_per_s: float = 0.0
    stream_clients: int = 0


def duration_text(seconds: float) -> str:
    """A running time as a person reads it: 45s, 12m 05s, 3h 04m, 2d 05h."""
    s = max(0, int(seconds))
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes, s = divmod(s, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {s:02d}s"
    return f"{s}s"


def rate_text(per_s: float) -> str:
    return f"{per_s:,.1f}/s" if per_s < 100 else f"{per_s:,.0f}/s"


def off_reason(api_requested: bool, error: str | None) -> str:
    """Why there is no server: not asked for, failed to start (the engine's message), or not
    started yet."""
    if not api_requested:
        return "off: the API is not enabled in this session"
    if error:
        return f"off: failed to start: {error}"
    return "off: not started yet"


def server_summary(url: str, metrics: MetricsView, stream_clients: int,
                   now: float | None = None) -> ServerSummary:
    now = time.time() if now is None else now
    return ServerSummary(listening=True, state=url, uptime=duration_text(now - metrics.started),
                         requests=metrics.total, rate_per_s=metrics.request_rate(),
                         stream_clients=stream_clients)


def summary_text(summary: ServerSummary) -> str:
    """The one line under the URL."""
    if not summary.listening:
        return ""
    return (f"up {summary.uptime} · {summary.requests:,} requests · "
            f"{rate_text(summary.rate_per_s)} (last 10 s) · "
            f"{summary.stream_clients} stream client{'' if summary.stream_clients == 1 else 's'}")


def status_bar_text(url: str | None) -> str:
    return f"API: {url}" if url else "API: off"


def token_status(record: ApiTokenRecord, now_ns: int) -> str:
    if record.revoked_ns is not None:
        return "revoked"
    if record.expires_ns is not None and record.expires_ns <= now_ns:
        return "expired"
    return "active"


def token_rows(records: Iterable[ApiTokenRecord], pending: Pending,
               now_ns: int | None = None) -> Keyed:
    """Newest first; uses and last use include those not yet written to the database."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    rows: Keyed = []
    for r in sorted(records, key=lambda r: r.created_ns, reverse=True):
        last_pending, count = pending(r.token_id)
        last = max((t for t in (r.last_used_ns, last_pending) if t), default=None)
        rows.append((r.token_id, (
            r.name, r.token_id, r.kind, highest_scope(r.scopes), clock(r.created_ns),
            "never" if r.expires_ns is None else clock(r.expires_ns),
            "" if last is None else clock(last), r.uses + count, token_status(r, now_ns))))
    return rows


def clock_ms(ts_ns: int) -> str:
    """UTC to the millisecond: errors come in bursts within a second."""
    return f"{clock(ts_ns)}.{ts_ns // 1_000_000 % 1000:03d}"


def error_rows(errors: Iterable[RecentError]) -> Keyed:
    """Newest first. Errors have no id: the key is the error with how many identical ones
    came before it, so a row keeps its key as others arrive."""
    seen: dict[RecentError, int] = {}
    keyed: Keyed = []
    for e in errors:
        n = seen[e] = seen.get(e, 0) + 1
        keyed.append(((e, n), (clock_ms(e.ts_ns), e.method, e.route, e.status, e.problem,
                               e.token_id or "")))
    keyed.reverse()
    return keyed


class RequestHistory:
    """Requests answered in each of the last `seconds` seconds, from the running total sampled
    about once a second (the sparkline)."""

    def __init__(self, seconds: int = SPARK_SECONDS) -> None:
        self.counts: deque[float] = deque([0.0] * seconds, maxlen=seconds)
        self._last: tuple[float, int] | None = None

    def sample(self, total: int, now: float) -> None:
        if self._last is not None:
            then, before = self._last
            elapsed = now - then
            if elapsed <= 0:
                return
            self.counts.append(max(0, total - before) / elapsed)
        self._last = (now, total)
