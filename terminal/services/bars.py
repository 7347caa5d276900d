"""Bars built from trades (or from smaller bars), closed on time by the clock.

Rules (docs/market-data.md):
- A trade belongs to the bar whose [start, end) holds its `ts_event` (see timeframes.py for
  fixed intervals and daily sessions).
- A bar closes when the clock reaches its end, even if no further trade arrives; a bar with
  no trades is never created (gaps stay gaps).
- A trade for a bar that has already closed is late: it is counted per instrument and not
  applied, so a closed bar never changes and no bogus bar appears.
- A trade with a NaN or non-positive price, or a NaN or negative size, is rejected and
  counted; a zero-size print is valid.
- Smaller bars merge into a larger one (first open, highest high, lowest low, last close,
  summed volume); a bar with NaN volume leaves the merged volume NaN (unknown stays unknown).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from terminal.model.ids import InstrumentId
from terminal.model.market import Bar, Trade
from terminal.services.timeframes import NS, Timeframe

NS_PER_MINUTE = NS["m"]
_NEVER = 2**63 - 1


@dataclass(slots=True)
class _Forming:
    ts: int
    end: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    trades: int


@dataclass(slots=True)
class AggregatorStats:
    trades: int = 0
    bars_in: int = 0
    bars_closed: int = 0
    late_trades: dict[str, int] = field(default_factory=dict)
    rejected_trades: int = 0


class BarAggregator:
    def __init__(self, timeframe: Timeframe | int, on_close: Callable[[Bar], None],
                 on_update: Callable[[Bar], None] | None = None) -> None:
        if isinstance(timeframe, int):
            if timeframe <= 0:
                raise ValueError("interval must be positive")
            timeframe = Timeframe(timeframe, f"{timeframe}ns")
        self.timeframe = timeframe
        self.interval_ns = timeframe.interval_ns
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
        bar = self._target(trade.instrument_id, trade.ts_event)
        if bar is None:
            return
        self.stats.trades += 1
        if bar.open != bar.open:  # NaN: the bar is still empty
            bar.open = bar.high = bar.low = bar.close = price
            bar.volume = size
            bar.trades = 1
        else:
            if price > bar.high:
                bar.high = price
            if price < bar.low:
                bar.low = price
            bar.close = price
            bar.volume += size
            bar.trades += 1
        if self._on_update is not None:
            self._on_update(self._to_bar(trade.instrument_id, bar, closed=False))

    def on_bar(self, source: Bar) -> None:
        """Merge a smaller closed bar (e.g. hourly bars into session days)."""
        if not source.is_consistent():
            self.stats.rejected_trades += 1
            return
        bar = self._target(source.instrument_id, source.ts)
        if bar is None:
            return
        self.stats.bars_in += 1
        if bar.open != bar.open:  # NaN: the bar is still empty
            bar.open, bar.high, bar.low = source.open, source.high, source.low
            bar.close, bar.volume = source.close, source.volume
        else:
            bar.high = max(bar.high, source.high)
            bar.low = min(bar.low, source.low)
            bar.close = source.close
            bar.volume += source.volume
        bar.trades += source.trades

    def _target(self, iid: InstrumentId, ts: int) -> _Forming | None:
        """The forming bar for a timestamp, opening or closing bars as needed; None if late."""
        start, end = self.timeframe.bucket(ts)
        if end <= self._last_closed_end.get(iid, -1):
            self._late(iid)
            return None
        bar = self._forming.get(iid)
        if bar is not None and bar.ts != start:
            if start < bar.ts:
                self._late(iid)
                return None
            self._close(iid, bar)
            bar = None
        if bar is None:
            nan = math.nan
            bar = self._forming[iid] = _Forming(start, end, nan, nan, nan, nan, 0.0, 0)
            self._next_due = min(self._next_due, end)
        return bar

    def _late(self, iid: InstrumentId) -> None:
        key = str(iid)
        self.stats.late_trades[key] = self.stats.late_trades.get(key, 0) + 1

    def on_time(self, now_ns: int) -> None:
        """Close every forming bar whose end has passed. A bar closes once the clock is past
        its end, so a smaller bar stamped exactly at that end (a replayed hourly bar arrives
        at its close) still lands in it."""
        if now_ns <= self._next_due:
            return
        due = [(iid, bar) for iid, bar in self._forming.items() if bar.end < now_ns]
        for iid, bar in due:
            self._close(iid, bar)
        self._next_due = min((b.end for b in self._forming.values()), default=_NEVER)

    def flush(self) -> None:
        """Close every forming bar now (the end of a replayed or historical series)."""
        for iid, bar in list(self._forming.items()):
            self._close(iid, bar)
        self._next_due = _NEVER

    def next_due(self) -> int:
        """on_time does nothing until the clock passes this (the earliest forming bar end)."""
        return self._next_due

    def forming(self) -> list[Bar]:
        return [self._to_bar(iid, bar, closed=False) for iid, bar in self._forming.items()]

    def _close(self, iid: InstrumentId, bar: _Forming) -> None:
        del self._forming[iid]
        self._last_closed_end[iid] = bar.end
        self.stats.bars_closed += 1
        self._on_close(self._to_bar(iid, bar, closed=True))

    def _to_bar(self, iid: InstrumentId, bar: _Forming, *, closed: bool) -> Bar:
        return Bar(iid, self.interval_ns, bar.ts, bar.open, bar.high, bar.low, bar.close,
                   bar.volume, bar.trades, closed)


class BarBuilder:
    """Builds bars for several timeframes at once from the same trades."""

    def __init__(self, timeframes: list[Timeframe], on_close: Callable[[Bar], None],
                 on_update: Callable[[Bar], None] | None = None) -> None:
        self.aggregators = [BarAggregator(tf, on_close, on_update) for tf in timeframes]

    @property
    def timeframes(self) -> list[Timeframe]:
        return [agg.timeframe for agg in self.aggregators]

    def on_trade(self, trade: Trade) -> None:
        for agg in self.aggregators:
            agg.on_trade(trade)

    def on_time(self, now_ns: int) -> None:
        for agg in self.aggregators:
            agg.on_time(now_ns)

    def next_due(self) -> int:
        due = _NEVER
        for agg in self.aggregators:
            due = min(due, agg._next_due)
        return due

    def forming(self) -> list[Bar]:
        return [bar for agg in self.aggregators for bar in agg.forming()]

    def late_trades(self) -> dict[str, dict[str, int]]:
        return {agg.timeframe.label: dict(agg.stats.late_trades) for agg in self.aggregators
                if agg.stats.late_trades}

    def rejected_trades(self) -> int:
        return max((agg.stats.rejected_trades for agg in self.aggregators), default=0)
