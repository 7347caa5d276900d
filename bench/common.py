"""Shared helpers: timing, the data folder, and one line of output per figure."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    """The fastest of `repeats` runs in seconds: the least disturbed by other work."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def interleaved_best(repeats: Sequence[int],
                     fns: Sequence[Callable[[], object]]) -> list[float]:
    """The fastest run of each of `fns` in seconds, the runs taken in turns: one run of
    each per round (fns[0], fns[1], ..., fns[0], fns[1], ...), fns[i] in the first
    repeats[i] rounds. A busy moment on a shared machine then falls on every side alike
    rather than on the whole series of one of them."""
    best = [float("inf")] * len(fns)
    for round_ in range(max(repeats, default=0)):
        for k, fn in enumerate(fns):
            if round_ < repeats[k]:
                start = time.perf_counter()
                fn()
                best[k] = min(best[k], time.perf_counter() - start)
    return best


def report(name: str, ours: float, reference: float, unit: str, ref_name: str,
           target: float | None = None) -> float:
    ratio = ours / reference if reference else float("nan")
    verdict = ""
    if target is not None:
        verdict = f"  target >= {target:.2f}x: {'met' if ratio >= target else 'NOT MET'}"
    print(f"{name:44} {ratio:6.2f}x {ref_name}  (ours {ours:,.0f} {unit}, "
          f"reference {reference:,.0f} {unit}){verdict}")
    return ratio
