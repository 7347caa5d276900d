"""The Python heap after start-up."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """After start-up: collect once, then freeze what is alive (modules, plugins, history,
    instruments) out of the collector's view. A full collection then scans only what the
    session allocates since, instead of pausing the loop for tens of ms on the whole heap.
    For a process that runs one terminal (the window, the headless run)."""
    gc.collect()
    gc.freeze()
