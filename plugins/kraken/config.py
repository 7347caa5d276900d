"""Settings of the Kraken connector (public data: no keys)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from plugins.venue_settings import base_url, known_channels

CHANNELS = ("book", "trade", "ticker")


class KrakenConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pairs: list[str] = Field(default_factory=lambda: ["XBT/USD"], min_length=1,
                             description="Websocket pair names, e.g. XBT/USD, ETH/EUR")
    channels: list[str] = Field(default_factory=lambda: list(CHANNELS),
                                description=f"Channels: {', '.join(CHANNELS)}")
    depth: int = Field(1000, description="Book depth: 10, 25, 100, 500 or 1000")
    ws_url: str = Field("wss://ws.kraken.com", description="Websocket URL (live or local)")
    rest_url: str = Field("https://api.kraken.com", description="REST base URL")
    load_instruments: bool = Field(True, description="Announce AssetPairs instruments")
    resync_rate: float = Field(1.0, gt=0, le=50, description="Book resubscriptions per "
                               "second per host, at most")
    resync_burst: int = Field(2, ge=1, le=50, description="Resubscriptions allowed at once")
    backoff_initial_s: float = Field(0.5, gt=0, le=60, description="First reconnect delay")
    backoff_max_s: float = Field(30.0, gt=0, le=600, description="Longest reconnect delay")
    silence_timeout_s: float = Field(10.0, gt=0, description="Kraken sends a heartbeat "
                                     "every second when idle; silent this long, the "
                                     "connection is replaced")

    @field_validator("pairs")
    @classmethod
    def _pairs(cls, value: list[str]) -> list[str]:
        out = [p.strip().upper() for p in value if p.strip()]
        bad = [p for p in out if "/" not in p]
        if bad or not out:
            raise ValueError(f"pairs are websocket names like XBT/USD (got {bad})")
        return list(dict.fromkeys(out))

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        return known_channels(value, CHANNELS)

    @field_validator("depth")
    @classmethod
    def _depth(cls, value: int) -> int:
        if value not in (10, 25, 100, 500, 1000):
            raise ValueError("depth is one of 10, 25, 100, 500, 1000")
        return value

    @field_validator("rest_url", "ws_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return base_url(value)
