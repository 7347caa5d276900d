"""The default profile: written on first run, read back later, bad values never fatal."""

from __future__ import annotations

import json
from pathlib import Path

from terminal.profile import PROFILE_FILE, Profile, load_profile


def test_first_run_writes_the_default_profile_and_later_runs_read_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "new"
    first = load_profile(data_dir)
    assert first.created and first.profile == Profile() and not first.warnings
    written = json.loads((data_dir / PROFILE_FILE).read_text())
    assert written["theme"] == "dark" and written["api_port"] == 8765
    assert written["symbols"] == list(Profile().symbols)
    later = load_profile(data_dir)
    assert not later.created and later.profile == first.profile


def test_a_users_changes_are_read(tmp_path: Path) -> None:
    (tmp_path / PROFILE_FILE).write_text(json.dumps(
        {"theme": "light", "symbols": ["KRAKEN:XBT/USD"], "api_port": 0, "future": True}))
    loaded = load_profile(tmp_path)
    assert loaded.profile == Profile("light", ("KRAKEN:XBT/USD",), 0)
    assert not loaded.warnings and not loaded.created


def test_bad_values_fall_back_to_defaults_with_warnings(tmp_path: Path) -> None:
    path = tmp_path / PROFILE_FILE
    path.write_text(json.dumps({"theme": "neon", "symbols": "BTC", "api_port": 70000}))
    loaded = load_profile(tmp_path)
    assert loaded.profile == Profile()
    assert len(loaded.warnings) == 3 and all(str(path) in w for w in loaded.warnings)
    assert json.loads(path.read_text())["theme"] == "neon"  # the file is left as it is


def test_an_unreadable_file_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / PROFILE_FILE
    path.write_text("{not json")
    loaded = load_profile(tmp_path)
    assert loaded.profile == Profile() and "cannot be read" in loaded.warnings[0]
    assert path.read_text() == "{not json"


def test_the_profile_sets_the_api_port_unless_the_command_line_does(tmp_path) -> None:
    import json
    import subprocess
    import sys

    (tmp_path / "profile.json").write_text(json.dumps({"api_port": 0, "theme": "light"}))
    summary = tmp_path / "s.json"
    done = subprocess.run([sys.executable, "-m", "terminal", "--headless", "--data-dir",
                           str(tmp_path), "--duration", "1", "--summary-json", str(summary)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    url = json.loads(summary.read_text())["api"]["url"]
    assert not url.endswith(":8765")  # port 0 from the profile: a free one was picked
