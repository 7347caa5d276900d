"""A connector made from plugins/_template in a temporary folder is discovered, loads and
passes the conformance suite; a deliberately broken copy is listed as broken with its reason.

Installing: rather than `pip install` (slow), the copy goes on sys.path and a synthetic
distribution (`acme_feed-0.1.dist-info` with METADATA and entry_points.txt) is written
beside it. importlib.metadata finds every `*.dist-info` folder on sys.path, so the entry
point in the group `trading_terminal.plugins` is discovered exactly as a pip-installed
one would be.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from terminal.core.errors import PluginError
from terminal.plugin_host.registry import PluginRegistry, PluginStatus
from terminal.plugin_host.validate import validate
from tests.data_paths import REPO_ROOT

TEMPLATE = REPO_ROOT / "plugins" / "_template"


def make_connector(root: Path, package: str, plugin_id: str) -> Path:
    """Copy the template as `package`, renamed the documented way, and 'install' it."""
    folder = root / package
    shutil.copytree(TEMPLATE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for path in folder.iterdir():
        if path.suffix in (".py", ".toml"):
            text = path.read_text().replace("plugins._template", package)
            text = text.replace('id = "template"', f'id = "{plugin_id}"')
            text = text.replace('plugin_id="template"', f'plugin_id="{plugin_id}"')
            path.write_text(text)
    dist = root / f"{package}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        f"[trading_terminal.plugins]\n{plugin_id} = {package}\n")
    return folder


def test_a_copied_template_is_discovered_and_passes_the_conformance_suite(tmp_path,
                                                                          monkeypatch):
    make_connector(tmp_path, "acme_feed", "acme")
    monkeypatch.syspath_prepend(str(tmp_path))
    entry = PluginRegistry().get("acme")
    assert entry.status is PluginStatus.AVAILABLE and entry.distribution == "acme_feed"
    assert PluginRegistry().load("acme").status is PluginStatus.LOADED
    assert all(c.ok for c in validate("acme", imports=True))
    suite = tmp_path / "test_acme_conformance.py"
    suite.write_text(
        "from terminal.plugin_host.conformance import ConnectorConformance\n\n\n"
        "class TestAcme(ConnectorConformance):\n"
        "    plugin = 'acme'\n"
        "    settings = {'url': 'ws://127.0.0.1:9/feed', 'backoff_initial_s': 0.01}\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT)])}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(suite)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 passed" in done.stdout


def test_a_broken_copy_is_listed_as_broken_with_its_reason(tmp_path, monkeypatch):
    folder = make_connector(tmp_path, "broken_feed", "broken")
    config = folder / "config.py"
    config.write_text(config.read_text().replace(
        "from pydantic import", "import acme_vendor_sdk  # not installed\nfrom pydantic import"))
    bad_manifest = make_connector(tmp_path, "nomanifest_feed", "nomanifest") / "plugin.toml"
    bad_manifest.write_text(bad_manifest.read_text().replace('kinds = ["data"]\n', ""))
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = PluginRegistry()
    assert registry.get("nomanifest").status is PluginStatus.BROKEN
    assert "kinds: Field required" in (registry.get("nomanifest").error or "")
    with pytest.raises(PluginError, match="acme_vendor_sdk"):
        registry.load("broken")
    entry = registry.get("broken")
    assert entry.status is PluginStatus.BROKEN
    assert entry.error == "ModuleNotFoundError: No module named 'acme_vendor_sdk'"
    assert registry.get("binance").status is PluginStatus.AVAILABLE  # the rest carry on
    failed = [c for c in validate("broken", imports=True) if not c.ok]
    assert [c.name for c in failed] == ["config import"]
    # the command line says the same
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT)])}
    cli = str(Path(sys.executable).parent / "trading-terminal")
    listing = subprocess.run([cli, "plugins", "list", "--json"], env=env,
                             capture_output=True, text=True, timeout=60)
    rows = {row["id"]: row for row in json.loads(listing.stdout)}
    assert rows["nomanifest"]["status"] == "broken"
    checked = subprocess.run([cli, "plugins", "validate", "broken", "--imports"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 1
    assert "FAIL config import: ModuleNotFoundError" in checked.stdout
