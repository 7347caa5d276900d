"""When a failed delivery is tried again: the schedule with jitter, and Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from local_api.webhooks.config import WebhookSettings


def retry_after_s(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def next_delay_s(settings: WebhookSettings, attempts_done: int, asked_s: float | None,
                 rng: random.Random) -> float | None:
    """The wait before the next attempt after `attempts_done` failed ones; None: give up."""
    schedule = settings.retry_schedule_s
    if attempts_done > len(schedule):
        return None
    base = schedule[attempts_done - 1]
    delay = base * rng.uniform(1.0 - settings.jitter, 1.0 + settings.jitter)
    if asked_s is not None:
        delay = max(delay, min(asked_s, settings.max_retry_after_s))
    return delay
