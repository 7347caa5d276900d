"""Applying a run of book updates to many books in one call (numba, nogil, cached).

The kernel does, frame by frame and in order, what the Python book path does for an
ordinary update of a usable book (terminal.services.books / book_sync `step`): the
quality check of the levels and the feed's freshness, the venue's sequencing rule, the
levels, the book's sequence / event time / update count, and the top of book. For a quote
frame it does what MarketDataService.on_quote does for an ordinary quote of an instrument
whose book is usable (checked, its order and freshness noted, not published: the book is
the better source). It stops at the first frame that needs more than that, and says why:

- SLOW: frame j is not applied; it goes the Python way (a book that is not usable, a gap
  or a stale sequence, a bad level, a venue rule the kernel does not keep; a quote that is
  bad, crossed, locked, out of order, or for a book that is not usable, so it is
  published).
- TIME: frame j is not applied; market time reached `horizon`, so time-driven work (bars
  closing, risk looks, quality checks) runs first. As between events, on_time is due only
  when a frame's receive time differs from the previous event's (`timed`: that time for
  the frame at `start`).
- GROW: frame j is not applied; a side might not have room for its levels.
- PUBLISH: frame j is applied; its top of book differs from the one last published, or
  someone listens to every update of that book.
- CROSSED: frame j is applied and left the book crossed or locked.
- CHECKSUM: frame j is applied and the book's checksum differs from the venue's (out[2]
  holds the book's).
- DONE: every frame is applied.

Kraken books (policy KRAKEN) carry two text books beside them: the same price levels with,
instead of sizes, the digit integers of the venue's price and volume text (up to 18
digits), held as bits: the float64 size whose bits are DIGIT_BITS + v, a normal positive
finite double for every 0 <= v < 10**18 (no denormals, no NaN), so `_set` keeps them like
sizes (0.0 deletes) and they are only ever copied. They change with the book (`_set` on
the same prices, a level deleted from all three at once) and the CRC32 over the best ten
levels' digits (asks, then bids) is the venue's checksum, which `kraken_checksum` computes
for the Python path too.

State, per instrument k of the run's source (`inst` int64, `tops` float64 rows), per
book slot (`store` rows: the address and capacity of ArrayBook.data and the address of
ArrayBook.head, see terminal.kernels.pointers; `applied`: updates applied here) and per
quality slot (`last_seen`, `usual_gap`: the feed freshness the quality monitor keeps,
-1 / NaN when none yet).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
from numba import njit, types

from terminal.kernels.array_book import HEAD_SIZE
from terminal.kernels.book import ASK, BID, _set, cut
from terminal.kernels.pointers import f64_matrix, i64_vector
from terminal.model.market_run import (
    DIGIT_BITS,
    F_CHECKSUM,
    F_FIRST,
    F_HI,
    F_INST,
    F_KIND,
    F_LO,
    F_SEQ,
    F_TS_EVENT,
    F_TS_RECV,
    QUOTE_FRAME,
)

DONE, SLOW, TIME, GROW, PUBLISH, CROSSED, CHECKSUM = range(7)
# inst columns: book slot, policy, may apply, watched, quality slot; Kraken: the text
# books' slots, the subscribed depth, the cached checksum (-1: none), checksums verified
S_SLOT, S_POLICY, S_FAST, S_WATCHED, S_QSLOT, S_TEXT_P, S_TEXT_V, S_DEPTH, S_CRC, \
    S_VERIFIED, S_USABLE = range(11)
INST_COLUMNS = 11
# policies
GENERIC, BINANCE_SPOT, KRAKEN = 0, 1, 2
CHECKSUM_LEVELS = 10
NO_CRC = -1
_INF = np.inf


def _crc_tables() -> np.ndarray:
    """Slicing-by-8 tables of the CRC32 of zlib (reflected polynomial 0xEDB88320)."""
    tables = np.zeros((8, 256), dtype=np.uint32)
    for n in range(256):
        c = n
        for _ in range(8):
            c = (0xEDB88320 ^ (c >> 1)) if c & 1 else c >> 1
        tables[0, n] = c
    for n in range(256):
        c = int(tables[0, n])
        for k in range(1, 8):
            c = int(tables[0, c & 0xFF]) ^ (c >> 8)
            tables[k, n] = c
    return tables


_CRC = _crc_tables()
_PAIRS = np.frombuffer(b"".join(f"{i:02d}".encode() for i in range(100)), dtype=np.uint8)
_TEXT_BYTES = 2 * 2 * CHECKSUM_LEVELS * 19  # 19 digits at most per number


@njit(cache=True, nogil=True)
def _write_digits(text: np.ndarray, pos: int, value: int) -> int:
    """The decimal digits of `value` (>= 0) at text[pos:]; where they end."""
    digits = 1
    rest = value
    while rest >= 10:
        rest //= 10
        digits += 1
    end = pos + digits
    i = end
    while value >= 100:
        high = value // 100
        pair = 2 * (value - high * 100)
        i -= 2
        text[i] = _PAIRS[pair]
        text[i + 1] = _PAIRS[pair + 1]
        value = high
    if value >= 10:
        text[i - 2] = _PAIRS[2 * value]
        text[i - 1] = _PAIRS[2 * value + 1]
    else:
        text[i - 1] = 48 + value
    return end


@njit(cache=True, nogil=True)
def _crc32(text: np.ndarray, n: int) -> int:
    crc = np.uint32(0xFFFFFFFF)
    i = 0
    while i + 8 <= n:
        low = crc ^ (np.uint32(text[i]) | (np.uint32(text[i + 1]) << 8)
                     | (np.uint32(text[i + 2]) << 16) | (np.uint32(text[i + 3]) << 24))
        crc = (_CRC[7, low & 0xFF] ^ _CRC[6, (low >> 8) & 0xFF]
               ^ _CRC[5, (low >> 16) & 0xFF] ^ _CRC[4, low >> 24]
               ^ _CRC[3, text[i + 4]] ^ _CRC[2, text[i + 5]] ^ _CRC[1, text[i + 6]]
               ^ _CRC[0, text[i + 7]])
        i += 8
    while i < n:
        crc = _CRC[0, (crc ^ text[i]) & 0xFF] ^ (crc >> 8)
        i += 1
    return int(crc ^ np.uint32(0xFFFFFFFF))


@njit(cache=True, nogil=True)
def _checksum(prices, price_head, volumes, volume_head):  # type: ignore[no-untyped-def]
    price_digits = prices.view(np.int64)
    volume_digits = volumes.view(np.int64)
    text = np.empty(_TEXT_BYTES, dtype=np.uint8)
    pos = 0
    for side in (ASK, BID):
        n = price_head[side]
        for t in range(min(CHECKSUM_LEVELS, n)):
            slot = n - 1 - t
            pos = _write_digits(text, pos, price_digits[2 * side + 1, slot] - DIGIT_BITS)
            pos = _write_digits(text, pos, volume_digits[2 * side + 1, slot] - DIGIT_BITS)
    return _crc32(text, pos)


@njit(cache=True, nogil=True)
def kraken_checksum(prices: np.ndarray, price_head: np.ndarray, volumes: np.ndarray,
                    volume_head: np.ndarray) -> int:
    """Kraken's CRC32 of a book from its text books (ArrayBook.data and .head of each)."""
    return _checksum(prices, price_head, volumes, volume_head)  # type: ignore[no-any-return]


