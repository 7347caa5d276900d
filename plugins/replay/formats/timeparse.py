"""Text to int64 nanoseconds UTC, exactly: no float ever touches a timestamp.

Rules shared by the readers:
- Epoch numbers are converted with integer/Decimal arithmetic; digits finer than 1 ns are
  rounded half-even ("1633998512.0633569" s -> 1633998512063356900 ns).
- ISO date/times may or may not carry a fraction (any number of digits, finer than 1 ns is
  cut off) and may carry `Z` or a `+HH:MM` offset, which is applied. Naive values are taken
  as UTC unless the caller passes another fixed offset.
- A bare date is that date at 00:00 of the same zone.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from itertools import pairwise

NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_HOUR = 60 * NS_PER_MINUTE
NS_PER_DAY = 24 * NS_PER_HOUR

UNIT_NS = {"s": NS_PER_SECOND, "ms": 1_000_000, "us": 1_000, "ns": 1}
_UNIT_DIGITS = {"s": 9, "ms": 6, "us": 3, "ns": 0}
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
_fromisoformat = datetime.fromisoformat

_ISO = re.compile(
    r"\s*(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?\s*$")
_SLASHED = re.compile(
    r"\s*(\d{1,2})/(\d{1,2})/(\d{4})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*$")
_COMPACT = re.compile(r"\s*(\d{4})(\d{2})(\d{2})[ T]?(\d{2})(\d{2})(\d{2})(\d{0,9})\s*$")
_COMPACT_SPACED = re.compile(r"\s*\d{8}[ T]\d{6}")
_YMD = re.compile(r"\s*(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\s*$")
_INTERVAL_CODE = re.compile(r"(\d+)([smhdwM])$")
_INTERVAL_UNIT_NS = {"s": NS_PER_SECOND, "m": NS_PER_MINUTE, "h": NS_PER_HOUR,
                     "d": NS_PER_DAY, "w": 7 * NS_PER_DAY}


def epoch_to_ns(text: str, unit: str = "s") -> int:
    """An epoch number as text ("1633998512.0633569", "1675329600138") to ns, exactly."""
    whole, _, frac = text.partition(".")
    if whole.isdigit():  # non-ASCII digits make int() raise ValueError, which is fine
        if not frac:
            return int(whole) * UNIT_NS[unit]
        digits = _UNIT_DIGITS[unit]
        if frac.isdigit() and len(frac) <= digits:
            return int(whole) * UNIT_NS[unit] + int(frac.ljust(digits, "0"))
    return _decimal_epoch_to_ns(text, UNIT_NS[unit])


def recv_bytes_to_ns(stamp: bytes) -> int:
    """A capture's receive time (`b"1633998512.0633569"`, epoch seconds) to ns, exactly."""
    whole, _, frac = stamp.partition(b".")
    if whole.isdigit() and len(frac) <= 9 and (frac.isdigit() or not frac):
        return int(whole) * NS_PER_SECOND + int(frac.ljust(9, b"0"))
    return _decimal_epoch_to_ns(stamp.decode("ascii"), NS_PER_SECOND)


def _decimal_epoch_to_ns(text: str, scale: int) -> int:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"not an epoch time: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an epoch time: {text!r}")
    return int((value * scale).to_integral_value(rounding=ROUND_HALF_EVEN))


def epoch_unit_from_digits(text: str) -> str:
    """The unit of an integer epoch by its length: 10 digits s, 13 ms, 16 µs, 19 ns.

    Valid for dates between 2001 and 2286, which covers every market-data file we know.
    """
    whole = text.strip().partition(".")[0].lstrip("-")
    n = len(whole)
    if n <= 11:
        return "s"
    if n <= 14:
        return "ms"
    if n <= 17:
        return "us"
    return "ns"


@lru_cache(maxsize=8192)
def _day_ns(year: int, month: int, day: int) -> int:
    return (date(year, month, day).toordinal() - _EPOCH_ORDINAL) * NS_PER_DAY


