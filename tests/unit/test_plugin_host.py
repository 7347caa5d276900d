"""Plugin discovery through real entry points: the built-ins, and third-party distributions
written to a temporary folder on sys.path (a real dist-info, as pip would install it)."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from terminal.core.errors import PluginError
from terminal.plugin_host.discovery import discover
from terminal.plugin_host.manifest import read_manifest
from terminal.plugin_host.registry import PluginRegistry, PluginStatus

GOOD_MANIFEST = """
id = "{id}"
name = "Test plugin"
version = "1.0.0"
kinds = ["data"]
config = "{pkg}.config:Config"
factory = "{pkg}.factory:create"
"""


def make_distribution(root: Path, dist: str, plugin_id: str, *, manifest: str | None = None,
                      config_py: str = "from pydantic import BaseModel\nclass Config(BaseModel):"
                      "\n    pass\n",
                      factory_py: str = "def create(ctx, cfg):\n    return None\n") -> None:
    pkg = f"{dist}_pkg"
    package = root / pkg
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('plugin code imported too early')\n"
                                         if plugin_id.startswith("eager") else "")
    (package / "plugin.toml").write_text(manifest if manifest is not None else
                                         GOOD_MANIFEST.format(id=plugin_id, pkg=pkg))
    (package / "config.py").write_text(config_py)
    (package / "factory.py").write_text(factory_py)
    info = root / f"{dist}-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text(
        f"[trading_terminal.plugins]\n{plugin_id} = {pkg}\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in list(sys.modules):
        if name.endswith("_pkg") or "_pkg." in name:
            del sys.modules[name]


def test_builtins_are_discovered_through_entry_points():
    found = {d.entry_name: d for d in discover()}
    assert {"replay", "paper"} <= set(found)
    assert found["replay"].manifest is not None and found["replay"].manifest.kinds[0] == "data"
    assert found["paper"].manifest is not None and found["paper"].manifest.kinds[0] == "broker"


def test_manifest_is_read_before_the_code_is_imported(site):
    # the package __init__ raises if imported: reading the manifest must not import it
    make_distribution(site, "eagerdist", "eagerplug")
    registry = PluginRegistry()
    entry = registry.get("eagerplug")
    assert entry.status is PluginStatus.AVAILABLE and entry.manifest is not None
    assert "eagerdist_pkg.config" not in sys.modules
    with pytest.raises(PluginError, match="plugin code imported too early"):
        registry.load("eagerplug")
    assert registry.get("eagerplug").status is PluginStatus.BROKEN


def test_broken_plugins_are_listed_with_their_error_and_others_still_load(site):
    make_distribution(site, "badtoml", "badtoml", manifest="id = [unclosed")
    make_distribution(site, "badfield", "badfield",
                      manifest='id = "badfield"\nname = "x"\nversion = "1"\nkinds = ["teleport"]\n'
                               'config = "a:b"\nfactory = "a:c"\n')
    make_distribution(site, "importfail", "importfail",
                      factory_py="import module_that_does_not_exist\n")
    registry = PluginRegistry()
    assert "not valid TOML" in (registry.get("badtoml").error or "")
    assert "kinds.0" in (registry.get("badfield").error or "")
    with pytest.raises(PluginError, match="module_that_does_not_exist"):
        registry.load("importfail")
    listed = {e.id: e.status for e in registry.entries()}
    assert listed["badtoml"] is listed["badfield"] is listed["importfail"] is PluginStatus.BROKEN
    assert registry.load("paper").status is PluginStatus.LOADED


def test_manifest_errors_name_the_file_and_field(tmp_path):
    path = tmp_path / "plugin.toml"
    path.write_text('id = "Bad Id"\nname = "x"\nversion = "1.0"\nkinds = ["data"]\n'
                    'config = "nocolon"\nfactory = "a:b"\n')
    with pytest.raises(PluginError) as err:
        read_manifest(path)
    assert str(path) in str(err.value)
    assert "id:" in str(err.value) and "config:" in str(err.value)


def test_cli_plugins_list_json_shows_broken_plugin_and_builtins(site):
    make_distribution(site, "importfail2", "importfail2",
                      manifest=textwrap.dedent(GOOD_MANIFEST.format(id="importfail2",
                                                                    pkg="missing_pkg")))
    result = subprocess.run(
        [sys.executable, "-m", "terminal", "plugins", "list", "--json"],
        capture_output=True, text=True, env={"PYTHONPATH": str(site), "PATH": "/usr/bin"},
        check=True, timeout=60)
    listed = {p["id"]: p for p in json.loads(result.stdout)}
    assert listed["replay"]["status"] == "available"
    assert listed["paper"]["kinds"] == ["broker"]
    assert listed["importfail2"]["status"] == "available"  # manifest fine; code loads lazily
    text = subprocess.run([sys.executable, "-m", "terminal", "plugins", "list"],
                          capture_output=True, text=True, check=True, timeout=60).stdout
    assert "replay" in text and "paper" in text


def test_plugin_in_a_subpackage_whose_parent_raises_is_not_imported(site):
    parent = site / "ttbroken"
    parent.mkdir()
    (parent / "__init__.py").write_text("raise RuntimeError('parent executed')\n")
    sub = parent / "sub"
    sub.mkdir()
    (sub / "__init__.py").write_text("")
    (sub / "plugin.toml").write_text(GOOD_MANIFEST.format(id="nested", pkg="ttbroken.sub"))
    info = site / "ttbroken-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ttbroken\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text("[trading_terminal.plugins]\nnested = ttbroken.sub\n")
    registry = PluginRegistry()
    entry = registry.get("nested")
    assert entry.status is PluginStatus.AVAILABLE  # manifest read without running the parent
    assert "ttbroken" not in sys.modules
    with pytest.raises(PluginError, match="parent executed"):
        registry.load("nested")
    assert registry.get("nested").status is PluginStatus.BROKEN
    assert registry.load("paper").status is PluginStatus.LOADED
