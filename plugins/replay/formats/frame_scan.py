"""Compiled scanning of the book-update frames of cryptofeed websocket captures.

`scan` walks complete capture lines `<recv ts>: <frame>` and reads the venue's ordinary
book update, in the exact byte layout the venue sends, straight into columns (one row per
frame, one per level). It reads nothing else: any other line, or an update it does not
read to the last byte (other key order, whitespace, escapes, a number beyond the exact
fast path, an unknown product...), makes it stop and hand that line to the venue decoder,
which parses it with orjson and applies all its checks. What `scan` reads, it reads to the
same values the decoder gives (see terminal.kernels.text_scan), so a capture replays the
same either way; tests compare the two on the real captures.

Layouts read (no whitespace, keys in this order):
- Coinbase: `{"type":"l2update","product_id":"P","changes":[["buy"|"sell","p","s"],...],
  "time":"YYYY-MM-DDTHH:MM:SS.ffffffZ"}`
- Binance: `{"stream":"s@depth...","data":{"e":"depthUpdate","E":ms,"s":"S","U":n,"u":n,
  "b":[["p","q"],...],"a":[["p","q"],...]}}`, and the spot bookTicker (a quote frame)
  `{"stream":"s@bookTicker","data":{"u":n,"s":"S","b":"p","B":"q","a":"p","A":"q"}}`
- Kraken: `[id,{"a"|"b":[["p","v","t"(,"r")],...](,"b":[...])(,"c":"crc")}(,{...}),
  "book-N","PAIR"]`, one or two objects; the checksum must be present.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from terminal.kernels.text_scan import (
    decimal_digits,
    decimal_string,
    epoch_seconds_ns,
    exact_value,
    expect,
    is_digit,
    iso27_ns,
    json_uint,
    literal,
)
from terminal.model.market_run import (
    BOOK_FRAME,
    DIGIT_BITS,
    F_CHECKSUM,
    F_FIRST,
    F_HI,
    F_INST,
    F_KIND,
    F_LINE,
    F_LO,
    F_SEQ,
    F_TS_EVENT,
    F_TS_RECV,
    L_BID,
    L_MP,
    L_MV,
    L_P0,
    L_P1,
    L_S0,
    L_S1,
    NO_CHECKSUM,
    QUOTE_FRAME,
)

COINBASE, BINANCE, KRAKEN = 0, 1, 2

# why scan stopped
END, SLOW, NEW_PRODUCT, FULL, PENDING = range(5)

MAX_NAME = 32
NEWLINE, COMMA, COLON, SPACE = 10, 44, 58, 32
LBRACKET, RBRACKET, LBRACE, RBRACE, QUOTE = 91, 93, 123, 125, 34

_CB_HEAD = literal('{"type":"l2update","product_id":"')
_CB_CHANGES = literal(',"changes":[')
_CB_BUY = literal('["buy",')
_CB_SELL = literal('["sell",')
_CB_TIME = literal('],"time":"')
_BN_HEAD = literal('{"stream":"')
_BN_DATA = literal(',"data":{')
_BN_DEPTH_UPDATE = literal('"e":"depthUpdate","E":')
_BN_TICKER = literal('"u":')
_BN_TICKER_BID = literal(',"b":')
_BN_TICKER_BID_SIZE = literal(',"B":')
_BN_TICKER_ASK = literal(',"a":')
_BN_TICKER_ASK_SIZE = literal(',"A":')
_BN_TICKER_TAIL = literal('}}')
_BN_SYMBOL = literal(',"s":"')
_BN_FIRST = literal(',"U":')
_BN_LAST = literal(',"u":')
_BN_BIDS = literal(',"b":[')
_BN_ASKS = literal('],"a":[')
_BN_TAIL = literal(']}}')
_KR_BOOK = literal('"book-')
_KR_R = literal(',"r"]')


@njit(cache=True, nogil=True)
def _name_char(byte: int, venue: int) -> bool:
    if is_digit(byte) or 65 <= byte <= 90:  # 0-9 A-Z
        return True
    if venue == COINBASE:
        return byte == 45  # -
    if venue == KRAKEN:
        return byte == 47 or byte == 46  # / .
    return False


@njit(cache=True, nogil=True)
def _name(buf: np.ndarray, i: int, end: int, venue: int) -> int:
    """The position of the closing quote of a product name starting at i, or -1."""
    j = i
    while j < end and buf[j] != QUOTE:
        if not _name_char(buf[j], venue):
            return -1
        j += 1
    if j == i or j >= end or j - i > MAX_NAME:
        return -1
    return j


@njit(cache=True, nogil=True)
def _frame(frames: np.ndarray, nf: int, first: int, last: int, ts_event: int, checksum: int,
           kind: int) -> None:
    """The venue reader's columns of frame row nf (scan writes the others)."""
    frames[nf, F_FIRST] = first
    frames[nf, F_SEQ] = last
    frames[nf, F_TS_EVENT] = ts_event
    frames[nf, F_CHECKSUM] = checksum
    frames[nf, F_KIND] = kind


