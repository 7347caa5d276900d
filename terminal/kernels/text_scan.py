"""Reading numbers and times straight from JSON text bytes (numba, nogil, cached).

Each reader takes the text as a uint8 array and a position, and returns where it stopped
and whether it read a value of the exact form it accepts; anything else is "not read"
(position -1) and the caller hands the whole line to a full JSON parser, which then accepts
or rejects it with its own checks. So a reader only needs to be exact for the forms it
accepts, and it accepts few:

- `decimal_string`: a JSON string `"ddd"` or `"ddd.ddd"` (ASCII digits, at least one before
  and after the point). The value is the correctly rounded double, equal to Python's
  `float(text)`: with all digits read as one integer m < 2**53 and f <= 22 digits after the
  point, m and 10**f are exact doubles and one IEEE division rounds correctly (Clinger's
  fast path). Larger m or f are not read. The digit integer m is returned too: it is the
  text with the point removed and leading zeros stripped, which Kraken's checksum covers.
- `json_uint`: a JSON integer 0 <= v < 10**18 (no sign, no leading zero, no fraction).
- `epoch_seconds_ns`: `ddd[.fffffffff]` epoch seconds (at most 20 digits before the point,
  as timeparse reads them) to ns, exactly, below a bound.
- `iso27_ns`: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, microseconds) to ns, with the calendar
  checked as `datetime.fromisoformat` checks it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MAX_EXACT = 2**53
MAX_DIGITS = 10**18
MAX_EPOCH_DIGITS = 20  # timeparse._MAX_EPOCH_DIGITS: whole-second digits, leading zeros too
NS_PER_SECOND = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_SECOND
_POW10 = np.array([10.0**k for k in range(23)], dtype=np.float64)
QUOTE = 34  # "
DOT = 46  # .
ZERO = 48
NINE = 57


@njit(cache=True, nogil=True, inline="always")
def is_digit(byte: int) -> bool:
    return ZERO <= byte <= NINE


@njit(cache=True, nogil=True)
def decimal_digits(buf: np.ndarray, i: int, end: int) -> tuple[int, int, int]:
    """A JSON string `"ddd"` / `"ddd.ddd"` whose digits make an integer below 10**18:
    (position after the closing quote, that integer, digits after the point), or
    (-1, 0, 0)."""
    if i >= end or buf[i] != QUOTE:
        return -1, 0, 0
    i += 1
    mantissa = 0
    whole = 0
    while i < end and is_digit(buf[i]):
        if mantissa >= MAX_DIGITS // 10:  # one more digit reaches 10**18 (never overflow)
            return -1, 0, 0
        mantissa = mantissa * 10 + (buf[i] - ZERO)
        whole += 1
        i += 1
    if whole == 0 or i >= end:
        return -1, 0, 0
    frac = 0
    if buf[i] == DOT:
        i += 1
        while i < end and is_digit(buf[i]):
            if mantissa >= MAX_DIGITS // 10:
                return -1, 0, 0
            mantissa = mantissa * 10 + (buf[i] - ZERO)
            frac += 1
            i += 1
        if frac == 0:
            return -1, 0, 0
    if i >= end or buf[i] != QUOTE:
        return -1, 0, 0
    return i + 1, mantissa, frac


@njit(cache=True, nogil=True)
def exact_value(mantissa: int, frac: int) -> float:
    """mantissa / 10**frac correctly rounded, or NaN when the fast path cannot say."""
    if mantissa >= MAX_EXACT or frac > 22:
        return np.nan
    value: float = mantissa / _POW10[frac]
    return value


@njit(cache=True, nogil=True)
def decimal_string(buf: np.ndarray, i: int, end: int) -> tuple[int, float, int]:
    """(position after the closing quote, value, digit integer), or (-1, 0.0, 0) when
    the string is not a plain decimal whose value the fast path gives exactly."""
    i, mantissa, frac = decimal_digits(buf, i, end)
    if i < 0:
        return -1, 0.0, 0
    value = exact_value(mantissa, frac)
    if value != value:
        return -1, 0.0, 0
    return i, value, mantissa


@njit(cache=True, nogil=True)
def json_uint(buf: np.ndarray, i: int, end: int) -> tuple[int, int]:
    """(position after the integer, value), or (-1, 0)."""
    if i >= end or not is_digit(buf[i]):
        return -1, 0
    if buf[i] == ZERO:
        if i + 1 < end and (is_digit(buf[i + 1]) or buf[i + 1] == DOT):
            return -1, 0
        return i + 1, 0
    value = 0
    digits = 0
    while i < end and is_digit(buf[i]):
        value = value * 10 + (buf[i] - ZERO)
        digits += 1
        if digits > 18:
            return -1, 0
        i += 1
    if i < end and (buf[i] == DOT or buf[i] == 101 or buf[i] == 69):  # . e E: not an int
        return -1, 0
    return i, value


@njit(cache=True, nogil=True)
def epoch_seconds_ns(buf: np.ndarray, i: int, end: int, limit_ns: int) -> tuple[int, int]:
    """`ddd[.fff]` (at most 9 fraction digits; `ddd.` too) as ns below `limit_ns`:
    (position after it, ns), or (-1, 0)."""
    limit_s = limit_ns // NS_PER_SECOND
    whole = 0
    digits = 0
    while i < end and is_digit(buf[i]):
        whole = whole * 10 + (buf[i] - ZERO)
        if whole > limit_s:
            return -1, 0
        digits += 1
        i += 1
    if digits == 0 or digits > MAX_EPOCH_DIGITS:  # (the Python readers refuse more digits)
        return -1, 0
    frac = 0
    scale = NS_PER_SECOND
    if i < end and buf[i] == DOT:
        i += 1
        while i < end and is_digit(buf[i]):
            if scale == 1:
                return -1, 0  # a tenth fraction digit
            scale //= 10
            frac += (buf[i] - ZERO) * scale
            i += 1
    value = whole * NS_PER_SECOND + frac
    if value >= limit_ns:
        return -1, 0
    return i, value


@njit(cache=True, nogil=True)
def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = year - 1 if month <= 2 else year
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = month - 3 if month > 2 else month + 9
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@njit(cache=True, nogil=True)
def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
        return 29 if leap else 28
    if month == 4 or month == 6 or month == 9 or month == 11:
        return 30
    return 31


@njit(cache=True, nogil=True)
def _digits(buf: np.ndarray, i: int, n: int) -> int:
    """The n ASCII digits at i as an integer, or -1."""
    value = 0
    for k in range(i, i + n):
        byte = buf[k]
        if not is_digit(byte):
            return -1
        value = value * 10 + (byte - ZERO)
    return value


@njit(cache=True, nogil=True)
def iso27_ns(buf: np.ndarray, i: int, end: int, limit_ns: int) -> int:
    """ns of `YYYY-MM-DDTHH:MM:SS.ffffffZ` at i (27 bytes), 0 <= ns < limit_ns (at most
    the end of 2262); else -1."""
    if i + 27 > end:
        return -1
    if (buf[i + 4] != 45 or buf[i + 7] != 45 or buf[i + 10] != 84 or buf[i + 13] != 58
            or buf[i + 16] != 58 or buf[i + 19] != DOT or buf[i + 26] != 90):  # - - T : : . Z
        return -1
    year = _digits(buf, i, 4)
    month = _digits(buf, i + 5, 2)
    day = _digits(buf, i + 8, 2)
    hour = _digits(buf, i + 11, 2)
    minute = _digits(buf, i + 14, 2)
    second = _digits(buf, i + 17, 2)
    micros = _digits(buf, i + 20, 6)
    if year < 1970 or year > 2262 or month < 1 or month > 12 or day < 1 or micros < 0:
        return -1  # (outside those years the window rules it out; and ns would overflow)
    if day > _days_in_month(year, month) or hour < 0 or hour > 23 or minute < 0 \
            or minute > 59 or second < 0 or second > 59:
        return -1
    value = (_days_from_civil(year, month, day) * NS_PER_DAY
             + ((hour * 60 + minute) * 60 + second) * NS_PER_SECOND + micros * 1000)
    if value < 0 or value >= limit_ns:
        return -1
    return value


@njit(cache=True, nogil=True)
def expect(buf: np.ndarray, i: int, end: int, literal: np.ndarray) -> int:
    """The position after `literal` when the text at i is exactly it, else -1."""
    n: int = literal.shape[0]
    if i + n > end:
        return -1
    for k in range(n):
        if buf[i + k] != literal[k]:
            return -1
    return i + n


def literal(text: str) -> np.ndarray:
    """A byte literal for `expect` (built once, at import)."""
    return np.array(list(text.encode("ascii")), dtype=np.uint8)
