"""Readers of recorded market-data files for the replay plugin.

`FORMATS` is ordered by detection priority: the most specific sniffers come first and the
generic header-driven CSV readers last. `open_recording` detects (or takes) the format and
returns a lazy event iterator plus the report it fills while being consumed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from plugins.replay.formats.base import ReadReport, RecordedFormat, ReplayEvent
from plugins.replay.formats.common import read_failure, read_head
from plugins.replay.formats.cryptofeed_binance import CryptofeedBinanceHttp
from plugins.replay.formats.cryptofeed_ws import CryptofeedWs
from plugins.replay.formats.l2_binance import BinanceDepthCsv
from plugins.replay.formats.l2_tardis import TardisBookL2, TardisBookSnapshot
from plugins.replay.formats.ohlcv_csv import BacktraderCsv, OhlcCsv, PandasOhlcvCsv, YahooCsv
from plugins.replay.formats.ohlcv_json import CcxtOhlcvJson
from plugins.replay.formats.ohlcv_kline import BinanceKlineCsv
from plugins.replay.formats.tardis_csv import TardisQuotes, TardisTrades
from plugins.replay.formats.ticks_csv import BacktraderTicks, QuotesCsv, TradesCsv
from plugins.replay.formats.ticks_headerless import HistDataTicks, KrakenTradesCsv
from plugins.replay.formats.ticks_json import CcxtTradesJson
from plugins.replay.formats.ttrec import TtrecFormat
from terminal.core.errors import DataError
from terminal.model.ids import InstrumentId
from terminal.model.market_run import MarketRun

__all__ = ["FORMATS", "ReadReport", "RecordedFormat", "ReplayEvent", "detect_format",
           "open_recording"]

_ORDER: list[RecordedFormat] = [
    TtrecFormat(),  # binary with a magic: nothing else can claim it
    CryptofeedWs(),
    CryptofeedBinanceHttp(),
    TardisTrades(),
    TardisQuotes(),
    TardisBookL2(),
    TardisBookSnapshot(),
    BinanceDepthCsv(),
    BinanceKlineCsv(),
    HistDataTicks(),
    KrakenTradesCsv(),
    CcxtOhlcvJson(),
    CcxtTradesJson(),
    BacktraderTicks(),  # before backtrader-csv: same header, trades written as flat bars
    YahooCsv(),
    BacktraderCsv(),
    PandasOhlcvCsv(),
    QuotesCsv(),
    TradesCsv(),
    OhlcCsv(),  # the catch-all for headed OHLC files
]

FORMATS: dict[str, RecordedFormat] = {fmt.name: fmt for fmt in _ORDER}


def detect_format(path: Path) -> RecordedFormat:
    """The first format (in FORMATS order) whose sniffer accepts the file's head."""
    if not path.is_file():
        raise DataError("no such file", source=str(path))
    head = read_head(path)
    if head.strip():
        for fmt in FORMATS.values():
            try:
                accepted = fmt.sniff(path, head)
            except Exception:  # a sniffer choking on odd text means "not mine"
                accepted = False
            if accepted:
                return fmt
    raise DataError(f"unknown recording format (known: {', '.join(FORMATS)}); "
                    "choose one with --format", source=str(path))


def open_recording(path: Path, format_name: str | None = None,
                   instrument_id: InstrumentId | None = None, *, runs: bool = False
                   ) -> tuple[Iterator[tuple[int, ReplayEvent | MarketRun]], ReadReport]:
    """(events, report) for one file. Events are read lazily; the report fills as they are.

    Raises DataError naming the file when it is missing, unrecognised, or `format_name` is
    unknown (the message lists the known names). Read failures of the whole file (I/O,
    corrupt gzip) surface as DataError from the iterator; single bad rows never raise, and
    a truncated gzip file is a problem in the report, after the rows read before the cut.

    `runs`: formats that can (the websocket captures) deliver book updates as MarketRuns.
    """
    if format_name is not None:
        fmt = FORMATS.get(format_name)
        if fmt is None:
            raise DataError(f"unknown format {format_name!r} (known: {', '.join(FORMATS)})",
                            source=str(path))
        if not path.is_file():
            raise DataError("no such file", source=str(path))
    else:
        fmt = detect_format(path)
    report = ReadReport(source=str(path), format=fmt.name)
    if isinstance(fmt, CryptofeedWs):  # turns read failures into DataError itself (hot path)
        if runs:
            return fmt.read_runs(path, report), report
        return fmt.read(path, report, instrument_id), report
    return _guard(fmt.read(path, report, instrument_id), path), report


def _guard(events: Iterator[tuple[int, ReplayEvent]],
           path: Path) -> Iterator[tuple[int, ReplayEvent]]:
    """Turn whole-file read failures into DataError naming the file.

    Readers turn every bad row into a problem themselves; anything else escaping one (a bug,
    MemoryError) still stops only this file, as a DataError, never as a raw exception.
    """
    try:
        yield from events
    except DataError:
        raise
    except Exception as exc:  # the contract: only DataError leaves a reader
        raise read_failure(exc, path) from exc
