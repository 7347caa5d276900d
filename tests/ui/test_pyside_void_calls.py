"""Regression guard for the PySide6 interpreter kill (DESIGN.md, "Environment facts").

PySide6 6.12.0 on CPython 3.11 dies with "Fatal Python error: none_dealloc" after many calls
of void methods (QRectF.setX, QPainter.drawRect ...): every call returned None with one
reference too few. The chart makes millions of such calls, so the loop runs in a child
interpreter: a crash there is a failed test showing the child's stderr, not a dead run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from importlib.metadata import version

from packaging.requirements import Requirement
from packaging.version import Version

from tests.data_paths import REPO_ROOT

VOID_CALLS = 2_000_000
DEADLINE_S = 25.0  # ~3 s here; the bound only keeps a very slow machine from hanging

LOOP = textwrap.dedent(f"""
    import sys, time
    from PySide6.QtCore import QLineF, QRectF
    from PySide6.QtGui import QColor, QImage, QPainter
    image = QImage(64, 64, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    rect = QRectF(0.0, 0.0, 10.0, 10.0)
    line = QLineF(0.0, 0.0, 5.0, 5.0)
    red, blue = QColor(255, 0, 0), QColor(0, 0, 255)
    deadline = time.monotonic() + {DEADLINE_S}
    calls = 0
    while calls < {VOID_CALLS} and time.monotonic() < deadline:
        for i in range(10_000):
            rect.setX(i % 7)          # every one of these returns None (void in C++)
            rect.setY(1.0)
            rect.setWidth(5.0)
            rect.setHeight(3.0)
            painter.drawRect(rect)
            painter.drawLine(line)
            painter.setPen(red)
            painter.setBrush(blue)
        calls += 80_000
    painter.end()
    print("calls", calls, "refcount(None) ok", sys.getrefcount(None) > 0, flush=True)
""")


def test_many_void_calls_do_not_kill_the_interpreter():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", LOOP], env=env, capture_output=True,
                          text=True, timeout=DEADLINE_S + 60)
    assert proc.returncode == 0, (
        f"the child interpreter died (exit {proc.returncode}) after void calls with "
        f"PySide6 {version('PySide6')} on Python {sys.version.split()[0]}:\n"
        f"{proc.stderr[-3000:]}")
    assert "none_dealloc" not in proc.stderr
    words = proc.stdout.split()
    assert words[:1] == ["calls"], proc.stdout + proc.stderr
    assert int(words[1]) >= VOID_CALLS, f"only {words[1]} calls before the deadline"


def test_installed_pyside6_is_the_one_pinned_for_this_python():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [Requirement(dep) for dep in pyproject["project"]["dependencies"]
            if Requirement(dep).name.lower() == "pyside6"]
    assert len(pins) >= 2, "PySide6 must be pinned per Python version (DESIGN.md)"
    applying = [p for p in pins if p.marker is None or p.marker.evaluate()]
    assert len(applying) == 1, f"exactly one PySide6 pin must apply here: {applying}"
    installed = Version(version("PySide6"))
    assert applying[0].specifier.contains(installed), (
        f"PySide6 {installed} installed, but this Python needs {applying[0]}")
    if sys.version_info[:2] == (3, 11):
        # the known-bad pair: 6.12.x kills 3.11 (none_dealloc); 6.11.x ran clean
        assert installed.release[:2] == (6, 11), installed
        assert not applying[0].specifier.contains(Version("6.12.0"))
