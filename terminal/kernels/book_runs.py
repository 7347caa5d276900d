"""Applying a run of book updates to many books in one call (numba, nogil, cached).

The kernel does, frame by frame and in order, what the Python book path does for an
ordinary update of a usable book (terminal.services.books / book_sync `step`): the
quality check of the levels and the feed's freshness, the venue's sequencing rule, the
levels, the book's sequence / event time / update count, and the top of book. It stops at
the first frame that needs more than that, and says why:

- SLOW: frame j is not applied; it goes the Python way (a book that is not usable, a gap
  or a stale sequence, a bad level, a venue rule the kernel does not keep).
- TIME: frame j is not applied; market time reached `horizon`, so time-driven work (bars
  closing, risk looks, quality checks) runs first.
- GROW: frame j is not applied; a side might not have room for its levels.
- PUBLISH: frame j is applied; its top of book differs from the one last published, or
  someone listens to every update of that book.
- CROSSED: frame j is applied and left the book crossed or locked.
- DONE: every frame is applied.

State, per instrument k of the run's source (`inst` int64, `tops` float64 rows), per
book slot (`books`, `heads`: ArrayBook.data and ArrayBook.head of each book, `applied`:
updates applied here) and per quality slot (`last_seen`, `usual_gap`: the feed freshness
the quality monitor keeps, -1 / NaN when none yet).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from terminal.kernels.book import ASK, BID, _set
from terminal.model.book_run import F_FIRST, F_HI, F_INST, F_LO, F_SEQ, F_TS_EVENT, F_TS_RECV

DONE, SLOW, TIME, GROW, PUBLISH, CROSSED = range(6)
# inst columns
S_SLOT, S_POLICY, S_FAST, S_WATCHED, S_QSLOT = range(5)
INST_COLUMNS = 5
# policies
GENERIC, BINANCE_SPOT = 0, 1
NO_TIME = -1
_INF = np.inf


@njit(cache=True, nogil=True)
def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


@njit(cache=True, nogil=True)
def apply_run(books, heads, applied, inst, tops, last_seen, usual_gap,  # type: ignore[no-untyped-def]
              frames, values, levels, start, horizon, timed, gap_weight, out):
    """Apply frames start: until a stop; out[0] = the frame it stopped at (len(frames)
    when DONE), out[1] = the latest receive time applied (kept across calls). Returns the
    reason (see the module doc)."""
    n = frames.shape[0]
    clock = out[1]
    for j in range(start, n):
        k = frames[j, F_INST]
        ts = frames[j, F_TS_RECV]
        out[0] = j
        if ts >= horizon and ts != timed:
            out[1] = clock
            return TIME
        if inst[k, S_FAST] == 0:
            out[1] = clock
            return SLOW
        lo = frames[j, F_LO]
        hi = frames[j, F_HI]
        n_bids = 0
        for q in range(lo, hi):
            price = values[q, 0]
            size = values[q, 1]
            if not (0.0 < price < _INF) or not (0.0 <= size < _INF):
                out[1] = clock
                return SLOW
            n_bids += levels[q, 0]
        slot = inst[k, S_SLOT]
        book = books[slot]
        head = heads[slot]
        first = frames[j, F_FIRST]
        seq = frames[j, F_SEQ]
        last = head[2]
        policy = inst[k, S_POLICY]
        if policy == GENERIC:
            if (seq != 0 and seq <= last) or (first != 0 and last != 0 and first != last + 1):
                out[1] = clock
                return SLOW
        elif policy == BINANCE_SPOT:
            if first != last + 1 or seq <= last:
                out[1] = clock
                return SLOW
        else:
            out[1] = clock
            return SLOW
        capacity = book.shape[1]
        if head[0] + n_bids > capacity or head[1] + (hi - lo - n_bids) > capacity:
            out[1] = clock
            return GROW
        for q in range(lo, hi):
            _set(book, head, BID if levels[q, 0] else ASK, values[q, 0], values[q, 1])
        if seq != 0 or policy == BINANCE_SPOT:
            head[2] = seq
        head[3] = frames[j, F_TS_EVENT]
        head[4] += 1
        applied[slot] += 1
        # the quality monitor's freshness of this feed (its check_book, written out)
        qslot = inst[k, S_QSLOT]
        previous = last_seen[qslot]
        if previous < 0:
            last_seen[qslot] = ts
        elif ts > previous:
            gap = float(ts - previous)
            usual = usual_gap[qslot]
            usual_gap[qslot] = gap if usual != usual else usual + gap_weight * (gap - usual)
            last_seen[qslot] = ts
        if ts > clock:
            clock = ts
        bid = bid_size = ask = ask_size = np.nan
        nb = head[0]
        na = head[1]
        if nb > 0:
            bid = book[0, nb - 1]
            bid_size = book[1, nb - 1]
        if na > 0:
            ask = book[2, na - 1]
            ask_size = book[3, na - 1]
        if nb > 0 and na > 0 and bid >= ask:
            out[1] = clock
            return CROSSED
        if inst[k, S_WATCHED] != 0 or not (
                _same(bid, tops[k, 0]) and _same(bid_size, tops[k, 1])
                and _same(ask, tops[k, 2]) and _same(ask_size, tops[k, 3])):
            out[1] = clock
            return PUBLISH
    out[0] = n
    out[1] = clock
    return DONE
