"""Text to int64 nanoseconds UTC, exactly: no float ever touches a timestamp.

Rules shared by the readers:
- Epoch numbers are plain ASCII decimal digits with an optional fraction ("1633998512.0633569",
  "1675329600138"): no sign, no exponent, no digit separators, no non-ASCII digits. They are
  converted with integer/Decimal arithmetic; digits finer than 1 ns are rounded half-even
  ("1633998512.0633569" s -> 1633998512063356900 ns).
- ISO date/times may or may not carry a fraction (any number of digits, finer than 1 ns is
  cut off) and may carry `Z` or a `+HH:MM` offset, which is applied. Naive values are taken
  as UTC unless the caller passes another fixed offset. An offset beyond +-14:00 (the widest
  real zone) is refused.
- A bare date is that date at 00:00 of the same zone.

Accepted window: every parser here refuses (ValueError, which the readers turn into a bad
row naming the field) a time outside

    1970-01-01T00:00:00Z <= t < 2262-01-01T00:00:00Z      (0 <= ns < MAX_NS)

The upper end stays clear of the int64-nanosecond limit (2262-04-11T23:47:16.854775807Z), so
a bar's close (`ts + interval`) or any small offset added later still fits an int64 and an
SQLite INTEGER; the lower end refuses negative epochs (market data predates no 1970). A
venue's integer times (Binance `E`/`T`, epoch ms) are checked against the same window with
`ms_to_ns`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from itertools import islice, pairwise

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

# the accepted window, see the module docstring: 0 <= ns < MAX_NS
MIN_NS = 0
MAX_NS = (date(2262, 1, 1).toordinal() - _EPOCH_ORDINAL) * NS_PER_DAY
MAX_MS = MAX_NS // UNIT_NS["ms"]  # exclusive bound of an epoch-ms integer
MAX_SECONDS = MAX_NS // NS_PER_SECOND
WINDOW = "1970-01-01 <= t < 2262-01-01"
_MAX_OFFSET_MINUTES = 14 * 60
_MAX_EPOCH_DIGITS = 20  # more integer digits cannot be in the window in any unit

_ISO = re.compile(
    r"\s*(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?\s*$", re.ASCII)
_SLASHED = re.compile(
    r"\s*(\d{1,2})/(\d{1,2})/(\d{4})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*$", re.ASCII)
_COMPACT = re.compile(r"\s*(\d{4})(\d{2})(\d{2})[ T]?(\d{2})(\d{2})(\d{2})(\d{0,9})\s*$",
                      re.ASCII)
_COMPACT_SPACED = re.compile(r"\s*\d{8}[ T]\d{6}", re.ASCII)
_YMD = re.compile(r"\s*(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\s*$", re.ASCII)
_EPOCH_TEXT = re.compile(r"\s*(\d+)(?:\.(\d*))?\s*", re.ASCII)
_INTERVAL_CODE = re.compile(r"(\d{1,6})([smhdwM])", re.ASCII)
_INTERVAL_UNIT_NS = {"s": NS_PER_SECOND, "m": NS_PER_MINUTE, "h": NS_PER_HOUR,
                     "d": NS_PER_DAY, "w": 7 * NS_PER_DAY}
MAX_INTERVAL_NS = 31 * NS_PER_DAY  # the longest fixed venue interval code accepted
TIME_SAMPLES = 50  # leading time values looked at to choose a column's parser


def in_window(value: int, text: object) -> int:
    """`value` (ns) when 0 <= value < MAX_NS, else ValueError quoting `text`."""
    if 0 <= value < MAX_NS:
        return value
    raise ValueError(f"time outside {WINDOW}: {_clip(text)}")


def ms_to_ns(value: int) -> int:
    """An epoch-ms integer to ns, refused outside the window (callers check the type)."""
    if 0 <= value < MAX_MS:
        return value * 1_000_000
    raise ValueError(f"time outside {WINDOW}: {_clip(value)}")


def _clip(text: object, limit: int = 60) -> str:
    shown = repr(text[:limit + 1] if isinstance(text, str | bytes) else text)
    return shown if len(shown) <= limit else shown[:limit] + "..."


def epoch_to_ns(text: str, unit: str = "s") -> int:
    """An epoch number as text ("1633998512.0633569", "1675329600138") to ns, exactly.

    Plain ASCII digits with an optional fraction only; ValueError outside the window.
    """
    whole, _, frac = text.partition(".")
    if whole.isdigit() and text.isascii() and len(whole) <= _MAX_EPOCH_DIGITS:
        if not frac:
            value = int(whole) * UNIT_NS[unit]
        elif frac.isdigit() and len(frac) <= _UNIT_DIGITS[unit]:
            value = int(whole) * UNIT_NS[unit] + int(frac.ljust(_UNIT_DIGITS[unit], "0"))
        else:
            return _decimal_epoch_to_ns(text, UNIT_NS[unit])
        if value < MAX_NS:
            return value
        raise ValueError(f"time outside {WINDOW}: {_clip(text)}")
    return _decimal_epoch_to_ns(text, UNIT_NS[unit])


def recv_bytes_to_ns(stamp: bytes) -> int:
    """A capture's receive time (`b"1633998512.0633569"`, epoch seconds) to ns, exactly."""
    whole, _, frac = stamp.partition(b".")
    if (whole.isdigit() and len(whole) <= _MAX_EPOCH_DIGITS and len(frac) <= 9
            and (frac.isdigit() or not frac)):  # bytes.isdigit: ASCII digits only
        value = int(whole) * NS_PER_SECOND + int(frac.ljust(9, b"0"))
        if value < MAX_NS:
            return value
        raise ValueError(f"time outside {WINDOW}: {_clip(stamp)}")
    return _decimal_epoch_to_ns(stamp.decode("ascii", "replace"), NS_PER_SECOND)