@njit(cache=True, nogil=True)
def _product(buf: np.ndarray, start: int, stop: int, names: np.ndarray,
             lengths: np.ndarray, count: int) -> int:
    n = stop - start
    for k in range(count):
        if lengths[k] != n:
            continue
        same = True
        for c in range(n):
            if names[k, c] != buf[start + c]:
                same = False
                break
        if same:
            return k
    return -1


@njit(cache=True, nogil=True)
def _pair_level(buf: np.ndarray, i: int, end: int, levels_f: np.ndarray,
                levels_i: np.ndarray, nl: int, is_bid: int, wide: bool = False) -> int:
    """`"p","s"` at i into level row nl; the position after the size string, or -1.
    `wide`: also a number the fast path cannot convert exactly (up to 18 digits), as NaN
    (the caller converts those from their text)."""
    p0 = i + 1
    i, mp, frac = decimal_digits(buf, i, end)
    if i < 0 or buf[i] != COMMA:
        return -1
    price = exact_value(mp, frac)
    s0 = i + 2
    i, mv, frac = decimal_digits(buf, i + 1, end)
    if i < 0:
        return -1
    size = exact_value(mv, frac)
    if wide:
        if mp == 0:
            return -1
    elif not price > 0.0 or size != size:
        return -1
    levels_f[nl, 0] = price
    levels_f[nl, 1] = size
    levels_i[nl, L_BID] = is_bid
    levels_i[nl, L_MP] = DIGIT_BITS + mp
    levels_i[nl, L_MV] = DIGIT_BITS + mv
    levels_i[nl, L_P0] = p0
    levels_i[nl, L_P1] = s0 - 3
    levels_i[nl, L_S0] = s0
    levels_i[nl, L_S1] = i - 1
    return i


@njit(cache=True, nogil=True)
def _coinbase(buf: np.ndarray, i: int, end: int, frames: np.ndarray, nf: int,
              levels_f: np.ndarray, levels_i: np.ndarray, nl: int, limit_ns: int
              ) -> tuple[int, int, int]:
    """(levels end, name start, name stop) of an l2update at i, or (-1, 0, 0)."""
    i = expect(buf, i, end, _CB_HEAD)
    if i < 0:
        return -1, 0, 0
    name0 = i
    name1 = _name(buf, i, end, COINBASE)
    if name1 < 0:
        return -1, 0, 0
    i = expect(buf, name1 + 1, end, _CB_CHANGES)
    if i < 0:
        return -1, 0, 0
    first = True
    while True:
        if not first:
            if buf[i] != COMMA:
                break
            i += 1
        if nl >= levels_f.shape[0]:
            return -2, 0, 0
        j = expect(buf, i, end, _CB_BUY)
        is_bid = 1
        if j < 0:
            j = expect(buf, i, end, _CB_SELL)
            is_bid = 0
            if j < 0:
                return -1, 0, 0
        i = _pair_level(buf, j, end, levels_f, levels_i, nl, is_bid)
        if i < 0 or buf[i] != RBRACKET:
            return -1, 0, 0
        i += 1
        nl += 1
        first = False
    i = expect(buf, i, end, _CB_TIME)
    if i < 0:
        return -1, 0, 0
    ts_event = iso27_ns(buf, i, end, limit_ns)
    if ts_event < 0 or i + 29 >= end or buf[i + 27] != QUOTE or buf[i + 28] != RBRACE:
        return -1, 0, 0
    if buf[i + 29] != NEWLINE:
        return -1, 0, 0
    _frame(frames, nf, 0, 0, ts_event, NO_CHECKSUM, BOOK_FRAME)
    return nl, name0, name1