@njit(cache=True, nogil=True)
def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


@njit(cache=True, nogil=True)
def _freshness(last_seen: np.ndarray, usual_gap: np.ndarray, qslot: int, ts: int,
               gap_weight: float) -> None:
    """The quality monitor's freshness of a feed (its check_book, written out)."""
    previous = last_seen[qslot]
    if previous < 0:
        last_seen[qslot] = ts
    elif ts > previous:
        gap = float(ts - previous)
        usual = usual_gap[qslot]
        usual_gap[qslot] = gap if usual != usual else usual + gap_weight * (gap - usual)
        last_seen[qslot] = ts


_I64 = types.int64[::1]
_I64_2D = types.int64[:, ::1]
_F64 = types.float64[::1]
_F64_2D = types.float64[:, ::1]
_SIGNATURE = types.int64(
    _I64_2D, _I64, _I64_2D, _F64_2D, _I64, _F64, _I64, _I64_2D, _F64_2D, _I64_2D,
    types.int64, types.int64, types.int64, types.float64, _I64)
# store columns
ST_DATA, ST_CAPACITY, ST_HEAD = range(3)
STORE_COLUMNS = 3


@njit(cache=True, nogil=True, inline="always")
def _levels_of(store: np.ndarray, slot: int) -> np.ndarray:
    return f64_matrix(store[slot, ST_DATA], 4, store[slot, ST_CAPACITY])  # type: ignore[no-any-return]


