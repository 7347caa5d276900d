"""Play a data plugin's source to its end into a given context (history import, backtests)."""

from __future__ import annotations

from typing import Any

from terminal.core.errors import PluginError
from terminal.plugin_host.base import PluginContext
from terminal.plugin_host.registry import PluginRegistry


async def play_to_end(registry: PluginRegistry, plugin_id: str, context: PluginContext,
                      settings: dict[str, Any]) -> dict[str, Any]:
    """Create the plugin's data client, run it until its source ends, disconnect it, and
    return its stats (empty when the client keeps none)."""
    connector = registry.create(plugin_id, context, settings)
    data = connector.data
    if data is None:
        raise PluginError(f"the {plugin_id} plugin gave no data client")
    await data.connect()
    try:
        await data.run()
    finally:
        await data.disconnect()
    stats = getattr(data, "stats", None)
    return dict(stats()) if callable(stats) else {}
