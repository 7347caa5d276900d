"""Where the terminal keeps its files: the platform's data dir unless told otherwise."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

APP_NAME = "trading-terminal"


def default_data_dir() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_cache_dir() -> Path:
    return Path(user_cache_dir(APP_NAME, appauthor=False))


def numba_cache_dir(build: str) -> Path:
    """Where numba keeps compiled kernels in the packaged app, whose own folder may be
    read-only (set as NUMBA_CACHE_DIR by the bundle's runtime hook, before numba loads).

    One folder per `build` of the app: numba checks a cached kernel against its own source
    file only, not against the kernels it calls from other files, so a cache written by
    another build could hold code that build inlined."""
    return default_cache_dir() / "numba" / build
