"""Builds the connector from its parts (the host calls `create(context, config)`)."""

from __future__ import annotations

from plugins._template.config import TemplateConfig
from plugins._template.data_client import TemplateDataClient
from plugins._template.instrument_provider import TemplateInstrumentProvider
from terminal.plugin_host.base import Connector, PluginContext


def create(context: PluginContext, config: TemplateConfig) -> Connector:
    return Connector(plugin_id="template", instruments=TemplateInstrumentProvider(),
                     data=TemplateDataClient(context, config))
