"""Where the shared real market data lives: the repo root's sibling `../shared/data`."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def shared_data_dir() -> Path:
    return SHARED_DATA