@njit(cache=True, nogil=True, inline="always")
def _head_of(store: np.ndarray, slot: int) -> np.ndarray:
    return i64_vector(store[slot, ST_HEAD], HEAD_SIZE)  # type: ignore[no-any-return]


@njit(cache=True, nogil=True)
def _quote(inst: np.ndarray, k: int, values: np.ndarray, lo: int, ts_event: int,
           last_seen: np.ndarray, usual_gap: np.ndarray, last_quote: np.ndarray,
           gap_weight: float) -> bool:
    """A quote of an instrument whose book is usable, as on_quote takes it (its quality
    check written out): True when it is only noted, False when the Python path must see
    it (a quality finding, or a book that is not usable: the quote is then published)."""
    if inst[k, S_USABLE] == 0:
        return False
    bid = values[lo, 0]
    bid_size = values[lo, 1]
    ask = values[lo + 1, 0]
    ask_size = values[lo + 1, 1]
    if not (0.0 < bid < _INF) or not (0.0 < ask < _INF) or bid_size < 0.0 \
            or ask_size < 0.0 or bid >= ask:
        return False
    qslot = inst[k, S_QSLOT]
    if ts_event < last_quote[qslot]:
        return False
    last_quote[qslot] = ts_event
    _freshness(last_seen, usual_gap, qslot, ts_event, gap_weight)
    return True


