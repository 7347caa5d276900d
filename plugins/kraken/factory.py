"""Builds the Kraken connector (public data only)."""

from __future__ import annotations

from plugins.kraken.config import KrakenConfig
from plugins.kraken.data_client import KrakenDataClient
from plugins.kraken.instrument_provider import KrakenInstrumentProvider
from terminal.plugin_host.base import Connector, PluginContext


def create(context: PluginContext, config: KrakenConfig) -> Connector:
    return Connector(plugin_id="kraken", instruments=KrakenInstrumentProvider(config.rest_url),
                     data=KrakenDataClient(context, config))
