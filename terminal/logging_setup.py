"""Logging to the console and a rotating file in the data dir."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path


def configure_logging(level: str, data_dir: Path | None) -> None:
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in list(root.handlers):
        root.removeHandler(handler)
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                                           "%H:%M:%S"))
    root.addHandler(console)
    # alembic narrates every migration step at INFO; a user needs only its warnings
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    if data_dir is not None:
        log_dir = data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_dir / "terminal.log", maxBytes=5_000_000, backupCount=5, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(file_handler)