@njit(_SIGNATURE, cache=True, nogil=True)
def apply_run(store, applied, inst, tops, last_seen, usual_gap,  # type: ignore[no-untyped-def]
              last_quote, frames, values, levels, start, horizon, timed, gap_weight, out):
    """Apply frames start: until a stop; out[0] = the frame it stopped at (len(frames)
    when DONE), out[1] = the latest receive time applied (kept across calls), out[2] the
    book's checksum (CHECKSUM) or whether the top moved (PUBLISH: then `tops` holds the
    new top, to be published), out[3] counts the quotes taken (kept across calls), out[4]
    is the receive time of frame out[0]. Returns the reason (see the module doc)."""
    n = frames.shape[0]
    clock = out[1]
    digits = levels.view(np.float64)  # the digit integers as text-book sizes (see above)
    for j in range(start, n):
        k = frames[j, F_INST]
        ts = frames[j, F_TS_RECV]
        out[0] = j
        out[4] = ts
        if ts != timed and ts >= horizon:  # on_time(ts) would be due before this frame
            out[1] = clock
            return TIME
        timed = ts  # (on_time(ts) below the horizon only moves the clock)
        if frames[j, F_KIND] == QUOTE_FRAME:
            if not _quote(inst, k, values, frames[j, F_LO], frames[j, F_TS_EVENT], last_seen,
                          usual_gap, last_quote, gap_weight):
                out[1] = clock
                return SLOW
            out[3] += 1
            if ts > clock:
                clock = ts
            continue
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
        book = _levels_of(store, slot)
        head = _head_of(store, slot)
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
        elif policy != KRAKEN or first != 0 or seq != 0:
            out[1] = clock
            return SLOW
        n_asks = hi - lo - n_bids
        capacity = book.shape[1]
        if head[0] + n_bids > capacity or head[1] + n_asks > capacity:
            out[1] = clock
            return GROW
        if policy == KRAKEN:
            text_p = _levels_of(store, inst[k, S_TEXT_P])
            text_v = _levels_of(store, inst[k, S_TEXT_V])
            head_p = _head_of(store, inst[k, S_TEXT_P])
            head_v = _head_of(store, inst[k, S_TEXT_V])
            if (head_p[0] + n_bids > text_p.shape[1] or head_p[1] + n_asks > text_p.shape[1]
                    or head_v[0] + n_bids > text_v.shape[1]
                    or head_v[1] + n_asks > text_v.shape[1]):
                out[1] = clock
                return GROW
            nearest = CHECKSUM_LEVELS
            for q in range(lo, hi):
                side = BID if levels[q, 0] else ASK
                price = values[q, 0]
                size = values[q, 1]
                moved = _set(book, head, side, price, size)
                if 0 <= moved < nearest:
                    nearest = moved
                keep = size > 0.0
                _set(text_p, head_p, side, price, digits[q, 1] if keep else 0.0)
                _set(text_v, head_v, side, price, digits[q, 2] if keep else 0.0)
            if nearest < CHECKSUM_LEVELS:
                inst[k, S_CRC] = NO_CRC
            depth = inst[k, S_DEPTH]
            if depth > 0:
                dropped = cut(book, head, depth)
                cut(text_p, head_p, depth)
                cut(text_v, head_v, depth)
                if dropped and depth < CHECKSUM_LEVELS:
                    inst[k, S_CRC] = NO_CRC
            head[3] = frames[j, F_TS_EVENT]
            head[4] += 1
            applied[slot] += 1
            crc = inst[k, S_CRC]
            if crc == NO_CRC:
                crc = _checksum(text_p, head_p, text_v, head_v)
                inst[k, S_CRC] = crc
            if crc != frames[j, F_CHECKSUM]:
                out[1] = max(clock, ts)
                out[2] = crc
                _freshness(last_seen, usual_gap, inst[k, S_QSLOT], ts, gap_weight)
                return CHECKSUM
            inst[k, S_VERIFIED] += 1
        else:
            for q in range(lo, hi):
                _set(book, head, BID if levels[q, 0] else ASK, values[q, 0], values[q, 1])
            if seq != 0 or policy == BINANCE_SPOT:
                head[2] = seq
            head[3] = frames[j, F_TS_EVENT]
            head[4] += 1
            applied[slot] += 1
        _freshness(last_seen, usual_gap, inst[k, S_QSLOT], ts, gap_weight)
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
        moved = not (_same(bid, tops[k, 0]) and _same(bid_size, tops[k, 1])
                     and _same(ask, tops[k, 2]) and _same(ask_size, tops[k, 3]))
        if moved or inst[k, S_WATCHED] != 0:
            if moved:  # the caller publishes this top now
                tops[k, 0] = bid
                tops[k, 1] = bid_size
                tops[k, 2] = ask
                tops[k, 3] = ask_size
            out[1] = clock
            out[2] = moved
            return PUBLISH
    out[0] = n
    out[1] = clock
    return DONE


def compiled_apply_run() -> Callable[..., int]:
    """`apply_run`'s compiled entry point: a call skips the dispatcher's typing (about
    1.2 µs of 2.5). Only for arguments of exactly the signature's types, C-contiguous
    (the entry point does not check them): the BookManager's store, a RunContext's
    arrays, the quality freshness arrays and a MarketRun's columns are."""
    kernel: Any = apply_run
    try:
        return cast(Callable[..., int], kernel.overloads[kernel.signatures[0]].entry_point)
    except (AttributeError, IndexError, KeyError):
        return cast(Callable[..., int], kernel)
