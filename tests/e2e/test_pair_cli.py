"""`trading-terminal pair` against a running terminal: the QR printed as text holds the
pairing URL, the phone completes with the code, and the command prints the confirmation the
phone got."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx

from tests.api.live import LiveTerminal


def test_pair_prints_a_qr_and_the_phones_confirmation(tmp_path) -> None:
    term = LiveTerminal(tmp_path, replay=[]).start()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "terminal", "pair", "--scope", "trade", "--ttl", "60",
             "--data-dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "/companion#pair=" in line:
                break
        url = lines[-1].strip()
        assert url.startswith(term.url + "/companion#pair=")
        assert sum("█" in line or "▀" in line or "▄" in line for line in lines) > 10  # a QR
        code = re.search(r"pair=([0-9A-Z-]+)", url).group(1)  # type: ignore[union-attr]
        creds = httpx.post(term.url + "/api/v1/pairing/complete", json={
            "code": code, "device_name": "cli phone", "platform": "test"}).json()
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert f"confirmation {creds['confirmation']}" in out
        assert creds["scope"] == "trade"
    finally:
        term.stop()


def test_pair_without_a_running_terminal_says_so(tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "terminal", "pair", "--data-dir",
                           str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "start it first" in done.stderr
