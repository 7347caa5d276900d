"""Book levels and their venue texts as read-only views over a reader's columns.

A 1000-level snapshot read by compiled code already holds its levels in a float64 array;
making them into 1000 tuples (and the venue's strings into 2000 lists) costs more than the
rest of its reading and keeps the garbage collector busy, while the engine uses the
columns (BookSnapshot.columns). These views make the tuples and strings only when someone
reads them, and compare equal to the lists they stand for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from terminal.model.market import Level


class LevelView(Sequence[Level]):
    """(price, size) levels over the first two columns of a float64 table."""

    __slots__ = ("table",)

    def __init__(self, table: npt.NDArray[np.float64]) -> None:
        self.table = table

    def __len__(self) -> int:
        return int(self.table.shape[0])

    @overload
    def __getitem__(self, index: int) -> Level: ...
    @overload
    def __getitem__(self, index: slice) -> list[Level]: ...

    def __getitem__(self, index: int | slice) -> Level | list[Level]:
        if isinstance(index, slice):
            return list(LevelView(self.table[index]))
        price, size = self.table[index, :2].tolist()
        return price, size

    def __iter__(self) -> Iterator[Level]:
        return zip(self.table[:, 0].tolist(), self.table[:, 1].tolist(), strict=True)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LevelView):
            return bool(np.array_equal(self.table[:, :2], other.table[:, :2]))
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a view compares by value, like a list

    def __repr__(self) -> str:
        return repr(list(self))


class LevelTexts(Mapping[str, list[list[str]]]):
    """A snapshot's venue strings per side ("b"/"a"): [price, size] texts of each level,
    decoded from the bytes they were read from on first access. `spans[side]` is an int64
    (n, 4) array of (price start, price end, size start, size end) offsets into `text`."""

    __slots__ = ("_text", "_spans", "_decoded")

    def __init__(self, text: bytes, spans: dict[str, npt.NDArray[np.int64]]) -> None:
        self._text = text
        self._spans = spans
        self._decoded: dict[str, list[list[str]]] = {}

    def __getitem__(self, side: str) -> list[list[str]]:
        decoded = self._decoded.get(side)
        if decoded is None:
            text = self._text
            decoded = self._decoded[side] = [
                [text[p0:p1].decode("ascii"), text[s0:s1].decode("ascii")]
                for p0, p1, s0, s1 in self._spans[side].tolist()]
        return decoded

    def __iter__(self) -> Iterator[str]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)

    def __repr__(self) -> str:
        return repr(dict(self))


def as_lists(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Venue strings as plain dicts and lists (for serialising)."""
    if raw is None or type(raw) is dict:
        return raw
    return {side: list(texts) for side, texts in raw.items()}
