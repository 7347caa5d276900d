"""The built-in connectors pass the same conformance suite a third-party connector runs.
Their settings point at a port that refuses connections: they must keep retrying quietly
and stop when disconnected."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import SecretStr

from terminal.plugin_host.conformance import ConnectorConformance

NOWHERE = {"ws_url": "ws://127.0.0.1:9", "rest_url": "http://127.0.0.1:9",
           "load_instruments": False, "backoff_initial_s": 0.01}


class TestBinanceConformance(ConnectorConformance):
    plugin = "binance"
    settings: ClassVar[dict[str, Any]] = {**NOWHERE, "api_key": SecretStr("k-123"),
                                          "api_secret": SecretStr("s-456")}


class TestCoinbaseConformance(ConnectorConformance):
    plugin = "coinbase"
    settings: ClassVar[dict[str, Any]] = NOWHERE


class TestKrakenConformance(ConnectorConformance):
    plugin = "kraken"
    settings: ClassVar[dict[str, Any]] = NOWHERE


class TestTemplateConformance(ConnectorConformance):
    plugin = "plugins/_template"
    settings: ClassVar[dict[str, Any]] = {"url": "ws://127.0.0.1:9/feed",
                                          "backoff_initial_s": 0.01}