@njit(cache=True, nogil=True)
def _binance_levels(buf: np.ndarray, i: int, end: int, levels_f: np.ndarray,
                    levels_i: np.ndarray, nl: int, is_bid: int) -> tuple[int, int]:
    """Levels up to (not including) the closing `]`: (position of it, nl), or (-1, _)."""
    if buf[i] == RBRACKET:
        return i, nl
    while True:
        if nl >= levels_f.shape[0]:
            return -2, nl
        if buf[i] != LBRACKET:
            return -1, nl
        i = _pair_level(buf, i + 1, end, levels_f, levels_i, nl, is_bid)
        if i < 0 or buf[i] != RBRACKET:
            return -1, nl
        nl += 1
        i += 1
        if buf[i] == RBRACKET:
            return i, nl
        if buf[i] != COMMA:
            return -1, nl
        i += 1


@njit(cache=True, nogil=True)
def _ticker_value(buf: np.ndarray, i: int, end: int, key: np.ndarray, levels_f: np.ndarray,
                  row: int, column: int) -> int:
    i = expect(buf, i, end, key)
    if i < 0:
        return -1
    i, value, _ = decimal_string(buf, i, end)
    if i < 0:
        return -1
    levels_f[row, column] = value
    return i


@njit(cache=True, nogil=True)
def _binance_ticker(buf: np.ndarray, i: int, end: int, frames: np.ndarray, nf: int,
                    levels_f: np.ndarray, levels_i: np.ndarray, nl: int, ts: int
                    ) -> tuple[int, int, int]:
    """The body of a spot bookTicker after `"u":`: its bid and ask as two level rows."""
    if nl + 2 > levels_f.shape[0]:
        return -2, 0, 0
    i, _ = json_uint(buf, i, end)
    if i < 0:
        return -1, 0, 0
    i = expect(buf, i, end, _BN_SYMBOL)
    if i < 0:
        return -1, 0, 0
    name0 = i
    name1 = _name(buf, i, end, BINANCE)
    if name1 < 0:
        return -1, 0, 0
    i = _ticker_value(buf, name1 + 1, end, _BN_TICKER_BID, levels_f, nl, 0)
    if i >= 0:
        i = _ticker_value(buf, i, end, _BN_TICKER_BID_SIZE, levels_f, nl, 1)
    if i >= 0:
        i = _ticker_value(buf, i, end, _BN_TICKER_ASK, levels_f, nl + 1, 0)
    if i >= 0:
        i = _ticker_value(buf, i, end, _BN_TICKER_ASK_SIZE, levels_f, nl + 1, 1)
    if i < 0:
        return -1, 0, 0
    i = expect(buf, i, end, _BN_TICKER_TAIL)
    if i < 0 or i >= end or buf[i] != NEWLINE:
        return -1, 0, 0
    for row in (nl, nl + 1):
        levels_i[row, :] = 0
    levels_i[nl, L_BID] = 1
    # a spot bookTicker carries no time: the receive time is the event's
    _frame(frames, nf, 0, 0, ts, NO_CHECKSUM, QUOTE_FRAME)
    return nl + 2, name0, name1


@njit(cache=True, nogil=True)
def _binance(buf: np.ndarray, i: int, end: int, frames: np.ndarray, nf: int,
             levels_f: np.ndarray, levels_i: np.ndarray, nl: int, max_ms: int, ts: int
             ) -> tuple[int, int, int]:
    i = expect(buf, i, end, _BN_HEAD)
    if i < 0:
        return -1, 0, 0
    while i < end and buf[i] != QUOTE:  # the stream name: not checked by the decoder
        if buf[i] == 92 or buf[i] < SPACE or buf[i] > 126:  # \ control non-ASCII
            return -1, 0, 0
        i += 1
    i = expect(buf, i + 1, end, _BN_DATA)
    if i < 0:
        return -1, 0, 0
    j = expect(buf, i, end, _BN_TICKER)
    if j >= 0:
        return _binance_ticker(buf, j, end, frames, nf, levels_f, levels_i, nl, ts)
    i = expect(buf, i, end, _BN_DEPTH_UPDATE)
    if i < 0:
        return -1, 0, 0
    i, stamp = json_uint(buf, i, end)
    if i < 0 or stamp >= max_ms:
        return -1, 0, 0
    i = expect(buf, i, end, _BN_SYMBOL)
    if i < 0:
        return -1, 0, 0
    name0 = i
    name1 = _name(buf, i, end, BINANCE)
    if name1 < 0:
        return -1, 0, 0
    i = expect(buf, name1 + 1, end, _BN_FIRST)
    if i < 0:
        return -1, 0, 0
    i, first = json_uint(buf, i, end)
    if i < 0:
        return -1, 0, 0
    i = expect(buf, i, end, _BN_LAST)
    if i < 0:
        return -1, 0, 0
    i, last = json_uint(buf, i, end)
    if i < 0:
        return -1, 0, 0
    i = expect(buf, i, end, _BN_BIDS)
    if i < 0:
        return -1, 0, 0
    i, nl = _binance_levels(buf, i, end, levels_f, levels_i, nl, 1)
    if i < 0:
        return i, 0, 0
    i = expect(buf, i, end, _BN_ASKS)
    if i < 0:
        return -1, 0, 0
    i, nl = _binance_levels(buf, i, end, levels_f, levels_i, nl, 0)
    if i < 0:
        return i, 0, 0
    i = expect(buf, i, end, _BN_TAIL)
    if i < 0 or i >= end or buf[i] != NEWLINE:
        return -1, 0, 0
    _frame(frames, nf, first, last, stamp * 1_000_000, NO_CHECKSUM, BOOK_FRAME)
    return nl, name0, name1


