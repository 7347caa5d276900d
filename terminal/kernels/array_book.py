"""`ArrayBook`: an L2 book on numpy arrays, a drop-in for services.order_book.OrderBook.

The levels live in the arrays that terminal.kernels.book works on; this class only owns them,
grows them (capacity doubles when a side is full; levels are never dropped except by
`truncate`), and keeps the Python-side cost per message low:

- `apply` (one websocket frame, typically 1-5 levels) calls the scalar `set_level` kernel once
  per level, through its compiled entry point rather than the dispatcher. Measured here: a
  call costs ~0.25 µs that way and ~0.4 µs through the dispatcher, while `np.array` of two
  levels alone takes ~0.7 µs; filling a reused scratch buffer and making one kernel call only
  wins from about six levels on, and checking for that cost more than it saved on real
  Binance frames (median two levels). Callers with arrays use `apply_arrays`/`apply_batch`.
- The best bid/ask are cached as tuples and re-read only after a change at the top (about
  one Coinbase update in five), or after compiled code outside this class changed the book.
- The level counts, `sequence`, `ts_event` and the count of updates applied by compiled
  code outside this class live in one int64 array, `head` (the two counts, HEAD_SEQUENCE,
  HEAD_TS_EVENT, HEAD_OUTSIDE), so the code that applies updates to many books at once
  (terminal.kernels.book_runs) keeps them as this class does; `updates` counts both.

Empty and NaN behaviour: `best_bid`/`best_ask` return None for an empty side; `microprice`
is NaN unless both sides have a level; `imbalance` is NaN when both sides are empty within
the depth (or depth <= 0) and +/-1 with only one side; `depth_at` is 0.0 where there is no
level; `cumulative_depth` is shorter than `depth` when the side has fewer levels. A size <= 0
or NaN deletes (deleting a missing level is a no-op); a NaN price is ignored.

Swapping it in for OrderBook changes the book's constructor only: same methods, the same
`truncate` return (prices dropped, worst first), `len(book.bids)`/`len(book.asks)`, and the
`sequence`/`ts_event`/`updates` attributes.

Not thread-safe: one owner at a time (the kernels release the GIL, the object does not lock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import Any, Final, NamedTuple, cast

import numpy as np
import numpy.typing as npt

from terminal.kernels import book as kern
from terminal.model.levels import LevelView
from terminal.model.market import Level

_BID, _ASK, _FULL = kern.BID, kern.ASK, kern.FULL
UNTOUCHED: Final = 2**62  # `apply` changed no level
HEAD_SEQUENCE, HEAD_TS_EVENT, HEAD_OUTSIDE = 2, 3, 4  # after the two level counts
HEAD_SIZE = 5


def _compiled(kernel: Any) -> Callable[..., int]:
    """The compiled entry point of a one-signature kernel. Calling it skips the dispatcher's
    argument typing, about 0.15 µs of a 0.4 µs call. Only for calls whose arrays are an
    ArrayBook's own (float64 C-contiguous book, int64 counts): the entry point does not
    check array types. Scalars go through float()/int(), so "1.5" and Decimal are accepted.
    Falls back to the dispatcher if numba stops offering it."""
    try:
        entry: Callable[..., int] = kernel.get_overload(kernel.signatures[0])
    except (AttributeError, IndexError, KeyError):
        return cast(Callable[..., int], kernel)
    return entry


_set_level = _compiled(kern.set_level)

F64Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class _Unknown(Enum):
    TOP = 0  # the cached best level must be re-read


_STALE: Final = _Unknown.TOP


class BatchResult(NamedTuple):
    """Per message of an `apply_batch`: tops[m] = (bid, bid size, ask, ask size) after it,
    NaN for an empty side; changed[m] whether any of the four differs from before it."""

    tops: F64Array
    changed: BoolArray


class BookSide:
    """One side, read-only and best first. Stays valid when the book grows."""

    __slots__ = ("_book", "_side")

    def __init__(self, book: ArrayBook, side: int) -> None:
        self._book = book
        self._side = side

    def __len__(self) -> int:
        return self._book._counted[self._side]

    def prices(self) -> F64Array:
        """A view (not a copy) of the prices, best first; invalid after the next change."""
        return self._book._row(2 * self._side)

    def sizes(self) -> F64Array:
        """A view (not a copy) of the sizes, aligned with `prices()`."""
        return self._book._row(2 * self._side + 1)

    def best(self) -> Level | None:
        return self._book.best_bid() if self._side == _BID else self._book.best_ask()

    def top(self, depth: int) -> list[Level]:
        """The best `depth` levels, best first."""
        return self._book._levels(self._side, depth)


class ArrayBook:
    """One L2 book; see the module docstring. `capacity` is the initial levels per side."""

    __slots__ = ("bids", "asks", "head", "_data", "_counts", "_h", "_cells", "_flat_cells",
                 "_ask_start", "_counted", "_bid", "_ask", "_outside_seen", "_updates")

    def __init__(self, capacity: int = 64) -> None:
        self._data: F64Array = np.empty((4, max(int(capacity), 1)), dtype=np.float64)
        self.head = np.zeros(HEAD_SIZE, dtype=np.int64)
        self._counts = self.head[:2]
        self._h = self.head.data
        # memoryviews read single cells faster than numpy indexing or .item()
        self._cells = self._data.data
        # row r, slot i at r * capacity + i; typed Any: its tolist() gives floats here
        self._flat_cells: Any = self._cells.cast("B").cast("d")
        self._ask_start = 2 * self._data.shape[1]  # where the ask prices begin in _flat_cells
        self._counted = self._counts.data
        self._bid: Level | _Unknown | None = None
        self._ask: Level | _Unknown | None = None
        self._outside_seen = 0  # head[HEAD_OUTSIDE] when the cached levels were last valid
        self._updates = 0  # applied by this class
        self.bids = BookSide(self, _BID)
        self.asks = BookSide(self, _ASK)

    @property
    def data(self) -> F64Array:
        """The level array (see terminal.kernels.book); replaced when the book grows."""
        return self._data

    @property
    def sequence(self) -> int:
        value: int = self._h[HEAD_SEQUENCE]
        return value

    @sequence.setter
    def sequence(self, value: int) -> None:
        self._h[HEAD_SEQUENCE] = value

    @property
    def ts_event(self) -> int:
        value: int = self._h[HEAD_TS_EVENT]
        return value

    @ts_event.setter
    def ts_event(self, value: int) -> None:
        self._h[HEAD_TS_EVENT] = value

    @property
    def updates(self) -> int:
        outside: int = self._h[HEAD_OUTSIDE]
        return self._updates + outside

    @property
    def capacity(self) -> int:
        """Levels per side that fit before the next growth."""
        return int(self._data.shape[1])

    # -- changes ---------------------------------------------------------------------------

    def clear(self) -> None:
        self._counts[:] = 0
        self._bid = self._ask = None
        self._outside_seen = self._h[HEAD_OUTSIDE]

    def load(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Replace the book (a snapshot). Duplicated prices: the last row wins."""
        bid_rows, ask_rows = _rows(bids), _rows(asks)
        self.clear()
        self._reserve(max(len(bid_rows), len(ask_rows)))
        kern.load_side(self._data, self._counts, _BID, bid_rows)
        kern.load_side(self._data, self._counts, _ASK, ask_rows)
        self._bid, self._ask = self._best(_BID), self._best(_ASK)
        self._updates += 1

    def apply(self, bids: Iterable[Level], asks: Iterable[Level]) -> int:
        """Set each level's size; a size of 0 deletes the level. Returns the smallest
        distance from the top (0 = best level) of any level changed, on either side, or
        UNTOUCHED when nothing changed: a caller watching only the best k levels can skip
        its work when the result is >= k."""
        data, counts = self._data, self._counts
        nearest = UNTOUCHED
        for price, size in bids:
            moved = _set_level(data, counts, _BID, price, size)
            if moved <= 0:
                if moved == _FULL:
                    data = self._grow()
                    moved = _set_level(data, counts, _BID, price, size)
                if moved == 0:
                    self._bid = _STALE
            if 0 <= moved < nearest:
                nearest = moved
        for price, size in asks:
            moved = _set_level(data, counts, _ASK, price, size)
            if moved <= 0:
                if moved == _FULL:
                    data = self._grow()
                    moved = _set_level(data, counts, _ASK, price, size)
                if moved == 0:
                    self._ask = _STALE
            if 0 <= moved < nearest:
                nearest = moved
        self._updates += 1
        return nearest

    def apply_arrays(self, side_is_bid: npt.ArrayLike, prices: npt.ArrayLike,
                     sizes: npt.ArrayLike) -> None:
        """One message as 1-D arrays: level k goes to the bids where side_is_bid[k] is true
        (bool or int8; other types are converted), else to the asks."""
        sides, p, s = _side_array(side_is_bid), _f64(prices), _f64(sizes)
        if not len(sides) == len(p) == len(s):
            raise ValueError("side_is_bid, prices and sizes differ in length")
        done = kern.apply_sides(self._data, self._counts, sides, p, s, 0)
        while done < len(p):
            self._grow()
            done = kern.apply_sides(self._data, self._counts, sides, p, s, done)
        self._bid = self._ask = _STALE
        self._updates += 1

    def apply_batch(self, side_is_bid: npt.ArrayLike, prices: npt.ArrayLike,
                    sizes: npt.ArrayLike, offsets: npt.ArrayLike) -> BatchResult:
        """Apply many messages in one kernel call. Message m is levels
        offsets[m]:offsets[m + 1] of the flat arrays, so `offsets` has one entry more than
        there are messages (offsets[0] is usually 0). Counts as one update per message."""
        sides, p, s = _side_array(side_is_bid), _f64(prices), _f64(sizes)
        offs = _flat(np.ascontiguousarray(offsets, dtype=np.int64))
        if not len(sides) == len(p) == len(s):
            raise ValueError("side_is_bid, prices and sizes differ in length")
        if len(offs) == 0:
            raise ValueError("offsets need one entry more than there are messages")
        n_msgs = len(offs) - 1
        tops = np.empty((n_msgs, 4), dtype=np.float64)
        changed = np.empty(n_msgs, dtype=np.bool_)
        prev = self.top_row()
        msg, level = 0, 0
        while True:
            msg, level = kern.apply_batch(self._data, self._counts, sides, p, s, offs, tops,
                                          changed, prev, msg, level)
            if msg == n_msgs:
                break
            if msg < 0:
                raise ValueError("offsets need one entry more than there are messages, "
                                 "non-decreasing and within the level arrays "
                                 f"(first bad message: {level})")
            self._grow()
        self._bid = self._ask = _STALE
        self._updates += n_msgs
        return BatchResult(tops, changed)

    def truncate(self, depth: int) -> tuple[list[float], list[float]]:
        """Keep the best `depth` levels per side (the only way levels are dropped); return the
        bid and ask prices dropped, worst first, as OrderBook does."""
        keep = max(int(depth), 0)
        counted = self._counted
        drop_bids, drop_asks = counted[_BID] - keep, counted[_ASK] - keep
        if drop_bids <= 0 and drop_asks <= 0:
            return [], []  # the usual case for a venue that sends depth-limited updates
        data = self._data  # worst first already
        dropped = data[0, :max(drop_bids, 0)].tolist(), data[2, :max(drop_asks, 0)].tolist()
        kern.truncate(data, self._counts, keep)
        if keep == 0:
            self._bid = self._ask = None
        return dropped

    # -- reads -----------------------------------------------------------------------------

    def best_bid(self) -> Level | None:
        if self._outside_seen != self._h[HEAD_OUTSIDE]:
            self._changed_outside()
        bid = self._bid
        if bid is _STALE:
            bid = self._bid = self._best(_BID)
        return bid

    def best_ask(self) -> Level | None:
        if self._outside_seen != self._h[HEAD_OUTSIDE]:
            self._changed_outside()
        ask = self._ask
        if ask is _STALE:
            ask = self._ask = self._best(_ASK)
        return ask

    def _changed_outside(self) -> None:
        self._bid = self._ask = _STALE
        self._outside_seen = self._h[HEAD_OUTSIDE]

    def is_crossed_or_locked(self) -> bool:
        bid, ask = self.best_bid(), self.best_ask()
        return bid is not None and ask is not None and bid[0] >= ask[0]

    def top(self, depth: int) -> tuple[list[Level], list[Level]]:
        """The best `depth` levels per side, best first."""
        return self._levels(_BID, depth), self._levels(_ASK, depth)

    def top_row(self) -> F64Array:
        """(bid, bid size, ask, ask size) now, NaN for an empty side."""
        out = np.empty(4, dtype=np.float64)
        kern.top_of_book(self._data, self._counts, out)
        return out

    def depth_at(self, price: float, is_bid: bool) -> float:
        """Size at exactly `price` on that side; 0.0 when there is no level there."""
        return float(kern.size_at(self._data, self._counts, _side(is_bid), price))

    def cumulative_depth(self, n: int, is_bid: bool) -> F64Array:
        """Running size total over the best min(n, levels) levels of a side, best first."""
        out: F64Array = kern.cumulative_depth(self._data, self._counts, _side(is_bid), int(n))
        return out

    def imbalance(self, n: int) -> float:
        """(bid vol - ask vol) / (bid vol + ask vol) over the best n levels per side; NaN when
        both are empty there, +1 / -1 when only one side has levels."""
        return float(kern.imbalance(self._data, self._counts, int(n)))

    def microprice(self) -> float:
        """(bid * ask size + ask * bid size) / (bid size + ask size); NaN if a side is empty."""
        return float(kern.microprice(self._data, self._counts))

    # -- internals -------------------------------------------------------------------------

    def _best(self, side: int) -> Level | None:
        n = self._counted[side]
        if n == 0:
            return None
        cells = self._cells
        return cells[2 * side, n - 1], cells[2 * side + 1, n - 1]

    def _levels(self, side: int, depth: int) -> list[Level]:
        n = self._counted[side]
        k = min(max(int(depth), 0), n)
        row = 2 * side
        data = self._data
        return list(zip(data[row, n - k:n][::-1].tolist(),
                        data[row + 1, n - k:n][::-1].tolist(), strict=True))

    def best_prices(self, is_bid: bool, depth: int) -> list[float]:
        """The prices of the best `depth` levels of a side, best first."""
        if is_bid:
            n, start = self._counted[_BID], 0
        else:
            n, start = self._counted[_ASK], self._ask_start
        first = n - depth  # past n (an empty slice) when depth < 0
        prices: list[float] = self._flat_cells[start + max(first, 0):start + n].tolist()
        prices.reverse()
        return prices

    def _row(self, row: int) -> F64Array:
        n = self._counted[row // 2]
        view: F64Array = self._data[row, :n][::-1]
        return view

    def reserve(self, levels: int) -> None:
        """Room for at least `levels` levels per side (at least doubling when it grows)."""
        if levels > self.capacity:
            self._reserve(max(int(levels), 2 * self.capacity))

    def _grow(self) -> F64Array:
        return self._reserve(2 * self.capacity)

    def _reserve(self, capacity: int) -> F64Array:
        old = self._data
        if capacity > old.shape[1]:
            new = np.empty((4, capacity), dtype=np.float64)
            used = int(self._counts.max())
            new[:, :used] = old[:, :used]
            self._data = new
            self._cells = new.data
            self._flat_cells = self._cells.cast("B").cast("d")
            self._ask_start = 2 * capacity
        return self._data


def _side(is_bid: bool) -> int:
    return _BID if is_bid else _ASK


def _f64(values: npt.ArrayLike) -> F64Array:
    return _flat(np.ascontiguousarray(values, dtype=np.float64))


def _side_array(values: npt.ArrayLike) -> npt.NDArray[np.bool_] | npt.NDArray[np.int8]:
    arr = np.asarray(values)
    if arr.dtype != np.bool_ and arr.dtype != np.int8:
        arr = arr != 0
    return _flat(np.ascontiguousarray(arr))


def _flat(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-D array, got shape {arr.shape}")
    return arr


def _rows(levels: Iterable[Level]) -> F64Array:
    if isinstance(levels, LevelView):
        levels = levels.table[:, :2]
    if isinstance(levels, np.ndarray):
        rows = np.ascontiguousarray(levels, dtype=np.float64)
    else:
        rows = np.array(levels if isinstance(levels, Sequence) else list(levels),
                        dtype=np.float64)
    if rows.size == 0:
        return np.empty((0, 2), dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != 2:
        raise ValueError(f"levels must be (price, size) pairs, got shape {rows.shape}")
    return rows
