"""Plugin manifests: read from a plugin's plugin.toml before any of its code is imported."""

from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from terminal.core.errors import PluginError

MANIFEST_FILE = "plugin.toml"
HOST_API_VERSION = 1


class PluginKind(StrEnum):
    DATA = "data"
    BROKER = "broker"


class PluginManifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    name: str = Field(min_length=1)
    version: str = Field(pattern=r"^\d+\.\d+(\.\d+)?([.-]?[A-Za-z0-9]+)*$")
    api_version: int = HOST_API_VERSION
    kinds: list[PluginKind] = Field(min_length=1)
    capabilities: list[str] = Field(default_factory=list)
    description: str = ""
    config: str = Field(description="module:Class of the pydantic config model")
    factory: str = Field(description="module:function that builds the Connector")

    @field_validator("config", "factory")
    @classmethod
    def _is_reference(cls, value: str) -> str:
        module, sep, attr = value.partition(":")
        if not sep or not module or not attr:
            raise ValueError(f"{value!r} must look like 'package.module:Name'")
        return value


def read_manifest(path: Path) -> PluginManifest:
    """Parse and validate a plugin.toml; errors name the file and the field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PluginError(f"{path}: no {MANIFEST_FILE}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PluginError(f"{path}: not valid TOML: {exc}") from exc
    try:
        manifest = PluginManifest.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors())
        raise PluginError(f"{path}: invalid manifest: {problems}") from exc
    if manifest.api_version > HOST_API_VERSION:
        raise PluginError(f"{path}: needs host API {manifest.api_version}, "
                          f"this terminal provides {HOST_API_VERSION}")
    return manifest
