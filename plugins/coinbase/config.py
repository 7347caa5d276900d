"""Settings of the Coinbase connector (public data: no keys)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from plugins.venue_settings import base_url, known_channels

CHANNELS = ("level2", "matches", "ticker")


class CoinbaseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    products: list[str] = Field(default_factory=lambda: ["BTC-USD"], min_length=1,
                                description="Product ids, e.g. BTC-USD, ETH-EUR")
    channels: list[str] = Field(default_factory=lambda: list(CHANNELS),
                                description=f"Channels: {', '.join(CHANNELS)}")
    ws_url: str = Field("wss://ws-feed.exchange.coinbase.com",
                        description="Websocket feed URL (live, sandbox or local)")
    rest_url: str = Field("https://api.exchange.coinbase.com", description="REST base URL")
    load_instruments: bool = Field(True, description="Announce /products instruments")
    resync_rate: float = Field(1.0, gt=0, le=50, description="Book resubscriptions per "
                               "second per host, at most")
    resync_burst: int = Field(2, ge=1, le=50, description="Resubscriptions allowed at once")
    backoff_initial_s: float = Field(0.5, gt=0, le=60, description="First reconnect delay")
    backoff_max_s: float = Field(30.0, gt=0, le=600, description="Longest reconnect delay")
    silence_timeout_s: float = Field(30.0, gt=0, description="A feed silent this long is "
                                     "replaced")

    @field_validator("products")
    @classmethod
    def _products(cls, value: list[str]) -> list[str]:
        out = [p.strip().upper() for p in value if p.strip()]
        bad = [p for p in out if "-" not in p]
        if bad or not out:
            raise ValueError(f"product ids look like BTC-USD (got {bad})")
        return list(dict.fromkeys(out))

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        return known_channels(value, CHANNELS)

    @field_validator("rest_url", "ws_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return base_url(value)
