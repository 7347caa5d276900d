"""Settings: every field has a default and a description (the connect dialog shows them).
Secrets are SecretStr: masked in the dialog, kept in the keyring, never printed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class TemplateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field("ws://127.0.0.1:8765/feed", description="Websocket URL of the feed")
    symbols: list[str] = Field(default_factory=lambda: ["DEMO"], description="Symbols")
    api_key: SecretStr | None = Field(None, description="API key, if the feed needs one")
    backoff_initial_s: float = Field(0.5, gt=0, description="First reconnect delay")
    backoff_max_s: float = Field(30.0, gt=0, description="Longest reconnect delay")
