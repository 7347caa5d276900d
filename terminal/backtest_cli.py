"""`trading-terminal backtest`: run a strategy over a recorded file's bars or stored bars,
print the figures, store the result and optionally write JSON and CSV files."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import orjson

from terminal.core.bus import EventBus
from terminal.core.clock import TestClock
from terminal.core.errors import TerminalError
from terminal.core.tasks import TaskTracker
from terminal.model.backtest import BacktestResult
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.market import Bar, BookDelta, BookSnapshot, Level, Quote, Trade
from terminal.model.portfolio import Fill
from terminal.paths import default_data_dir
from terminal.plugin_host.base import InputProblem, PluginContext
from terminal.plugin_host.playback import play_to_end
from terminal.services.backtest import (
    STRATEGIES,
    ParamError,
    export_csv,
    parse_params,
    run_backtest,
)
from terminal.services.backtest.report import STAT_ROWS, bar_arrays, bars_for, format_stat
from terminal.services.bar_resample import BarArrays
from terminal.services.instruments import InstrumentService
from terminal.services.timeframes import parse_timeframe

USAGE_ERROR = 2
BAR_WIDTH = 30


def build_backtest_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trading-terminal backtest", allow_abbrev=False,
        description="Backtest a strategy over a recorded file's bars or bars stored in the "
        "database. A buy signal sets the position to +size, a sell signal to -size (0 with "
        "--long-only); fills at the next bar's open with fee and slippage.")
    parser.add_argument("--strategy", required=True, choices=sorted(STRATEGIES),
                        help="the strategy to run")
    parser.add_argument("--params", default="", metavar="NAME=VALUE[,...]",
                        help="strategy parameters, e.g. fast=10,slow=30,kind=sma")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", type=Path, default=None, metavar="PATH",
                        help="a recorded file with bars (any format the replay reads)")
    source.add_argument("--from-db", default=None, metavar="VENUE:SYMBOL",
                        help="bars stored in the database for this instrument")
    parser.add_argument("--instrument", default=None, metavar="VENUE:SYMBOL",
                        help="the file's instrument, for files that do not name one; with "
                        "several in the file, the one to test")
    parser.add_argument("--timeframe", default=None, metavar="TF",
                        help="bar timeframe (default: the file's; 1m with --from-db)")
    parser.add_argument("--fee-bps", type=float, default=10.0, help="fee (default 10 bps)")
    parser.add_argument("--slippage-bps", type=float, default=5.0,
                        help="slippage (default 5 bps)")
    parser.add_argument("--size", type=float, default=1.0, help="position size in units")
    parser.add_argument("--cash", type=float, default=10_000.0, help="starting cash")
    parser.add_argument("--long-only", action="store_true", help="sell signals go flat")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"where the database lives (default {default_data_dir()})")
    parser.add_argument("--db-url", default=None, help="any SQLAlchemy URL")
    parser.add_argument("--no-store", action="store_true", help="do not store the result")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT",
                        help="write the settings, figures and trades here as JSON")
    parser.add_argument("--export-dir", type=Path, default=None, metavar="DIR",
                        help="write backtest_trades.csv and backtest_equity.csv here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: Sequence[str]) -> int:
    parser = build_backtest_parser()
    args = parser.parse_args(list(argv))
    spec = STRATEGIES[args.strategy]
    try:
        params = parse_params(spec, args.params)
    except ParamError as exc:
        parser.error(f"--params: {exc}")
    for name in ("fee_bps", "slippage_bps"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value >= 0):
            parser.error(f"--{name.replace('_', '-')} must be 0 or more, not {value}")
    if not (math.isfinite(args.size) and args.size > 0):
        parser.error(f"--size must be positive, not {args.size}")
    if not (math.isfinite(args.cash) and args.cash > 0):
        parser.error(f"--cash must be positive, not {args.cash}")
    for option, text in (("--instrument", args.instrument), ("--from-db", args.from_db)):
        if text is not None:
            try:
                InstrumentId.parse(text)
            except TerminalError as exc:
                parser.error(f"{option}: {exc}")
    if args.timeframe is not None:
        try:
            parse_timeframe(args.timeframe)
        except TerminalError as exc:
            parser.error(f"--timeframe: {exc}")
    if args.file is not None and not args.file.is_file():
        parser.error(f"--file {args.file}: no such file")
    if args.json is not None and args.json.is_dir():
        parser.error(f"--json {args.json} is a folder; give a file name")
    if args.export_dir is not None and args.export_dir.exists() \
            and not args.export_dir.is_dir():
        parser.error(f"--export-dir {args.export_dir} is a file, not a folder")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    db = None
    try:
        if not args.no_store or args.from_db:
            db = _open_db(args)
        if args.from_db:
            assert db is not None
            iid = InstrumentId.parse(args.from_db)
            timeframe = args.timeframe or "1m"
            bars = bars_for(db, iid, parse_timeframe(timeframe).interval_ns)
            if not len(bars.ts):
                print(f"error: no {timeframe} bars of {iid} in the database, stored or made "
                      "from shorter stored ones (store some with --history, backfill, or a "
                      "replay)", file=sys.stderr)
                return USAGE_ERROR
        else:
            iid, interval, bars = _file_bars(args.file, args.instrument)
            timeframe = args.timeframe or _label(interval)
        strategy = spec.make(iid, timeframe, params)
        bar = ProgressBar(sys.stderr, enabled=not args.quiet)
        result = run_backtest(strategy, bars, args.fee_bps, args.slippage_bps, args.size,
                              args.long_only, bar.update, cash=args.cash,
                              strategy_name=spec.name)
        bar.finish()
        stored = db.backtests.save(result) if db is not None and not args.no_store else None
    except (TerminalError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    finally:
        if db is not None:
            db.close()
    print_stats(result, stored, sys.stdout)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps(as_json(result, stored),
                                           option=orjson.OPT_INDENT_2) + b"\n")
    if args.export_dir is not None:
        for path in export_csv(result, args.export_dir):
            print(f"wrote {path}")
    return 0


def _open_db(args: argparse.Namespace) -> Any:
    from terminal.persistence import Database

    data_dir: Path = args.data_dir or default_data_dir()
    db = Database.open(args.db_url or Database.default_url(data_dir))
    try:
        db.migrate()
    except BaseException:
        db.close()
        raise
    return db


class _BarCollector:
    """A market-data sink that keeps the closed bars a replay delivers."""

    def __init__(self) -> None:
        self.bars: dict[tuple[InstrumentId, int], list[Bar]] = {}
        self.problems: list[InputProblem] = []

    def on_time(self, ts_ns: int) -> None:
        pass

    def on_instrument(self, instrument: Instrument) -> None:
        pass

    def on_quote(self, quote: Quote) -> None:
        pass

    def on_trade(self, trade: Trade) -> None:
        pass

    def on_bar(self, bar: Bar) -> None:
        if bar.closed:
            self.bars.setdefault((bar.instrument_id, bar.interval_ns), []).append(bar)

    def on_book_snapshot(self, snapshot: BookSnapshot) -> None:
        pass

    def on_book_delta(self, delta: BookDelta) -> None:
        pass

    def on_input_problem(self, problem: InputProblem) -> None:
        self.problems.append(problem)


class _NoBooks:
    def levels(self, instrument_id: InstrumentId, depth: int) -> tuple[list[Level], list[Level]]:
        return [], []

    def is_usable(self, instrument_id: InstrumentId) -> bool:
        return False


class _NoExecution:
    def on_accepted(self, client_order_id: str, venue_order_id: str, ts_ns: int) -> None: ...
    def on_rejected(self, client_order_id: str, reason: str, ts_ns: int) -> None: ...
    def on_fill(self, fill: Fill) -> None: ...
    def on_canceled(self, client_order_id: str, ts_ns: int) -> None: ...
    def on_modified(self, client_order_id: str, quantity: Any, price: Any,
                    ts_ns: int) -> None: ...


def _file_bars(path: Path, instrument: str | None) -> tuple[InstrumentId, int, BarArrays]:
    """The bars of a recorded file, read by the replay plugin (found through the registry,
    as the engine does) at full speed into a collector."""
    from terminal.plugin_host.registry import PluginRegistry

    sink = _BarCollector()
    bus = EventBus()

    async def read() -> None:
        loop = asyncio.get_running_loop()

        def post(fn: Callable[[], None]) -> None:
            loop.call_soon_threadsafe(fn)

        context = PluginContext(
            bus=bus, clock=TestClock(), tasks=TaskTracker(), data_dir=path.parent,
            books=_NoBooks(), instruments=InstrumentService(bus), market_data=sink,
            execution=_NoExecution(), post=post)
        stats = await play_to_end(PluginRegistry(), "replay", context, {
            "paths": [path], "speed": "max", "instrument": instrument})
        errors = stats.get("errors", [])
        if errors and not sink.bars:
            raise TerminalError(str(errors[0]))

    asyncio.run(read())
    if not sink.bars:
        raise TerminalError(f"--file {path}: no bars in it (a backtest needs OHLC bars)")
    keys = list(sink.bars)
    if instrument is not None:
        wanted = InstrumentId.parse(instrument)
        keys = [k for k in keys if k[0] == wanted] or keys
    if len({k[0] for k in keys}) > 1:
        names = ", ".join(sorted({str(k[0]) for k in keys}))
        raise TerminalError(f"--file {path} holds bars of several instruments ({names}); "
                            "choose one with --instrument")
    key = max(keys, key=lambda k: len(sink.bars[k]))
    bars = sorted(sink.bars[key], key=lambda b: b.ts)
    unique = [b for k, b in enumerate(bars) if k == 0 or b.ts != bars[k - 1].ts]
    return key[0], key[1], bar_arrays(unique)


def _label(interval_ns: int) -> str:
    """A timeframe label for a bar interval: 1d, 4h, 5m, 30s (1m when unknown)."""
    seconds = interval_ns // 1_000_000_000
    if seconds <= 0:
        return "1m"
    for unit, length in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % length == 0:
            return f"{seconds // length}{unit}"
    return f"{seconds}s"


class ProgressBar:
    """`[#####.....]  42%` on one stderr line, redrawn only when the percent changes."""

    def __init__(self, stream: TextIO, enabled: bool = True, label: str = "backtest") -> None:
        self._stream = stream
        self._enabled = enabled
        self._label = label
        self._shown = -1

    def update(self, fraction: float) -> None:
        percent = int(max(0.0, min(1.0, fraction)) * 100)
        if not self._enabled or percent == self._shown:
            return
        self._shown = percent
        filled = percent * BAR_WIDTH // 100
        self._stream.write(f"\r{self._label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                           f"{percent:3d}%")
        self._stream.flush()

    def finish(self) -> None:
        if self._enabled and self._shown >= 0:
            self._stream.write("\n")
            self._stream.flush()


def print_stats(result: BacktestResult, stored: int | None, out: TextIO) -> None:
    params = ",".join(f"{k}={v}" for k, v in result.params.items())
    print(f"{result.strategy} ({params}) on {result.instrument_id} {result.timeframe}: "
          f"{result.bars} bars, {result.signals} signals, fee {result.fee_bps:g} bps, "
          f"slippage {result.slippage_bps:g} bps, size {result.size:g}"
          f"{', long only' if result.long_only else ''}", file=out)
    width = max(len(label) for _, label, _ in STAT_ROWS)
    print(f"{'STAT':{width}}  VALUE", file=out)
    for key, label, kind in STAT_ROWS:
        print(f"{label:{width}}  {format_stat(result.stats[key], kind)}", file=out)
    final = float(result.equity[-1]) if result.bars else result.cash
    print(f"{'Final equity':{width}}  {final:.2f}", file=out)
    if stored is not None:
        print(f"stored as backtest {stored}", file=out)


def _plain(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def as_json(result: BacktestResult, stored: int | None) -> dict[str, Any]:
    return {
        "id": stored, "strategy": result.strategy, "strategy_id": result.strategy_id,
        "instrument": result.instrument_id, "timeframe": result.timeframe,
        "params": {k: _plain(v) for k, v in result.params.items()},
        "fee_bps": result.fee_bps, "slippage_bps": result.slippage_bps,
        "size": result.size, "long_only": result.long_only, "cash": result.cash,
        "bars": result.bars, "signals": result.signals,
        "start_ns": int(result.ts[0]) if result.bars else None,
        "end_ns": int(result.ts[-1]) if result.bars else None,
        "final_equity": float(result.equity[-1]) if result.bars else result.cash,
        "stats": {k: _plain(v) for k, v in result.stats.items()},
        "trades": [{"entry_ts": t.entry_ts, "exit_ts": t.exit_ts, "qty": t.qty,
                    "entry_price": t.entry_price, "exit_price": _plain(t.exit_price),
                    "pnl": t.pnl, "fees": t.fees} for t in result.trades],
    }
