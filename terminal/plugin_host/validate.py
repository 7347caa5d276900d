"""`trading-terminal plugins validate PATH|NAME [--imports]`: what a plugin must be, checked.

Without --imports nothing of the plugin runs: the manifest is read and the fixed files are
looked for. With --imports the config model and factory are imported and checked (a pydantic
model that refuses unknown settings, validates with its defaults where it can, secret-looking
fields typed SecretStr; a callable factory).
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from terminal.core.errors import PluginError
from terminal.plugin_host.discovery import discover, package_dir
from terminal.plugin_host.manifest import MANIFEST_FILE, PluginKind, PluginManifest, read_manifest

BASE_FILES = ("config.py", "factory.py", "instrument_provider.py")
KIND_FILES = {PluginKind.DATA: "data_client.py", PluginKind.BROKER: "execution_client.py"}
SECRET_WORDS = ("secret", "password", "passphrase", "token", "api_key", "private_key")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""

    def __str__(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}" + \
            (f": {self.detail}" if self.detail else "")


def locate(target: str) -> tuple[Path, str | None]:
    """The plugin folder of a path or an installed plugin's id, and the entry id if any."""
    path = Path(target)
    if (path / MANIFEST_FILE).is_file():
        return path.resolve(), None
    for found in discover():
        if found.entry_name == target:
            return package_dir(found.package), found.entry_name
    raise PluginError(f"{target}: neither a folder with a {MANIFEST_FILE} nor an installed "
                      "plugin id (see `trading-terminal plugins list`)")


def validate(target: str, imports: bool = False) -> list[Check]:
    try:
        folder, entry = locate(target)
    except PluginError as exc:
        return [Check("locate", False, str(exc))]
    checks = [Check("locate", True, str(folder))]
    try:
        manifest = read_manifest(folder / MANIFEST_FILE)
    except PluginError as exc:
        return [*checks, Check("manifest", False, str(exc))]
    checks.append(Check("manifest", True, f"{manifest.id} {manifest.version}"))
    if entry is not None:
        checks.append(Check("entry point name", manifest.id == entry,
                            f"entry point {entry!r}, manifest id {manifest.id!r}"))
    needed = [*BASE_FILES, *(KIND_FILES[k] for k in manifest.kinds)]
    missing = [name for name in needed if not (folder / name).is_file()]
    checks.append(Check("fixed files", not missing,
                        f"missing {', '.join(missing)}" if missing else ", ".join(needed)))
    if imports:
        checks.extend(_import_checks(folder, manifest, entry is None))
    return checks


def _import_checks(folder: Path, manifest: PluginManifest, from_path: bool) -> list[Check]:
    added = False
    if from_path and str(folder.parent) not in sys.path:
        sys.path.insert(0, str(folder.parent))  # a plugin folder that is not installed
        added = True
    try:
        checks: list[Check] = []
        try:
            model = _resolve(manifest.config)
        except Exception as exc:
            return [Check("config import", False, f"{type(exc).__name__}: {exc}")]
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return [Check("config import", False, f"{manifest.config} is not a pydantic model")]
        checks.append(Check("config import", True, manifest.config))
        checks.extend(config_checks(model))
        try:
            factory = _resolve(manifest.factory)
            checks.append(Check("factory import", callable(factory), manifest.factory))
        except Exception as exc:
            checks.append(Check("factory import", False, f"{type(exc).__name__}: {exc}"))
        return checks
    finally:
        if added:
            sys.path.remove(str(folder.parent))


def config_checks(model: type[BaseModel]) -> list[Check]:
    strict = model.model_config.get("extra") == "forbid"
    checks = [Check("config refuses unknown settings", strict,
                    "" if strict else "set model_config = ConfigDict(extra='forbid')")]
    try:
        model.model_json_schema()
        checks.append(Check("config schema", True))
    except Exception as exc:  # the connect dialog is generated from it
        checks.append(Check("config schema", False, f"{type(exc).__name__}: {exc}"))
    loose = [name for name, info in model.model_fields.items()
             if any(w in name.lower() for w in SECRET_WORDS)
             and "SecretStr" not in str(info.annotation)]
    checks.append(Check("secret fields are SecretStr", not loose,
                        f"plain text: {', '.join(loose)}" if loose else ""))
    undocumented = [n for n, info in model.model_fields.items() if not info.description]
    checks.append(Check("settings are described", not undocumented,
                        f"no description: {', '.join(undocumented)}" if undocumented else ""))
    try:
        model.model_validate({})
        checks.append(Check("config defaults validate", True))
    except ValidationError as exc:
        required = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
        checks.append(Check("config defaults validate", True,
                            f"required settings: {required}"))
    return checks


def _resolve(reference: str) -> object:
    module, _, attr = reference.partition(":")
    return getattr(importlib.import_module(module), attr)
