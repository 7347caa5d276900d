"""Settings of the Binance spot connector.

Base URLs are settings: live (the defaults), the spot testnet
(`https://testnet.binance.vision`, `wss://stream.testnet.binance.vision`), or a local server.
API key and secret are secret fields: the connect dialog keeps them in the OS keyring; left
empty here, the factory reads them from the keyring (scope `plugin.binance`). Public market
data needs no key.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from plugins.venue_settings import base_url, known_channels

LIVE_REST = "https://api.binance.com"
LIVE_WS = "wss://stream.binance.com:9443"
CHANNELS = ("trades", "agg_trades", "klines", "depth", "book_ticker")


class BinanceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    symbols: list[str] = Field(default_factory=lambda: ["BTCUSDT"], min_length=1,
                               description="Spot symbols, e.g. BTCUSDT, ETHUSDT")
    channels: list[str] = Field(default_factory=lambda: ["agg_trades", "depth", "book_ticker",
                                                         "klines"],
                                description=f"Streams per symbol: {', '.join(CHANNELS)}")
    kline_interval: str = Field("1m", description="Interval of the kline stream")
    rest_url: str = Field(LIVE_REST, description="REST base URL (live, testnet or local)")
    ws_url: str = Field(LIVE_WS, description="Websocket base URL (live, testnet or local)")
    api_key: SecretStr | None = Field(None, description="API key (trading only)")
    api_secret: SecretStr | None = Field(None, description="API secret (trading only)")
    recv_window_ms: int = Field(5000, ge=1, le=60_000,
                                description="How long a signed request stays valid")
    depth_limit: int = Field(1000, description="Levels of the REST book snapshot")
    load_instruments: bool = Field(True, description="Announce exchangeInfo instruments")
    snapshot_rate: float = Field(1.0, gt=0, le=50,
                                 description="Book snapshots per second per host, at most")
    snapshot_burst: int = Field(2, ge=1, le=50, description="Snapshots allowed at once")
    weight_limit: int = Field(6000, ge=1, description="Request weight per minute to stay under")
    backoff_initial_s: float = Field(0.5, gt=0, le=60, description="First reconnect delay")
    backoff_max_s: float = Field(30.0, gt=0, le=600, description="Longest reconnect delay")
    silence_timeout_s: float = Field(60.0, gt=0, description="A stream silent this long "
                                     "is replaced")
    max_connection_age_s: float = Field(23.5 * 3600, gt=0, description="Connections are "
                                        "replaced before Binance cuts them at 24 hours")
    ban_backoff_s: float = Field(60.0, gt=0, description="Pause after a 418 without "
                                 "Retry-After")

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, value: list[str]) -> list[str]:
        out = [s.strip().upper() for s in value if s.strip()]
        bad = [s for s in out if not s.isalnum()]
        if bad or not out:
            raise ValueError(f"symbols are letters and digits, e.g. BTCUSDT (got {bad})")
        return list(dict.fromkeys(out))

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        return known_channels(value, CHANNELS)

    @field_validator("depth_limit")
    @classmethod
    def _depth(cls, value: int) -> int:
        if value not in (5, 10, 20, 50, 100, 500, 1000, 5000):
            raise ValueError("depth_limit is one of 5, 10, 20, 50, 100, 500, 1000, 5000")
        return value

    @field_validator("rest_url", "ws_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return base_url(value)

    def has_keys(self) -> bool:
        return bool(self.api_key and self.api_secret and self.api_key.get_secret_value()
                    and self.api_secret.get_secret_value())
