"""Builds the Coinbase connector (public data only)."""

from __future__ import annotations

from plugins.coinbase.config import CoinbaseConfig
from plugins.coinbase.data_client import CoinbaseDataClient
from plugins.coinbase.instrument_provider import CoinbaseInstrumentProvider
from terminal.plugin_host.base import Connector, PluginContext


def create(context: PluginContext, config: CoinbaseConfig) -> Connector:
    return Connector(plugin_id="coinbase",
                     instruments=CoinbaseInstrumentProvider(config.rest_url),
                     data=CoinbaseDataClient(context, config))
