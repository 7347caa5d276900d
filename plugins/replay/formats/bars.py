"""Turning parsed OHLCV rows into Bars: the interval is inferred, the replay time is the close.

Bar rule shared by every bar file reader:
- `interval_ns` is the most common positive step between the first PEEK_ROWS stamps
  (`timeparse.infer_interval_ns`); monthly and longer series get 0 (no fixed length) and
  keep the stamp the file gives (e.g. a month-end label).
- `ts` is the bar's open time. Files stamped at the bar END (documented per format) are
  shifted back by one interval when the interval is intraday.
- The yielded replay time (`ts_recv`) is the bar's close, `ts + interval_ns`: a bar is not
  known before it has closed, so a replay never shows a bar early. With interval 0 it is `ts`.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, islice

from plugins.replay.formats.base import ReadReport
from plugins.replay.formats.common import PEEK_ROWS
from plugins.replay.formats.timeparse import NS_PER_DAY, infer_interval_ns
from terminal.model.ids import InstrumentId
from terminal.model.market import Bar

# stamp, open, high, low, close, volume
BarRow = tuple[int, float, float, float, float, float]


def emit_bars(rows: Iterator[BarRow], instrument_id: InstrumentId, report: ReadReport, *,
              bar_end: bool = False) -> Iterator[tuple[int, Bar]]:
    head = list(islice(rows, PEEK_ROWS))
    interval = infer_interval_ns([row[0] for row in head])
    shift = interval if bar_end and 0 < interval < NS_PER_DAY else 0
    if interval == 0 and len(head) > 1:
        report.note("bar interval not fixed (monthly or irregular): interval_ns = 0")
    if shift:
        report.note("timestamps are bar end times: bars shifted back by one interval")
    for stamp, o, h, low, c, v in chain(head, rows):
        ts = stamp - shift
        yield ts + interval, Bar(instrument_id, interval, ts, o, h, low, c, v)
