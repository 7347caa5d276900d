"""The plugin registry: what was discovered, what is loaded, and what is broken and why.

A broken plugin is listed with its error; nothing it does stops the terminal.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from terminal.core.errors import PluginError
from terminal.plugin_host.base import Connector, PluginContext
from terminal.plugin_host.discovery import Discovered, discover
from terminal.plugin_host.manifest import PluginManifest

log = logging.getLogger(__name__)


class PluginStatus(StrEnum):
    AVAILABLE = "available"   # manifest valid, code not imported yet
    LOADED = "loaded"
    BROKEN = "broken"


@dataclass
class PluginEntry:
    id: str
    package: str
    distribution: str
    manifest: PluginManifest | None
    status: PluginStatus
    error: str | None = None
    config_model: type[BaseModel] | None = None
    factory: Any = None

    def as_dict(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "id": self.id,
            "name": m.name if m else None,
            "version": m.version if m else None,
            "kinds": [k.value for k in m.kinds] if m else [],
            "capabilities": list(m.capabilities) if m else [],
            "package": self.package,
            "distribution": self.distribution,
            "status": self.status.value,
            "error": self.error,
        }


def resolve(reference: str) -> Any:
    module_name, _, attr = reference.partition(":")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise PluginError(f"{module_name} has no attribute {attr!r}") from exc


class PluginRegistry:
    def __init__(self, discovered: list[Discovered] | None = None) -> None:
        self._entries: dict[str, PluginEntry] = {}
        for d in discovered if discovered is not None else discover():
            status = PluginStatus.AVAILABLE if d.manifest else PluginStatus.BROKEN
            self._entries[d.entry_name] = PluginEntry(
                d.entry_name, d.package, d.distribution, d.manifest, status, d.error)

    def entries(self) -> list[PluginEntry]:
        return sorted(self._entries.values(), key=lambda e: e.id)

    def get(self, plugin_id: str) -> PluginEntry:
        try:
            return self._entries[plugin_id]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "none"
            raise PluginError(f"no plugin {plugin_id!r} (installed: {known})") from None

    def load(self, plugin_id: str) -> PluginEntry:
        """Import the plugin's code (once). A failure marks it broken and raises PluginError."""
        entry = self.get(plugin_id)
        if entry.status is PluginStatus.LOADED:
            return entry
        if entry.status is PluginStatus.BROKEN or entry.manifest is None:
            raise PluginError(f"plugin {plugin_id!r} is broken: {entry.error}")
        try:
            config_model = resolve(entry.manifest.config)
            if not (isinstance(config_model, type) and issubclass(config_model, BaseModel)):
                raise PluginError(f"{entry.manifest.config} is not a pydantic model")
            factory = resolve(entry.manifest.factory)
            if not callable(factory):
                raise PluginError(f"{entry.manifest.factory} is not callable")
        except Exception as exc:
            entry.status = PluginStatus.BROKEN
            entry.error = f"{type(exc).__name__}: {exc}"
            log.error("plugin %s failed to load: %s\n%s", plugin_id, entry.error,
                      traceback.format_exc())
            raise PluginError(f"plugin {plugin_id!r} failed to load: {entry.error}") from exc
        entry.config_model = config_model
        entry.factory = factory
        entry.status = PluginStatus.LOADED
        return entry

    def create(self, plugin_id: str, context: PluginContext,
               settings: dict[str, Any]) -> Connector:
        entry = self.load(plugin_id)
        assert entry.config_model is not None
        try:
            config = entry.config_model.model_validate(settings)
        except ValidationError as exc:
            problems = "; ".join(_setting_problem(e) for e in exc.errors())
            raise PluginError(f"{plugin_id}: {problems}") from exc
        connector = entry.factory(context, config)
        if not isinstance(connector, Connector):
            raise PluginError(f"plugin {plugin_id!r}: factory returned "
                              f"{type(connector).__name__}, not a Connector")
        return connector


def _setting_problem(error: Any) -> str:
    """One pydantic error as a user reads it: `field: message` without pydantic's jargon."""
    message = str(error["msg"]).removeprefix("Value error, ")
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {message}" if where else message
