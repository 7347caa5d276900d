"""L2 order book kernels over plain arrays (numba, nogil, cached, eagerly compiled).

A book is two arrays:

- ``book``: float64 of shape (4, capacity), C-contiguous. Rows 0/1 hold bid prices/sizes,
  rows 2/3 ask prices/sizes (row ``2 * side`` and ``2 * side + 1``; side 0 = bids, 1 = asks).
- ``counts``: int64 of shape (2,), the number of levels per side.

Each side's first ``counts[side]`` slots are sorted **worst to best**: bids ascending, asks
descending, so the best level is the last one. Most updates land near the top of the book, and
with the best level last an insert or delete there moves only the few levels above it; with the
best level first it would move the whole side (measured: 1.4 µs for a 1,340-level side, since
numba's shift loops do not become a memmove). Best-first views are the reversed slices.

Kernels never allocate room: an insert into a full side returns ``FULL`` (or stops and reports
where), the caller grows ``book`` and resumes. Sizes <= 0 (and NaN) delete; a NaN price is a
no-op. Argument shapes are the caller's contract: kernels do not bounds-check.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types

BID = 0
ASK = 1
NOOP = -1  # a delete of a missing level, or a NaN price
FULL = -2  # an insert into a side with no free slot: grow and call again
_SCAN = 16  # levels from the top searched linearly before bisecting the rest

_BOOK = types.float64[:, ::1]
_COUNTS = types.int64[::1]
_F64 = types.float64[::1]
_I64 = types.int64[::1]
_I8 = types.int8[::1]
_BOOL = types.boolean[::1]
_LEVELS = types.float64[:, ::1]
_PROGRESS = types.UniTuple(types.int64, 2)  # type: ignore[no-untyped-call]  # numba: untyped
_TOPS = types.float64[:, ::1]


@njit(cache=True, nogil=True)
def _locate(book: np.ndarray, side: int, n: int, price: float) -> int:
    """First slot whose price is not worse than `price` (n if none).

    Scans down from the best level first: most updates are within a few levels of the top,
    where a short predictable scan beats a binary search's mispredicted branches."""
    row = 2 * side
    stop = max(n - _SCAN, 0)
    j = n - 1
    if side == BID:
        while j >= stop:
            if book[row, j] < price:
                return j + 1
            j -= 1
    else:
        while j >= stop:
            if book[row, j] > price:
                return j + 1
            j -= 1
    if stop == 0:
        return 0
    # branch-free bisection of [0, stop]: the answer is known to be <= stop
    base = 0
    width = stop
    while width > 1:
        half = width >> 1
        probe: float = book[row, base + half]
        base += half * ((probe < price) if side == BID else (probe > price))
        width -= half
    last: float = book[row, base]
    return base + ((last < price) if side == BID else (last > price))


@njit(cache=True, nogil=True)
def _set(book: np.ndarray, counts: np.ndarray, side: int, price: float, size: float) -> int:
    if price != price:
        return NOOP
    prow = 2 * side
    srow = prow + 1
    n: int = counts[side]
    i = _locate(book, side, n, price)
    found = i < n and book[prow, i] == price
    if size > 0.0:
        if found:
            book[srow, i] = size
            return n - 1 - i
        if n == book.shape[1]:
            return FULL
        # element loops, not slice assignment: numba copies an overlapping 2-D row slice
        # front to back and smears one value over the rest (numba issue #6942, in 0.68 too)
        for j in range(n, i, -1):
            book[prow, j] = book[prow, j - 1]
            book[srow, j] = book[srow, j - 1]
        book[prow, i] = price
        book[srow, i] = size
        counts[side] = n + 1
        return n - i
    if not found:
        return NOOP
    for j in range(i, n - 1):
        book[prow, j] = book[prow, j + 1]
        book[srow, j] = book[srow, j + 1]
    counts[side] = n - 1
    return n - 1 - i


@njit(types.int64(_BOOK, _COUNTS, types.int64, types.float64, types.float64),
      cache=True, nogil=True)
def set_level(book: np.ndarray, counts: np.ndarray, side: int, price: float,
              size: float) -> int:
    """Set one level. Returns the changed level's distance from the top (0: the best level
    changed), NOOP, or FULL (nothing changed)."""
    return _set(book, counts, side, price, size)


@njit([types.int64(_BOOK, _COUNTS, _I8, _F64, _F64, types.int64),
       types.int64(_BOOK, _COUNTS, _BOOL, _F64, _F64, types.int64)],
      cache=True, nogil=True)
def apply_sides(book: np.ndarray, counts: np.ndarray, is_bid: np.ndarray, prices: np.ndarray,
                sizes: np.ndarray, start: int) -> int:
    """Apply levels `start:`, each on the side its `is_bid` flag (non-zero) names. Returns
    len(prices) when done, else the index of the level that found its side full."""
    stop: int = prices.shape[0]
    for k in range(start, stop):
        side = BID if is_bid[k] else ASK
        if _set(book, counts, side, prices[k], sizes[k]) == FULL:
            return k
    return stop


