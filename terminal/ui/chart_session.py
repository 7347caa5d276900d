"""What the chart shows: one instrument at one timeframe, from stored bars plus live ones.

History comes from the database (the finest stored timeframe that divides the chart's,
rolled up), merged with the bars closed since start that may not be stored yet. Live bars
come from the engine's bar builder at the longest built timeframe that divides the chart's,
rolled up in O(1) per bar by `LiveRollup`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from terminal.app import Engine
from terminal.model.ids import InstrumentId
from terminal.model.market import Bar
from terminal.services.bar_resample import BarArrays, LiveRollup, resample
from terminal.services.running_indicator import RunningIndicator
from terminal.services.timeframes import STORED_INTERVALS_NS
from terminal.ui.chart.chart_widget import ChartWidget

HISTORY_BARS = 20_000  # chart bars loaded when an instrument or timeframe is chosen
MAX_SOURCE_BARS = 1_000_000  # stored bars read to roll up into them
EMA_SPANS = ((20, "#f0b90b"), (50, "#42a5f5"))
RSI_PANE = "RSI 14"
RSI_LEVELS = (30.0, 70.0)  # the usual oversold and overbought lines


class ChartSession:
    def __init__(self, engine: Engine, chart: ChartWidget) -> None:
        self.engine = engine
        self.chart = chart
        self.instrument: InstrumentId | None = None
        self.interval_ns = 60_000_000_000
        self.source_interval_ns: int | None = None  # live bars rolled up into the chart's
        self._rollup = LiveRollup(self.interval_ns)
        self._emas = {span: RunningIndicator.ema(span) for span, _colour in EMA_SPANS}
        self._rsi = RunningIndicator.rsi(14)
        chart.add_subpane(RSI_PANE)
        chart.add_subpane_levels(RSI_PANE, RSI_LEVELS)

    def show(self, iid: InstrumentId, interval_ns: int, recent: Iterable[Bar] = ()) -> int:
        """Load `iid` at `interval_ns`; `recent` are bars closed since start (any timeframe).

        An instrument whose history is stored only in longer bars (daily files) is shown at
        the shortest of those instead; the interval shown is returned."""
        recent = list(recent)
        if not self._has_bars(iid, interval_ns, recent):
            interval_ns = self._coarser_stored(iid, interval_ns) or interval_ns
        self.instrument = iid
        self.interval_ns = interval_ns
        self._rollup = LiveRollup(interval_ns)
        self.source_interval_ns = self._live_source(interval_ns)
        stored, shorts = self._stored(iid, interval_ns)
        last_fine_ts = shorts[-1].ts if shorts else -1
        late = [b for b in recent if b.instrument_id == iid
                and b.interval_ns == self.source_interval_ns and b.ts > last_fine_ts]
        if late:
            stored = _append(stored, late, interval_ns)
            shorts = [*shorts, *late]
            last_fine_ts = late[-1].ts
        self.chart.set_bars(*stored)
        n = len(stored.ts)
        if n:
            last = Bar(iid, interval_ns, int(stored.ts[-1]), float(stored.open[-1]),
                       float(stored.high[-1]), float(stored.low[-1]), float(stored.close[-1]),
                       float(stored.volume[-1]))
            tail = [b for b in shorts[-(interval_ns // max(shorts[-1].interval_ns, 1)) - 1:]
                    if b.ts >= last.ts and b.interval_ns < interval_ns]
            self._rollup.seed(last, last_fine_ts, tail)
        self.chart.interval_ns = interval_ns
        self.update_indicators(reset=True)
        return interval_ns

    def _has_bars(self, iid: InstrumentId, interval_ns: int, recent: list[Bar]) -> bool:
        if any(b.instrument_id == iid and b.interval_ns <= interval_ns for b in recent):
            return True
        db = self.engine.db
        if db is None:
            return True
        return any(db.bars.latest_ts(iid, i) is not None for i in STORED_INTERVALS_NS
                   if i <= interval_ns and interval_ns % i == 0)

    def _coarser_stored(self, iid: InstrumentId, interval_ns: int) -> int | None:
        db = self.engine.db
        if db is None:
            return None
        return next((i for i in STORED_INTERVALS_NS
                     if i > interval_ns and db.bars.latest_ts(iid, i) is not None), None)

    def on_bars(self, closed: Iterable[Bar], forming: Iterable[Bar]) -> bool:
        """Live bars since the last frame; True if the chart changed."""
        iid, source = self.instrument, self.source_interval_ns
        if iid is None or source is None:
            return False
        changed = False
        for bar in closed:
            if bar.instrument_id == iid and bar.interval_ns == source:
                long_bar = self._rollup.on_closed(bar)
                if long_bar is not None:
                    self.chart.upsert_bar(long_bar)
                    changed = True
        for bar in forming:
            if bar.instrument_id == iid and bar.interval_ns == source:
                long_bar = self._rollup.with_forming(bar)
                if long_bar is not None:
                    self.chart.upsert_bar(long_bar)
                    changed = True
        if changed:
            self.update_indicators()
        return changed

    def update_indicators(self, reset: bool = False) -> None:
        """After a new history (reset) the indicators are computed over all of it; after
        live bars only the new and the edited last values are (O(1) per frame)."""
        close = self.chart.series.close
        for span, colour in EMA_SPANS:
            running = self._emas[span]
            values = running.reset(close) if reset else running.update(close)
            self.chart.set_overlay(f"EMA {span}", values, colour)
        values = self._rsi.reset(close) if reset else self._rsi.update(close)
        self.chart.set_subpane_series(RSI_PANE, "RSI 14", values)

    def _live_source(self, interval_ns: int) -> int | None:
        """The longest timeframe the engine builds that divides the chart's."""
        built = [tf.interval_ns for tf in self.engine.aggregator.timeframes
                 if tf.session_close is None]  # session days are not UTC buckets
        fitting = [i for i in built if i <= interval_ns and interval_ns % i == 0]
        return max(fitting) if fitting else None

    def _stored(self, iid: InstrumentId, interval_ns: int) -> tuple[BarArrays, list[Bar]]:
        """The stored bars at the chart's timeframe, or rolled up from the finest shorter one
        that divides it; and the stored bars they were made of."""
        db = self.engine.db
        bars: list[Bar] = []
        if db is not None:
            candidates = [interval_ns, *sorted(
                (i for i in STORED_INTERVALS_NS if i < interval_ns and interval_ns % i == 0),
                reverse=True)]
            for source in candidates:
                count = min(HISTORY_BARS * (interval_ns // source), MAX_SOURCE_BARS)
                bars = db.bars.last(iid, source, count)
                if bars:
                    break
        arrays = _arrays(bars)
        if bars and bars[0].interval_ns < interval_ns:
            arrays = resample(arrays, interval_ns)
        return arrays, bars


def _arrays(bars: list[Bar]) -> BarArrays:
    return BarArrays(np.array([b.ts for b in bars], dtype=np.int64),
                     *(np.array([getattr(b, f) for b in bars], dtype=np.float64)
                       for f in ("open", "high", "low", "close", "volume")))


def _append(stored: BarArrays, late: list[Bar], interval_ns: int) -> BarArrays:
    """Stored bars with later ones rolled onto them (the last stored bar's bucket may go on
    in the first late bar). Rolling up bars already aligned to the interval changes none."""
    joined = BarArrays(*(np.concatenate([a, b]) for a, b in zip(stored, _arrays(late),
                                                                  strict=True)))
    return resample(joined, interval_ns)