def _decimal_epoch_to_ns(text: str, scale: int) -> int:
    m = _EPOCH_TEXT.fullmatch(text)
    if m is None:
        raise ValueError(f"not an epoch time: {_clip(text)}")
    if len(m.group(1)) > _MAX_EPOCH_DIGITS:
        raise ValueError(f"time outside {WINDOW}: {_clip(text)}")
    value = Decimal(text.strip())
    return in_window(int((value * scale).to_integral_value(rounding=ROUND_HALF_EVEN)), text)


def is_epoch_text(text: str) -> bool:
    """Plain ASCII digits with an optional fraction (what `epoch_to_ns` accepts)."""
    return _EPOCH_TEXT.fullmatch(text) is not None


def epoch_unit_from_digits(text: str) -> str:
    """The unit of an integer epoch by its length: 10 digits s, 13 ms, 16 µs, 19 ns.

    Valid for dates between 2001 and 2262, which covers every market-data file we know.
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
    if minutes > 59 or hours * 60 + minutes > _MAX_OFFSET_MINUTES:
        raise ValueError(f"time-zone offset beyond +-14:00: {tz!r}")
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
            # other offsets go the checked way below (the C parser takes "+05:75" or "+20:00");
            # it gives the UTC singleton for `Z` and `+00:00`
            zone = moment.tzinfo
            if zone is None or zone is UTC:
                if zone is None:
                    value = (moment - _EPOCH_NAIVE) // _MICROSECOND * 1000 + naive_offset_ns
                else:
                    value = (moment - _EPOCH_UTC) // _MICROSECOND * 1000
                if 0 <= value < MAX_NS:
                    return value
                raise ValueError(f"time outside {WINDOW}: {_clip(text)}")
    m = _ISO.match(text)
    if m is None:
        raise ValueError(f"not an ISO date/time: {_clip(text)}")
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    value = _day_text_ns(y, mo, d) + (naive_offset_ns if tz is None else _zone_ns(tz))
    if hh is not None:
        hours, minutes, seconds = int(hh), int(mi), int(ss) if ss else 0
        if hours > 23 or seconds > 59 or minutes > 59:
            raise ValueError(f"time of day out of range: {_clip(text)}")
        value += ((hours * 60 + minutes) * 60 + seconds) * NS_PER_SECOND
        if frac:
            value += int(frac[:9].ljust(9, "0"))
    return in_window(value, text)


def slashed_parts(text: str) -> tuple[int, int] | None:
    """The first two numbers of an `a/b/YYYY` date, or None when it is not one."""
    m = _SLASHED.match(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def slashed_to_ns(text: str, day_first: bool, naive_offset_ns: int = 0) -> int:
    """`dd/mm/YYYY` (day_first) or `mm/dd/YYYY` with an optional time, naive, to ns UTC."""
    m = _SLASHED.match(text)
    if m is None:
        raise ValueError(f"not an a/b/YYYY date: {_clip(text)}")
    a, b, y, hh, mi, ss, frac = m.groups()
    day, month = (int(a), int(b)) if day_first else (int(b), int(a))
    return in_window(_day_ns(int(y), month, day) + _clock_ns(hh, mi, ss, frac)
                     + naive_offset_ns, text)


def compact_to_ns(text: str, naive_offset_ns: int = 0) -> int:
    """`YYYYMMDD HHMMSS[fff…]` (HistData style; the digits after SS are a fraction)."""
    m = _COMPACT.match(text)
    if m is None:
        raise ValueError(f"not a YYYYMMDD HHMMSSfff time: {_clip(text)}")
    y, mo, d, hh, mi, ss, frac = m.groups()
    return in_window(_day_ns(int(y), int(mo), int(d)) + _clock_ns(hh, mi, ss, frac or None)
                     + naive_offset_ns, text)


def ymd_to_ns(text: str, naive_offset_ns: int = 0) -> int:
    """`YYYYMMDD` (a session date, 00:00) or `YYYYMMDD HHMMSS[fff]` to ns UTC."""
    stripped = text.strip()
    if len(stripped) == 8 and stripped.isascii() and stripped.isdigit():
        return in_window(_day_ns(int(stripped[:4]), int(stripped[4:6]), int(stripped[6:]))
                         + naive_offset_ns, text)
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


def _time_kind(text: str) -> str | None:
    """How one sample time value is written: "ymd", "epoch-<unit>", "slashed", "iso"."""
    if _YMD.match(text) or _COMPACT_SPACED.match(text):
        return "ymd"
    if is_epoch_text(text):
        return "epoch-" + epoch_unit_from_digits(text)
    if slashed_parts(text) is not None:
        return "slashed"
    try:
        iso_to_ns(text)
    except ValueError:
        return None
    return "iso"


def make_time_parser(samples: Sequence[str], naive_offset_ns: int = 0
                     ) -> tuple[Callable[[str], int], str | None]:
    """Pick a parser for a time column from sample values: (parser, note or None).

    `YYYYMMDD[ HHMMSS]` is a compact date; other integer epochs get their unit from their
    length; `a/b/YYYY` dates get their order from `choose_day_first`; everything else is ISO.
    The way most of the first TIME_SAMPLES non-blank values are written wins (earliest on a
    tie), so a bad first row does not decide for the whole file: it becomes a bad row.
    """
    kinds = Counter(kind for kind in (_time_kind(s.strip())
                                      for s in islice((s for s in samples if s.strip()),
                                                      TIME_SAMPLES))
                    if kind is not None)
    kind = kinds.most_common(1)[0][0] if kinds else "iso"
    if kind == "ymd":
        return (lambda text: ymd_to_ns(text, naive_offset_ns)), None
    if kind.startswith("epoch-"):
        unit = kind.removeprefix("epoch-")
        return (lambda text: epoch_to_ns(text.strip(), unit)), f"epoch times in {unit}"
    if kind == "slashed":
        day_first, ambiguous = choose_day_first(samples)
        order = "dd/mm/yyyy" if day_first else "mm/dd/yyyy"
        note = f"dates read as {order}" + (" (ambiguous: month-first by default)"
                                             if ambiguous else "")
        return (lambda text: slashed_to_ns(text, day_first, naive_offset_ns)), note
    return (lambda text: iso_to_ns(text, naive_offset_ns)), None


def interval_from_code(code: str) -> int:
    """A venue interval code ("1m", "4h", "1d", "1w") to ns; calendar months give 0.

    Positive counts up to MAX_INTERVAL_NS (31 days) only: anything longer is no venue's.
    """
    m = _INTERVAL_CODE.fullmatch(code)
    if m is None:
        raise ValueError(f"unknown interval {_clip(code)}")
    count, unit = int(m.group(1)), m.group(2)
    if unit == "M":
        if count == 0:
            raise ValueError(f"unknown interval {_clip(code)}")
        return 0
    interval = count * _INTERVAL_UNIT_NS[unit]
    if not 0 < interval <= MAX_INTERVAL_NS:
        raise ValueError(f"unknown interval {_clip(code)}")
    return interval


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
