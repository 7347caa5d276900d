"""The contract every recorded-file reader keeps, and the report it fills while reading."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.market import Bar, BookDelta, BookSnapshot, Quote, Trade
from terminal.plugin_host.base import InputProblem

ReplayEvent = Instrument | Quote | Trade | Bar | BookSnapshot | BookDelta
# what a format decodes itself; Instrument events are added by `common.announce`
MarketEvent = Quote | Trade | Bar | BookSnapshot | BookDelta

MAX_PROBLEMS_KEPT = 1000
MAX_REASON_CHARS = 300  # a problem never keeps more of a (possibly huge) bad row than this
MAX_FIELD_CHARS = 120


@dataclass
class ReadReport:
    """What reading one file produced. Filled while the event iterator is consumed."""

    source: str
    format: str
    rows: int = 0
    events: int = 0
    bad_rows: int = 0
    problems: list[InputProblem] = field(default_factory=list)
    # decisions taken while reading (e.g. the date order chosen for an ambiguous file)
    notes: list[str] = field(default_factory=list)

    def add_problem(self, line: int, reason: str, field: str | None = None, *,
                    source: str | None = None) -> None:
        """Count one rejected row; keep the first MAX_PROBLEMS_KEPT of them in `problems`.

        `source` names another file when a format merges a sibling file into this one.
        Readers quote offending values clipped (`common.shown`); the reason and field kept
        are clipped here too, so a 50 MB line never stays in memory through its problem.
        """
        self.bad_rows += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            if len(reason) > MAX_REASON_CHARS:
                reason = reason[:MAX_REASON_CHARS] + "..."
            if field is not None and len(field) > MAX_FIELD_CHARS:
                field = field[:MAX_FIELD_CHARS] + "..."
            self.problems.append(InputProblem(source or self.source, line, reason, field))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


class RecordedFormat(Protocol):
    name: str
    description: str

    def sniff(self, path: Path, head: str) -> bool:
        """True when `head` (the first ~8 KB of text, decompressed) looks like this format."""
        ...

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        """Yield (ts_recv_ns, event) in file order; bad rows go to `report`, never raised."""
        ...
