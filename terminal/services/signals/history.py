"""The recent closed bars a strategy is handed with each new one."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from terminal.model.market import Bar

DEFAULT_HISTORY = 256


class BarHistory:
    """The last `maxlen` closed bars, oldest first; `history[-1]` is the newest."""

    def __init__(self, maxlen: int = DEFAULT_HISTORY) -> None:
        if maxlen < 1:
            raise ValueError(f"maxlen must be at least 1, not {maxlen}")
        self._bars: deque[Bar] = deque(maxlen=maxlen)

    def append(self, bar: Bar) -> None:
        self._bars.append(bar)

    def clear(self) -> None:
        self._bars.clear()

    def __len__(self) -> int:
        return len(self._bars)

    def __getitem__(self, index: int) -> Bar:
        return self._bars[index]

    def __iter__(self) -> Iterator[Bar]:
        return iter(self._bars)
