"""Builds the paper connector."""

from __future__ import annotations

from plugins.paper.config import PaperConfig
from plugins.paper.execution_client import PaperExecutionClient
from terminal.plugin_host.base import Connector, PluginContext


def create(context: PluginContext, config: PaperConfig) -> Connector:
    return Connector(plugin_id="paper", execution=PaperExecutionClient(context, config))
