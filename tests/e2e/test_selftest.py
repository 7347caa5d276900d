"""`trading-terminal selftest` run from the source tree as a user runs it (a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.data_paths import SHARED_DATA

TIMEOUT_S = 240


def selftest(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "terminal", "selftest", *args],
                          capture_output=True, text=True, timeout=TIMEOUT_S, env=env, cwd=cwd)


@pytest.mark.slow
def test_selftest_passes_on_the_real_recording() -> None:
    done = selftest("--data", str(SHARED_DATA), "--timeout", "200")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("trading-terminal selftest ")
    steps = {line.split()[1]: line.split()[0] for line in lines[1:] if line.startswith("  ")}
    assert steps == {name: "ok" for name in ("data", "profile", "engine", "plugins", "kernels",
                                            "replay", "order", "api", "logs", "stop",
                                            "stored")}
    assert "filled 100 @ 0.3531" in done.stdout
    assert "positions with a read token: BINANCE:NKNUSDT 100" in done.stdout
    assert lines[-1].startswith("selftest passed in ")
    assert "tt_" not in done.stdout  # the token is made in-process and never printed


def test_quick_skips_the_replay_and_order(tmp_path: Path) -> None:
    """What also happens without ../shared/data (an installed app): the rest still passes."""
    done = selftest("--quick", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    skipped = [line.split()[1] for line in done.stdout.splitlines()
               if line.startswith("  skip")]
    assert skipped == ["data", "replay", "order", "stored"]
    assert "api" in done.stdout and "selftest passed" in done.stdout


def test_a_given_data_folder_that_lacks_the_recording_fails_clearly(tmp_path: Path) -> None:
    done = selftest("--data", str(tmp_path), "--quick")
    assert done.returncode == 1
    assert "selftest FAILED at step data" in done.stderr
    assert "cryptofeed__BINANCE.ws.1.0" in done.stderr
