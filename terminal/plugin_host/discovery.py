"""Find plugins through the `trading_terminal.plugins` entry-point group.

An entry point names the plugin's package (``replay = "plugins.replay"``). The manifest is the
package's plugin.toml, located with `importlib.util.find_spec`, which imports the parent
package only: the plugin's own code is not imported until it is loaded.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from importlib.machinery import PathFinder
from importlib.metadata import entry_points
from pathlib import Path

from terminal.core.errors import PluginError
from terminal.plugin_host.manifest import MANIFEST_FILE, PluginManifest, read_manifest

ENTRY_POINT_GROUP = "trading_terminal.plugins"


@dataclass(frozen=True)
class Discovered:
    entry_name: str
    package: str
    distribution: str
    manifest: PluginManifest | None
    manifest_path: Path | None
    error: str | None


def package_dir(package: str) -> Path:
    """The folder of a package, found without executing it or any parent package."""
    locations: list[str] | None = None
    spec = None
    for depth in range(1, package.count(".") + 2):
        spec = PathFinder.find_spec(".".join(package.split(".")[:depth]), locations)
        if spec is None or spec.submodule_search_locations is None:
            break
        locations = list(spec.submodule_search_locations)
    if spec is None:
        # not on the file system (a frozen app): ask the import system, which may import
        # parent packages; any failure there is the plugin's, reported as such
        try:
            spec = importlib.util.find_spec(package)
        except Exception as exc:
            raise PluginError(f"package {package!r} cannot be found: "
                              f"{type(exc).__name__}: {exc}") from exc
    if spec is None:
        raise PluginError(f"package {package!r} cannot be found (is it installed?)")
    if not spec.submodule_search_locations:
        raise PluginError(f"{package!r} is a module; a plugin must be a package")
    return Path(next(iter(spec.submodule_search_locations)))


def discover() -> list[Discovered]:
    found: list[Discovered] = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist is not None else "?"
        package = ep.value.split(":", 1)[0].strip()
        try:
            path = package_dir(package) / MANIFEST_FILE
            manifest = read_manifest(path)
            if manifest.id != ep.name:
                raise PluginError(f"{path}: manifest id {manifest.id!r} differs from the entry "
                                  f"point name {ep.name!r}")
            found.append(Discovered(ep.name, package, dist, manifest, path, None))
        except PluginError as exc:
            found.append(Discovered(ep.name, package, dist, None, None, str(exc)))
        except Exception as exc:  # whatever a broken distribution does, the host runs on
            found.append(Discovered(ep.name, package, dist, None, None,
                                    f"{type(exc).__name__}: {exc}"))
    return found
