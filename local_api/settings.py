"""What the local API server is configured with: where it listens and how much it allows."""

from __future__ import annotations

from dataclasses import dataclass, field

from local_api.webhooks.config import WebhookSettings

DEFAULT_PORT = 8765
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Tier:
    """A token bucket: `rate` requests per second refill, `burst` the most at once."""

    rate: float
    burst: int


DEFAULT_TIERS = {
    "read": Tier(rate=50.0, burst=100),
    "trade": Tier(rate=10.0, burst=20),
    "admin": Tier(rate=5.0, burst=20),
    "pairing": Tier(rate=0.2, burst=5),
}


@dataclass(frozen=True)
class ApiSettings:
    host: str = LOOPBACK
    port: int = DEFAULT_PORT  # 0: any free port (tests)
    # Host header values accepted besides the loopback names with the bound port
    extra_hosts: tuple[str, ...] = ()
    # Origin header values accepted besides the server's own origin (the /docs page)
    extra_origins: tuple[str, ...] = ()
    tiers: dict[str, Tier] = field(default_factory=lambda: dict(DEFAULT_TIERS))
    # failed authentications per client before it is refused for a while
    auth_failure_burst: int = 20
    auth_failure_rate: float = 0.5  # failures forgiven per second
    token_cache_s: float = 1.0  # a token revoked elsewhere (the CLI) stops within this
    stream_queue: int = 2000  # messages waiting for one client before it is closed
    stream_history: int = 20_000  # messages kept for resuming
    stream_retention_s: float = 300.0  # how long after the last client leaves they are kept
    concurrency: int = 8  # requests worked on at once
    # LAN mode for a phone (opt-in): the API also listens here, with TLS only
    lan_host: str | None = None
    lan_port: int = 8766
    # paths whose POST bodies are not JSON (inbound alerts are text/plain by design)
    non_json_paths: tuple[str, ...] = ()
    # path prefixes whose POST bodies may be text/plain (TradingView alerts are)
    non_json_prefixes: tuple[str, ...] = ("/hooks/",)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