@njit(cache=True, nogil=True)
def _kraken_side(buf: np.ndarray, i: int, end: int, levels_f: np.ndarray,
                 levels_i: np.ndarray, nl: int, is_bid: int, latest: float,
                 latest_at: int, limit_ns: int, wide: bool = False
                 ) -> tuple[int, int, float, int]:
    """`[["p","v","t"(,"r")],...]` at i: (position after `]`, nl, latest time, where the
    latest time's text starts), or (-1, ...)."""
    if buf[i] != LBRACKET:
        return -1, nl, latest, latest_at
    i += 1
    while True:
        if nl >= levels_f.shape[0]:
            return -2, nl, latest, latest_at
        if buf[i] != LBRACKET:
            return -1, nl, latest, latest_at
        i = _pair_level(buf, i + 1, end, levels_f, levels_i, nl, is_bid, wide)
        if i < 0 or buf[i] != COMMA:
            return -1, nl, latest, latest_at
        t0 = i + 1
        i, moment, _ = decimal_string(buf, t0, end)
        if i < 0:
            return -1, nl, latest, latest_at
        if moment > latest:
            latest, latest_at = moment, t0 + 1
        if buf[i] != RBRACKET:
            i = expect(buf, i, end, _KR_R)
            if i < 0:
                return -1, nl, latest, latest_at
        else:
            i += 1
        nl += 1
        if buf[i] == RBRACKET:
            return i + 1, nl, latest, latest_at
        if buf[i] != COMMA:
            return -1, nl, latest, latest_at
        i += 1


@njit(cache=True, nogil=True)
def _kraken(buf: np.ndarray, i: int, end: int, frames: np.ndarray, nf: int,
            levels_f: np.ndarray, levels_i: np.ndarray, nl: int, limit_ns: int
            ) -> tuple[int, int, int]:
    if buf[i] != LBRACKET:
        return -1, 0, 0
    i, _ = json_uint(buf, i + 1, end)  # the channel id
    if i < 0 or buf[i] != COMMA:
        return -1, 0, 0
    i += 1
    checksum = NO_CHECKSUM
    latest = 0.0
    latest_at = -1
    start_nl = nl
    objects = 0
    while buf[i] == LBRACE:
        objects += 1
        if objects > 2:
            return -1, 0, 0
        i += 1
        seen_a = seen_b = seen_c = False
        while True:
            if buf[i] != QUOTE or i + 3 >= end or buf[i + 2] != QUOTE or buf[i + 3] != COLON:
                return -1, 0, 0
            key = buf[i + 1]
            i += 4
            if key == 97 and not seen_a:  # a
                seen_a = True
                i, nl, latest, latest_at = _kraken_side(buf, i, end, levels_f, levels_i, nl,
                                                        0, latest, latest_at, limit_ns)
            elif key == 98 and not seen_b:  # b
                seen_b = True
                i, nl, latest, latest_at = _kraken_side(buf, i, end, levels_f, levels_i, nl,
                                                        1, latest, latest_at, limit_ns)
            elif key == 99 and not seen_c:  # c
                seen_c = True
                if buf[i] != QUOTE:
                    return -1, 0, 0
                i += 1
                value = 0
                digits = 0
                while i < end and is_digit(buf[i]):
                    value = value * 10 + (buf[i] - 48)
                    digits += 1
                    i += 1
                if digits == 0 or digits > 10 or value > 0xFFFFFFFF or buf[i] != QUOTE:
                    return -1, 0, 0
                checksum = value
                i += 1
            else:
                return -1, 0, 0
            if i < 0:
                return i, 0, 0
            if buf[i] == RBRACE:
                i += 1
                break
            if buf[i] != COMMA:
                return -1, 0, 0
            i += 1
        if buf[i] != COMMA:
            return -1, 0, 0
        i += 1
    if checksum == NO_CHECKSUM or nl == start_nl or latest_at < 0:
        return -1, 0, 0
    i = expect(buf, i, end, _KR_BOOK)
    if i < 0:
        return -1, 0, 0
    digits = 0
    while i < end and is_digit(buf[i]):
        digits += 1
        i += 1
    if digits == 0 or digits > 6 or buf[i] != QUOTE or buf[i + 1] != COMMA \
            or buf[i + 2] != QUOTE:
        return -1, 0, 0
    name0 = i + 3
    name1 = _name(buf, name0, end, KRAKEN)
    if name1 < 0 or name1 + 2 >= end or buf[name1 + 1] != RBRACKET \
            or buf[name1 + 2] != NEWLINE:
        return -1, 0, 0
    j, ts_event = epoch_seconds_ns(buf, latest_at, end, limit_ns)
    if j < 0 or buf[j] != QUOTE:
        return -1, 0, 0
    _frame(frames, nf, 0, 0, ts_event, checksum, BOOK_FRAME)
    return nl, name0, name1


