"""History import: a recording played at full speed into storage only.

Bars go to the database and instruments to the instrument service; nothing reaches the live
books, bar builder, clock or quality counters, so imported history never looks like a feed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.market import Bar, BookDelta, BookSnapshot, Quote, Trade
from terminal.plugin_host.base import InputProblem
from terminal.services.instruments import InstrumentService
from terminal.services.recorder import Recorder

MAX_PROBLEMS_KEPT = 20


@dataclass
class HistoryReport:
    bars: Counter[InstrumentId] = field(default_factory=Counter)
    skipped_events: int = 0  # quotes, trades and book events: history keeps bars only
    bad_rows: int = 0
    problems: list[InputProblem] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"bars": {str(k): v for k, v in sorted(self.bars.items())},
                "skipped_events": self.skipped_events, "bad_rows": self.bad_rows,
                "problems": [str(p) for p in self.problems]}


class HistorySink:
    """A MarketDataSink that stores bars and instruments, and ignores the rest."""

    def __init__(self, recorder: Recorder, instruments: InstrumentService) -> None:
        self._recorder = recorder
        self._instruments = instruments
        self.report = HistoryReport()

    def on_time(self, ts_ns: int) -> None:
        pass

    def on_instrument(self, instrument: Instrument) -> None:
        self._instruments.add(instrument)

    def on_bar(self, bar: Bar) -> None:
        if bar.closed:
            self._recorder.on_bar(bar)
            self.report.bars[bar.instrument_id] += 1

    def on_quote(self, quote: Quote) -> None:
        self.report.skipped_events += 1

    def on_trade(self, trade: Trade) -> None:
        self.report.skipped_events += 1

    def on_book_snapshot(self, snapshot: BookSnapshot) -> None:
        self.report.skipped_events += 1

    def on_book_delta(self, delta: BookDelta) -> None:
        self.report.skipped_events += 1

    def on_input_problem(self, problem: InputProblem) -> None:
        if len(self.report.problems) < MAX_PROBLEMS_KEPT:
            self.report.problems.append(problem)