@njit(cache=True, nogil=True)
def _write_top(book: np.ndarray, counts: np.ndarray, out: np.ndarray) -> None:
    for side in range(2):
        n = counts[side]
        if n > 0:
            out[2 * side] = book[2 * side, n - 1]
            out[2 * side + 1] = book[2 * side + 1, n - 1]
        else:
            out[2 * side] = np.nan
            out[2 * side + 1] = np.nan


@njit(cache=True, nogil=True)
def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


@njit([_PROGRESS(_BOOK, _COUNTS, sides, _F64, _F64, _I64, _TOPS, _BOOL, _F64, types.int64,
                 types.int64) for sides in (_I8, _BOOL)], cache=True, nogil=True)
def apply_batch(book: np.ndarray, counts: np.ndarray, is_bid: np.ndarray, prices: np.ndarray,
                sizes: np.ndarray, offsets: np.ndarray, tops: np.ndarray, changed: np.ndarray,
                prev: np.ndarray, msg: int, start: int) -> tuple[int, int]:
    """Apply messages `msg:`; message m is levels offsets[m]:offsets[m + 1] (offsets has one
    more entry than there are messages). Levels before `start` are taken as applied.

    After each message, tops[m] = (bid, bid size, ask, ask size), NaN for an empty side, and
    changed[m] says whether that differs from `prev`, the top before it (`prev` is updated).
    Returns (n_msgs, _) when done; (message, level) of an insert that found its side full
    (grow `book` and call again with those); or (-1, message) when offsets are decreasing or
    outside the level arrays (checked before anything is applied).
    """
    n_msgs = offsets.shape[0] - 1
    if n_msgs < 0 or offsets[0] < 0 or offsets[n_msgs] > prices.shape[0]:
        return -1, 0
    for m in range(n_msgs):
        if offsets[m + 1] < offsets[m]:
            return -1, m
    k = start
    for m in range(msg, n_msgs):
        k = max(k, offsets[m])
        end = offsets[m + 1]
        while k < end:
            side = BID if is_bid[k] else ASK
            if _set(book, counts, side, prices[k], sizes[k]) == FULL:
                return m, k
            k += 1
        bid = bid_size = ask = ask_size = np.nan
        nb = counts[BID]
        na = counts[ASK]
        if nb > 0:
            bid = book[0, nb - 1]
            bid_size = book[1, nb - 1]
        if na > 0:
            ask = book[2, na - 1]
            ask_size = book[3, na - 1]
        tops[m, 0] = bid
        tops[m, 1] = bid_size
        tops[m, 2] = ask
        tops[m, 3] = ask_size
        changed[m] = not (_same(bid, prev[0]) and _same(bid_size, prev[1])
                          and _same(ask, prev[2]) and _same(ask_size, prev[3]))
        prev[0] = bid
        prev[1] = bid_size
        prev[2] = ask
        prev[3] = ask_size
    return n_msgs, k


@njit(types.void(_BOOK, _COUNTS, types.float64[::1]), cache=True, nogil=True)
def top_of_book(book: np.ndarray, counts: np.ndarray, out: np.ndarray) -> None:
    """out = (bid, bid size, ask, ask size), NaN for an empty side."""
    _write_top(book, counts, out)


@njit(cache=True, nogil=True)
def _load_sorted(book: np.ndarray, counts: np.ndarray, side: int, levels: np.ndarray) -> bool:
    """`load_side` for rows already strictly ordered by price (either way) with every size
    > 0 (a venue's snapshot, usually): a copy, no sort. False (nothing changed) otherwise."""
    n = levels.shape[0]
    for r in range(n):
        if not levels[r, 1] > 0.0 or levels[r, 0] != levels[r, 0]:
            return False
    rising = True
    falling = True
    for r in range(1, n):
        if not levels[r, 0] > levels[r - 1, 0]:
            rising = False
        if not levels[r, 0] < levels[r - 1, 0]:
            falling = False
    if not (rising or falling):
        return False
    worst_first = rising if side == BID else falling  # bids ascending, asks descending
    prow = 2 * side
    for r in range(n):
        src = r if worst_first else n - 1 - r
        book[prow, r] = levels[src, 0]
        book[prow + 1, r] = levels[src, 1]
    counts[side] = n
    return True