@njit(cache=True, nogil=True)
def scan(venue: int, buf: np.ndarray, pos: int, end: int, line: int,
         names: np.ndarray, lengths: np.ndarray, count: int,
         frames: np.ndarray, levels_f: np.ndarray, levels_i: np.ndarray,
         limit_ns: int, venue_limit: int, until_ts: int
         ) -> tuple[int, int, int, int, int, int, int, int]:
    """Read frames from the line at `pos` on, until a line it does not read.

    Returns (why, line start, line end, frames read, levels read, line number of that
    line, product name start, name end): `why` is END (no line left before `end`), SLOW
    (the line at start..end is not a frame `scan` reads), NEW_PRODUCT (a frame of a
    product not in `names`), FULL (no room for the next frame) or PENDING (the next frame
    was received after `until_ts`). Frame k's F_LINE is its line number.
    """
    nf = 0
    nl = 0
    n_frames = frames.shape[0]
    while pos < end:
        stop = pos
        while stop < end and buf[stop] != NEWLINE:
            stop += 1
        if stop >= end:  # a last line without its newline: the decoder checks truncation
            return SLOW, pos, end, nf, nl, line, 0, 0
        if nf >= n_frames:
            return FULL, pos, stop, nf, nl, line, 0, 0
        i, ts = epoch_seconds_ns(buf, pos, stop, limit_ns)
        if i < 0 or i + 2 > stop or buf[i] != COLON or buf[i + 1] != SPACE:
            return SLOW, pos, stop, nf, nl, line, 0, 0
        i += 2
        if venue == COINBASE:
            got, name0, name1 = _coinbase(buf, i, stop + 1, frames, nf, levels_f, levels_i,
                                          nl, limit_ns)
        elif venue == BINANCE:
            got, name0, name1 = _binance(buf, i, stop + 1, frames, nf, levels_f, levels_i, nl,
                                         venue_limit, ts)
        else:
            got, name0, name1 = _kraken(buf, i, stop + 1, frames, nf, levels_f, levels_i, nl,
                                        limit_ns)
        if got == -2:
            if nf == 0:  # one frame with more levels than the table holds
                return SLOW, pos, stop, nf, nl, line, 0, 0
            return FULL, pos, stop, nf, nl, line, 0, 0
        if got < 0:
            return SLOW, pos, stop, nf, nl, line, 0, 0
        if ts > until_ts:
            return PENDING, pos, stop, nf, nl, line, 0, 0
        k = _product(buf, name0, name1, names, lengths, count)
        if k < 0:
            return NEW_PRODUCT, pos, stop, nf, nl, line, name0, name1
        frames[nf, F_INST] = k
        frames[nf, F_TS_RECV] = ts
        frames[nf, F_LO] = nl
        frames[nf, F_HI] = got
        frames[nf, F_LINE] = line
        nl = got
        nf += 1
        line += 1
        pos = stop + 1
    return END, pos, end, nf, nl, line, 0, 0


_KR_ASKS = literal('{"as":')
_KR_BIDS = literal(',"bs":')


