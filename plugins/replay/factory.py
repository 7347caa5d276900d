"""Builds the replay connector."""

from __future__ import annotations

from plugins.replay.config import ReplayConfig
from plugins.replay.data_client import ReplayDataClient
from plugins.replay.instrument_provider import ReplayInstrumentProvider
from terminal.plugin_host.base import Connector, PluginContext


def create(context: PluginContext, config: ReplayConfig) -> Connector:
    return Connector(plugin_id="replay", instruments=ReplayInstrumentProvider(),
                     data=ReplayDataClient(context, config))