def _clock_ns(hh: str | None, mi: str | None, ss: str | None, frac: str | None) -> int:
    if hh is None:
        return 0
    hours, minutes, seconds = int(hh), int(mi or 0), int(ss or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(f"time of day out of range: {hh}:{mi}:{ss}")
    value = ((hours * 60 + minutes) * 60 + seconds) * NS_PER_SECOND
    if frac:
        value += int(frac[:9].ljust(9, "0"))
    return value


@lru_cache(maxsize=64)
def _zone_ns(tz: str) -> int:
    """Nanoseconds to ADD to a local time in zone `tz` (Z, UTC, ±HH[:MM]) to get UTC."""
    if tz in ("Z", "z", "UTC"):
        return 0
    sign = -1 if tz[0] == "+" else 1
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return sign * (hours * NS_PER_HOUR + minutes * NS_PER_MINUTE)


@lru_cache(maxsize=8192)
def _day_text_ns(y: str, mo: str, d: str) -> int:
    return _day_ns(int(y), int(mo), int(d))


def iso_to_ns(text: str, naive_offset_ns: int = 0) -> int:
    """`YYYY-MM-DD[( |T)HH:MM[:SS[.f…]]][Z|±HH:MM]` to ns UTC.

    `naive_offset_ns` is added to values without a zone (0 = naive means UTC).
    """
    # fast path: the C parser is exact down to the microsecond but silently drops further
    # digits; a digit at index 26 (`YYYY-MM-DDTHH:MM:SS.ffffff` + 1) means there may be more
    if not text[26:27].isdigit():
        try:
            moment = _fromisoformat(text)
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                return (moment - _EPOCH_NAIVE) // _MICROSECOND * 1000 + naive_offset_ns
            return (moment - _EPOCH_UTC) // _MICROSECOND * 1000
    m = _ISO.match(text)
    if m is None:
        raise ValueError(f"not an ISO date/time: {text!r}")
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    value = _day_text_ns(y, mo, d) + (naive_offset_ns if tz is None else _zone_ns(tz))
    if hh is None:
        return value
    hours, minutes, seconds = int(hh), int(mi), int(ss) if ss else 0
    if hours > 23 or seconds > 59 or minutes > 59:
        raise ValueError(f"time of day out of range: {text!r}")
    value += ((hours * 60 + minutes) * 60 + seconds) * NS_PER_SECOND
    return value + int(frac[:9].ljust(9, "0")) if frac else value


def slashed_parts(text: str) -> tuple[int, int] | None:
    """The first two numbers of an `a/b/YYYY` date, or None when it is not one."""
    m = _SLASHED.match(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def slashed_to_ns(text: str, day_first: bool, naive_offset_ns: int = 0) -> int:
    """`dd/mm/YYYY` (day_first) or `mm/dd/YYYY` with an optional time, naive, to ns UTC."""
    m = _SLASHED.match(text)
    if m is None:
        raise ValueError(f"not an a/b/YYYY date: {text!r}")
    a, b, y, hh, mi, ss, frac = m.groups()
    day, month = (int(a), int(b)) if day_first else (int(b), int(a))
    return _day_ns(int(y), month, day) + _clock_ns(hh, mi, ss, frac) + naive_offset_ns


def compact_to_ns(text: str, naive_offset_ns: int = 0) -> int:
    """`YYYYMMDD HHMMSS[fff…]` (HistData style; the digits after SS are a fraction)."""
    m = _COMPACT.match(text)
    if m is None:
        raise ValueError(f"not a YYYYMMDD HHMMSSfff time: {text!r}")
    y, mo, d, hh, mi, ss, frac = m.groups()
    return (_day_ns(int(y), int(mo), int(d)) + _clock_ns(hh, mi, ss, frac or None)
            + naive_offset_ns)


def ymd_to_ns(text: str, naive_offset_ns: int = 0) -> int:
    """`YYYYMMDD` (a session date, 00:00) or `YYYYMMDD HHMMSS[fff]` to ns UTC."""
    stripped = text.strip()
    if len(stripped) == 8 and stripped.isdigit():
        return (_day_ns(int(stripped[:4]), int(stripped[4:6]), int(stripped[6:]))
                + naive_offset_ns)
    return compact_to_ns(stripped, naive_offset_ns)


def choose_day_first(samples: Sequence[str]) -> tuple[bool, bool]:
    """Decide dd/mm vs mm/dd from sample `a/b/YYYY` dates: (day_first, was_ambiguous).

    A first number above 12 proves day-first, a second above 12 proves month-first. When no
    sample proves either, month-first is chosen (US order: the files we know of this shape,
    backtrader's bidask sample, are read by their own project with `%m/%d/%Y`).
    """
    for text in samples:
        parts = slashed_parts(text)
        if parts is None:
            continue
        if parts[0] > 12 >= parts[1]:
            return True, False
        if parts[1] > 12 >= parts[0]:
            return False, False
    return False, True


def make_time_parser(samples: Sequence[str], naive_offset_ns: int = 0
                     ) -> tuple[Callable[[str], int], str | None]:
    """Pick a parser for a time column from sample values: (parser, note or None).

    `YYYYMMDD[ HHMMSS]` is a compact date; other integer epochs get their unit from their
    length; `a/b/YYYY` dates get their order from `choose_day_first`; everything else is ISO.
    """
    first = next((s.strip() for s in samples if s.strip()), "")
    if _YMD.match(first) or _COMPACT_SPACED.match(first):
        return (lambda text: ymd_to_ns(text, naive_offset_ns)), None
    if first and first.replace(".", "", 1).isdigit() and "-" not in first:
        unit = epoch_unit_from_digits(first)
        return (lambda text: epoch_to_ns(text.strip(), unit)), f"epoch times in {unit}"
    if slashed_parts(first) is not None:
        day_first, ambiguous = choose_day_first(samples)
        order = "dd/mm/yyyy" if day_first else "mm/dd/yyyy"
        note = f"dates read as {order}" + (" (ambiguous: month-first by default)"
                                             if ambiguous else "")
        return (lambda text: slashed_to_ns(text, day_first, naive_offset_ns)), note
    return (lambda text: iso_to_ns(text, naive_offset_ns)), None


def interval_from_code(code: str) -> int:
    """A venue interval code ("1m", "4h", "1d", "1w") to ns; calendar months give 0."""
    m = _INTERVAL_CODE.match(code)
    if m is None:
        raise ValueError(f"unknown interval {code!r}")
    count, unit = int(m.group(1)), m.group(2)
    if unit == "M":
        return 0
    return count * _INTERVAL_UNIT_NS[unit]


def infer_interval_ns(stamps: Sequence[int]) -> int:
    """The most common positive step between consecutive stamps (ties: the smaller one).

    Steps of 28 days or more are calendar months/quarters/years whose length varies, so they
    give 0 ("unknown"), as does a series of fewer than two stamps.
    """
    steps = Counter(b - a for a, b in pairwise(stamps) if b > a)
    if not steps:
        return 0
    step = max(steps.items(), key=lambda item: (item[1], -item[0]))[0]
    return 0 if step >= 28 * NS_PER_DAY else step