@njit(cache=True, nogil=True)
def kraken_snapshot(buf: np.ndarray, levels_f: np.ndarray, levels_i: np.ndarray,
                    limit_ns: int) -> tuple[int, int, int, int, int, int]:
    """A Kraken book snapshot frame `[id,{"as":[...],"bs":[...]},"book-N","PAIR"]` read
    into level rows, asks first: (asks, levels, where the latest level time's text starts,
    where the pair name starts and ends, the depth N), or (-1, ...) when the frame is not
    exactly that (the decoder then reads it). A price or volume the fast path cannot
    convert exactly is NaN: convert it from its text."""
    end = buf.shape[0]
    if end < 2 or buf[0] != LBRACKET:
        return -1, 0, 0, 0, 0, 0
    i, _ = json_uint(buf, 1, end)
    if i < 0 or buf[i] != COMMA:
        return -1, 0, 0, 0, 0, 0
    i = expect(buf, i + 1, end, _KR_ASKS)
    if i < 0:
        return -1, 0, 0, 0, 0, 0
    i, n_asks, latest, latest_at = _kraken_side(buf, i, end, levels_f, levels_i, 0, 0, 0.0,
                                                -1, limit_ns, True)
    if i < 0:
        return -1, 0, 0, 0, 0, 0
    i = expect(buf, i, end, _KR_BIDS)
    if i < 0:
        return -1, 0, 0, 0, 0, 0
    i, n_levels, latest, latest_at = _kraken_side(buf, i, end, levels_f, levels_i, n_asks, 1,
                                                  latest, latest_at, limit_ns, True)
    if i < 0 or i + 1 >= end or buf[i] != RBRACE or buf[i + 1] != COMMA:
        return -1, 0, 0, 0, 0, 0
    i = expect(buf, i + 2, end, _KR_BOOK)
    if i < 0:
        return -1, 0, 0, 0, 0, 0
    depth = 0
    digits = 0
    while i < end and is_digit(buf[i]):
        depth = depth * 10 + (buf[i] - 48)
        digits += 1
        i += 1
    if digits == 0 or digits > 6 or i + 2 >= end or buf[i] != QUOTE or buf[i + 1] != COMMA \
            or buf[i + 2] != QUOTE:
        return -1, 0, 0, 0, 0, 0
    name0 = i + 3
    name1 = _name(buf, name0, end, KRAKEN)
    if name1 < 0 or name1 + 1 >= end or buf[name1 + 1] != RBRACKET:
        return -1, 0, 0, 0, 0, 0
    for k in range(name1 + 2, end):  # only the line's end may follow
        if buf[k] != NEWLINE and buf[k] != 13 and buf[k] != SPACE:
            return -1, 0, 0, 0, 0, 0
    return n_asks, n_levels, latest_at, name0, name1, depth


_BN_DEPTH = literal('{"lastUpdateId":')
_BN_DEPTH_BIDS = literal(',"bids":[')
_BN_DEPTH_ASKS = literal('],"asks":[')
_BN_DEPTH_TAIL = literal(']}')


@njit(cache=True, nogil=True)
def binance_depth(buf: np.ndarray, levels_f: np.ndarray, levels_i: np.ndarray
                  ) -> tuple[int, int, int]:
    """A Binance REST depth answer `{"lastUpdateId":n,"bids":[["p","q"],...],"asks":[...]}`
    read into level rows, bids first: (bids, levels, lastUpdateId), or (-1, 0, 0) when it
    is not exactly that (the reader then parses it its own way)."""
    end = buf.shape[0]
    i = expect(buf, 0, end, _BN_DEPTH)
    if i < 0:
        return -1, 0, 0
    i, last_update = json_uint(buf, i, end)
    if i < 0:
        return -1, 0, 0
    i = expect(buf, i, end, _BN_DEPTH_BIDS)
    if i < 0:
        return -1, 0, 0
    i, n_bids = _binance_levels(buf, i, end, levels_f, levels_i, 0, 1)
    if i < 0:
        return -1, 0, 0
    i = expect(buf, i, end, _BN_DEPTH_ASKS)
    if i < 0:
        return -1, 0, 0
    i, n_levels = _binance_levels(buf, i, end, levels_f, levels_i, n_bids, 0)
    if i < 0:
        return -1, 0, 0
    i = expect(buf, i, end, _BN_DEPTH_TAIL)
    if i < 0:
        return -1, 0, 0
    for k in range(i, end):  # only the line's end may follow
        if buf[k] != NEWLINE and buf[k] != 13 and buf[k] != SPACE:
            return -1, 0, 0
    return n_bids, n_levels, last_update
