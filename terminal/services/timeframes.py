"""Timeframes: how a timestamp maps to the bar that holds it.

Intraday timeframes (1s .. 12h) are fixed intervals aligned to the UTC epoch. Daily bars follow
a session: each bar runs from one session close to the next, at a wall-clock time in a time
zone, so a 17:00 New York close stays 17:00 New York across daylight-saving changes (21:00 or
22:00 UTC). Without a session, a day runs 00:00 to 00:00 UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from terminal.core.errors import ConfigError

NS = {"s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
      "d": 86_400_000_000_000}
MAX_DAYS = 31
_SPEC = re.compile(r"^\s*(\d+)([smhd])(?:\s*@\s*(\d{1,2}):(\d{2})\s+(\S+))?\s*$")


@dataclass
class Timeframe:
    """A bar length. `interval_ns` identifies the timeframe (a daily session bar is 1 day,
    even on a 23- or 25-hour day); `bucket` gives the real [start, end) of a bar."""

    interval_ns: int
    label: str
    session_close: time | None = None
    zone: ZoneInfo | None = None
    _cache: tuple[int, int] = field(default=(0, 0), repr=False, compare=False)

    def bucket(self, ts_ns: int) -> tuple[int, int]:
        start, end = self._cache
        if start <= ts_ns < end:
            return self._cache
        if self.zone is None or self.session_close is None:
            start = ts_ns - ts_ns % self.interval_ns
            end = start + self.interval_ns
        else:
            start, end = self._session_bounds(ts_ns)
        self._cache = (start, end)
        return start, end

    def _session_bounds(self, ts_ns: int) -> tuple[int, int]:
        assert self.zone is not None and self.session_close is not None
        local = datetime.fromtimestamp(ts_ns // 1_000_000_000, UTC).astimezone(self.zone)
        days = self.interval_ns // NS["d"]

        def close_on(day: datetime) -> int:
            wall = datetime.combine(day.date(), self.session_close, self.zone)  # type: ignore[arg-type]
            return int(wall.timestamp()) * 1_000_000_000

        close_today = close_on(local)
        if ts_ns >= close_today:
            return close_today, close_on(local + timedelta(days=days))
        return close_on(local - timedelta(days=days)), close_today


def parse_timeframe(spec: str) -> Timeframe:
    """'1s', '5m', '1h', '1d', or '1d@17:00 America/New_York' (a session close)."""
    m = _SPEC.match(spec)
    if m is None:
        raise ConfigError(f"timeframe {spec!r}: expected e.g. 1m, 15m, 1h, 1d or "
                          "'1d@17:00 America/New_York'")
    count, unit, hh, mm, zone_name = m.groups()
    interval = int(count) * NS[unit]
    if interval <= 0:
        raise ConfigError(f"timeframe {spec!r}: must be positive")
    if interval > MAX_DAYS * NS["d"]:
        raise ConfigError(f"timeframe {spec!r}: longer than {MAX_DAYS} days")
    if zone_name is None:
        if unit != "d" and NS["d"] % interval != 0:
            raise ConfigError(f"timeframe {spec!r}: must divide a day evenly")
        return Timeframe(interval, f"{count}{unit}")
    if unit != "d":
        raise ConfigError(f"timeframe {spec!r}: a session close applies to daily bars only")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"timeframe {spec!r}: unknown time zone {zone_name!r}") from exc
    hours, minutes = int(hh), int(mm)
    if hours > 23 or minutes > 59:
        raise ConfigError(f"timeframe {spec!r}: {hh}:{mm} is not a time of day")
    return Timeframe(interval, f"{count}d@{hours:02d}:{minutes:02d} {zone_name}",
                     time(hours, minutes), zone)


# the bar lengths the chart stores and rolls up from (1m, 5m, 15m, 1h, 4h, 1d)
STORED_INTERVALS_NS = (60_000_000_000, 300_000_000_000, 900_000_000_000, 3_600_000_000_000,
                       14_400_000_000_000, 86_400_000_000_000)