@njit(types.void(_BOOK, _COUNTS, types.int64, _LEVELS), cache=True, nogil=True)
def load_side(book: np.ndarray, counts: np.ndarray, side: int, levels: np.ndarray) -> None:
    """Replace one side with `levels` ((n, 2) price/size rows in any order; needs capacity n).
    Same outcome as setting them one by one: the last row for a price wins, sizes <= 0 and
    NaN prices leave no level."""
    if _load_sorted(book, counts, side, levels):
        return
    rows = np.empty(levels.shape[0], dtype=np.int64)
    m = 0
    for r in range(levels.shape[0]):
        if levels[r, 0] == levels[r, 0]:
            rows[m] = r
            m += 1
    rows = rows[:m]
    keys = np.empty(m, dtype=np.float64)
    for j in range(m):
        keys[j] = levels[rows[j], 0]
    order = np.argsort(keys, kind="mergesort")  # stable: equal prices keep input order
    prow = 2 * side
    srow = prow + 1
    n = 0
    for idx in range(m):
        r = rows[order[idx]]
        price = levels[r, 0]
        if idx + 1 < m and keys[order[idx + 1]] == price:
            continue  # a later row for the same price wins
        size = levels[r, 1]
        if size > 0.0:
            book[prow, n] = price
            book[srow, n] = size
            n += 1
    if side == ASK:
        for j in range(n // 2):
            o = n - 1 - j
            book[prow, j], book[prow, o] = book[prow, o], book[prow, j]
            book[srow, j], book[srow, o] = book[srow, o], book[srow, j]
    counts[side] = n


@njit(cache=True, nogil=True)
def cut(book: np.ndarray, counts: np.ndarray, depth: int) -> bool:
    """Keep only the best `depth` levels per side (none if depth <= 0); whether any level
    was dropped. `counts` may be a longer head whose first two entries are the counts."""
    keep = max(depth, 0)
    dropped = False
    for side in range(2):
        n = counts[side]
        if n <= keep:
            continue
        drop = n - keep
        for j in range(keep):
            book[2 * side, j] = book[2 * side, j + drop]
            book[2 * side + 1, j] = book[2 * side + 1, j + drop]
        counts[side] = keep
        dropped = True
    return dropped


@njit(types.void(_BOOK, _COUNTS, types.int64), cache=True, nogil=True)
def truncate(book: np.ndarray, counts: np.ndarray, depth: int) -> None:
    """Keep only the best `depth` levels per side (none if depth <= 0)."""
    cut(book, counts, depth)


@njit(types.float64(_BOOK, _COUNTS, types.int64, types.float64), cache=True, nogil=True)
def size_at(book: np.ndarray, counts: np.ndarray, side: int, price: float) -> float:
    """The size at exactly `price`; 0.0 when there is no level there (or price is NaN)."""
    n = counts[side]
    i = _locate(book, side, n, price)
    if i < n and book[2 * side, i] == price:
        return float(book[2 * side + 1, i])
    return 0.0


@njit(types.float64[::1](_BOOK, _COUNTS, types.int64, types.int64), cache=True, nogil=True)
def cumulative_depth(book: np.ndarray, counts: np.ndarray, side: int, depth: int) -> np.ndarray:
    """Running total of sizes over the best min(depth, levels) levels, best first (empty when
    the side is empty or depth <= 0)."""
    n = counts[side]
    k = min(max(depth, 0), n)
    out = np.empty(k, dtype=np.float64)
    total = 0.0
    for j in range(k):
        total += book[2 * side + 1, n - 1 - j]
        out[j] = total
    return out


@njit(cache=True, nogil=True)
def _volume(book: np.ndarray, counts: np.ndarray, side: int, depth: int) -> float:
    n = counts[side]
    total = 0.0
    for j in range(n - min(max(depth, 0), n), n):
        total += book[2 * side + 1, j]
    return total


@njit(types.float64(_BOOK, _COUNTS, types.int64), cache=True, nogil=True)
def imbalance(book: np.ndarray, counts: np.ndarray, depth: int) -> float:
    """(bid volume - ask volume) / (bid volume + ask volume) over the best `depth` levels per
    side: +1 with only bids, -1 with only asks, NaN when both are empty or depth <= 0."""
    bids = _volume(book, counts, BID, depth)
    asks = _volume(book, counts, ASK, depth)
    total = bids + asks
    if total == 0.0:
        return np.nan
    return (bids - asks) / total


@njit(types.float64(_BOOK, _COUNTS), cache=True, nogil=True)
def microprice(book: np.ndarray, counts: np.ndarray) -> float:
    """(bid * ask size + ask * bid size) / (bid size + ask size); NaN when a side is empty."""
    nb = counts[BID]
    na = counts[ASK]
    if nb == 0 or na == 0:
        return np.nan
    bid, bid_size = book[0, nb - 1], book[1, nb - 1]
    ask, ask_size = book[2, na - 1], book[3, na - 1]
    return float((bid * ask_size + ask * bid_size) / (bid_size + ask_size))


@njit(cache=True, nogil=True)
def levels_in_range(levels: np.ndarray) -> bool:
    """Every row of a (n, 2+) price/size table has 0 < price < inf and 0 <= size < inf."""
    for r in range(levels.shape[0]):
        price = levels[r, 0]
        size = levels[r, 1]
        if not (0.0 < price < np.inf) or not (0.0 <= size < np.inf):
            return False
    return True
