"""Bars built from trades, closed on time by the clock.

Rules (documented for users in docs/market-data.md):
- A trade belongs to the bar whose [open, open + interval) contains its `ts_event`.
- A bar closes when the clock reaches its end, even if no further trade arrives; a bar with
  no trades is never created (gaps stay gaps).
- A trade for a bar that has already closed is late: it is counted per instrument and not
  applied, so a closed bar never changes and no bogus bar appears.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from terminal.model.ids import InstrumentId
from terminal.model.market import Bar, Trade

NS_PER_MINUTE = 60_000_000_000
_NEVER = 2**63 - 1


@dataclass(slots=True)
class _Forming:
    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    trades: int


@dataclass(slots=True)
class AggregatorStats:
    trades: int = 0
    bars_closed: int = 0
    late_trades: dict[str, int] = field(default_factory=dict)
    rejected_trades: int = 0


class BarAggregator:
    def __init__(self, interval_ns: int, on_close: Callable[[Bar], None],
                 on_update: Callable[[Bar], None] | None = None) -> None:
        if interval_ns <= 0:
            raise ValueError("interval must be positive")
        self.interval_ns = interval_ns
        self._on_close = on_close
        self._on_update = on_update
        self._forming: dict[InstrumentId, _Forming] = {}
        self._last_closed_end: dict[InstrumentId, int] = {}
        self._next_due = _NEVER  # earliest end of a forming bar: on_time is O(1) until then
        self.stats = AggregatorStats()

    def on_trade(self, trade: Trade) -> None:
        price, size = trade.price, trade.size
        if not (price > 0.0) or not (size >= 0.0):  # also rejects NaN
            self.stats.rejected_trades += 1
            return
        iid = trade.instrument_id
        bucket = trade.ts_event - trade.ts_event % self.interval_ns
        if bucket + self.interval_ns <= self._last_closed_end.get(iid, -1):
            key = str(iid)
            self.stats.late_trades[key] = self.stats.late_trades.get(key, 0) + 1
            return
        self.stats.trades += 1
        bar = self._forming.get(iid)
        if bar is not None and bar.ts != bucket:
            if bucket < bar.ts:
                key = str(iid)
                self.stats.late_trades[key] = self.stats.late_trades.get(key, 0) + 1
                self.stats.trades -= 1
                return
            self._close(iid, bar)
            bar = None
        if bar is None:
            self._forming[iid] = bar = _Forming(bucket, price, price, price, price, size, 1)
            self._next_due = min(self._next_due, bucket + self.interval_ns)
        else:
            if price > bar.high:
                bar.high = price
            if price < bar.low:
                bar.low = price
            bar.close = price
            bar.volume += size
            bar.trades += 1
        if self._on_update is not None:
            self._on_update(self._to_bar(iid, bar, closed=False))

    def on_time(self, now_ns: int) -> None:
        """Close every forming bar whose end has passed."""
        if now_ns < self._next_due:
            return
        due = [(iid, bar) for iid, bar in self._forming.items()
               if bar.ts + self.interval_ns <= now_ns]
        for iid, bar in due:
            self._close(iid, bar)
        self._next_due = min((b.ts + self.interval_ns for b in self._forming.values()),
                             default=_NEVER)

    def forming(self) -> list[Bar]:
        return [self._to_bar(iid, bar, closed=False) for iid, bar in self._forming.items()]

    def _close(self, iid: InstrumentId, bar: _Forming) -> None:
        del self._forming[iid]
        self._last_closed_end[iid] = bar.ts + self.interval_ns
        self.stats.bars_closed += 1
        self._on_close(self._to_bar(iid, bar, closed=True))

    def _to_bar(self, iid: InstrumentId, bar: _Forming, *, closed: bool) -> Bar:
        return Bar(iid, self.interval_ns, bar.ts, bar.open, bar.high, bar.low, bar.close,
                   bar.volume, bar.trades, closed)
