"""PyInstaller runtime hook: runs before the app's code, so before numba reads its config.

numba writes its cache of compiled `cache=True` kernels next to their sources; inside the
bundle that folder may be read-only (an installed app), so the cache goes to the user's cache
dir instead, unless NUMBA_CACHE_DIR is already set.
"""

import os
import sys
from pathlib import Path

if getattr(sys, "frozen", False) and not os.environ.get("NUMBA_CACHE_DIR"):
    from terminal.paths import numba_cache_dir

    # this build: the executable is written anew by every build
    built = Path(sys.executable).stat()
    cache = numba_cache_dir(f"{built.st_size:x}-{built.st_mtime_ns:x}")
    try:
        cache.mkdir(parents=True, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = str(cache)
    except OSError:  # no writable cache dir: numba compiles in memory on every start
        pass
