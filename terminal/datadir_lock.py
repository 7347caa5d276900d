"""One terminal per data dir: a lock file held for the life of the process.

Two terminals writing the same paper account and database would corrupt each other's view,
so the second one stops at once with a clear message. The OS releases the lock when the
process ends, even after a crash, so a stale lock never blocks a restart.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from terminal.core.errors import ConfigError

LOCK_NAME = "terminal.lock"


class DataDirLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        fh = self.path.open("a+", encoding="utf-8")
        try:
            _lock(fh)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise ConfigError(f"the data dir {self.path.parent} is in use by {holder}; "
                              "stop it first or choose another --data-dir") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"Trading Terminal (pid {os.getpid()})\n")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()  # closing the file releases the lock
            self._fh = None


if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds
    import msvcrt

    def _lock(fh: IO[str]) -> None:
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
else:
    import fcntl

    def _lock(fh: IO[str]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
