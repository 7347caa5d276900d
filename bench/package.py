"""The packaged app: bundle size, and the frozen cold start against the same command run from
the source tree by the venv's Python (the reference, measured in the same run).

Measures an existing bundle (dist/trading-terminal, built by `make package`); building one
takes minutes, so without it this prints "not built" and returns.

Cold start is `selftest --quick` (engine start on a fresh data dir with the database
migrated, plugins loaded, a numba kernel, the local API served and called) with an empty
numba cache, as on the first start after installing; warm is the same with the cache filled
by that first run. `--version` times the interpreter and the bootloader alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO_ROOT, report

BUNDLE = REPO_ROOT / "dist" / "trading-terminal"
EXE = BUNDLE / ("trading-terminal.exe" if sys.platform == "win32" else "trading-terminal")
WARM_REPEATS = 3
TIMEOUT_S = 300


def bundle_size(folder: Path) -> tuple[int, int, dict[str, int]]:
    """(bytes, files, bytes of the largest top-level parts of _internal)."""
    total = files = 0
    parts: dict[str, int] = {}
    internal = folder / "_internal"
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            size = path.stat().st_size
            total += size
            files += 1
            if internal in path.parents:
                top = path.relative_to(internal).parts[0]
                parts[top] = parts.get(top, 0) + size
    return total, files, parts


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, env=env,
                          cwd=REPO_ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}\n"
                           f"{done.stderr}")
    return elapsed


def start_times(cmd: list[str]) -> tuple[float, float]:
    """(cold, best warm) seconds of `cmd selftest --quick` on a numba cache of its own."""
    with tempfile.TemporaryDirectory(prefix="tt-bench-numba-") as cache:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NUMBA_CACHE_DIR": cache}
        cold = timed([*cmd, "selftest", "--quick"], env)
        warm = min(timed([*cmd, "selftest", "--quick"], env) for _ in range(WARM_REPEATS))
    return cold, warm


def main() -> None:
    if not EXE.is_file():
        print(f"{'package: bundle':44} not built; run make package (looked for {EXE})")
        return
    total, files, parts = bundle_size(BUNDLE)
    largest = sorted(parts.items(), key=lambda kv: -kv[1])[:4]
    print(f"{'package: bundle size':44} {total / 1e6:,.0f} MB in {files:,} files "
          f"({', '.join(f'{k} {v / 1e6:,.0f} MB' for k, v in largest)})")
    source = [sys.executable, "-m", "terminal"]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    timed([str(EXE), "--version"], env)  # one run to load the files into the page cache
    frozen_version = min(timed([str(EXE), "--version"], env) for _ in range(WARM_REPEATS))
    source_version = min(timed([*source, "--version"], env) for _ in range(WARM_REPEATS))
    report("package: frozen --version", frozen_version * 1e3, source_version * 1e3, "ms",
           "source")
    frozen_cold, frozen_warm = start_times([str(EXE)])
    source_cold, source_warm = start_times(source)
    report("package: frozen cold start (selftest --quick)", frozen_cold * 1e3,
           source_cold * 1e3, "ms", "source")
    report("package: frozen warm start (selftest --quick)", frozen_warm * 1e3,
           source_warm * 1e3, "ms", "source")


if __name__ == "__main__":
    main()
