"""What the webhook machinery is configured with (part of the API settings)."""

from __future__ import annotations

from dataclasses import dataclass

# Standard Webhooks' suggested shape: quick first retries, then hours apart (~10 h in all)
DEFAULT_SCHEDULE_S = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0)


@dataclass(frozen=True)
class WebhookSettings:
    retry_schedule_s: tuple[float, ...] = DEFAULT_SCHEDULE_S  # waits before retry 1, 2, ...
    jitter: float = 0.2  # each wait is drawn from [w * (1 - jitter), w * (1 + jitter)]
    max_retry_after_s: float = 86_400.0  # a receiver's Retry-After is honoured up to this
    timeout_s: float = 10.0  # per attempt, unless the endpoint says otherwise
    max_concurrency: int = 4  # attempts in flight per endpoint, unless it says otherwise
    max_in_flight: int = 2000  # messages held in memory at once; the rest wait in the outbox
    poll_s: float = 1.0  # how often the outbox is read for due retries and outside changes
    batch: int = 500  # messages read or written per database round trip
    excerpt_chars: int = 500  # of each response body kept in the delivery log
    rotation_overlap_s: float = 86_400.0  # a rotated-out secret still signs this long
    max_body_bytes: int = 65_536  # inbound request bodies
    hook_rate: float = 2.0  # inbound requests per second per hook (refill)
    hook_burst: int = 20
    replay_window_s: int = 86_400  # accepted inbound ids are remembered this long
