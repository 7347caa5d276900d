"""Command line: `trading-terminal [run options] | plugins list [--json]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from terminal import __version__
from terminal.paths import default_data_dir


def _speed(text: str) -> float | str:
    if text.lower() == "max":
        return "max"
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"speed must be a number or 'max', not {text!r}") \
            from None
    if not value > 0:
        raise argparse.ArgumentTypeError("speed must be positive")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trading-terminal", description="Trading Terminal: charts, order books, order "
        "entry, local signal and risk engines, and a localhost API.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"where the database and logs live (default {default_data_dir()})")
    parser.add_argument("--db-url", default=None,
                        help="any SQLAlchemy URL (default: SQLite file in the data dir)")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--headless", action="store_true", help="run the engine without a window")
    parser.add_argument("--replay", nargs="+", type=Path, default=[], metavar="PATH",
                        help="recorded files to play (merged by time)")
    parser.add_argument("--format", dest="replay_format", default=None,
                        help="force the recording format (an unknown name lists the known ones)")
    parser.add_argument("--instrument", default=None,
                        help="VENUE:SYMBOL for recordings that do not name one")
    parser.add_argument("--instruments", nargs="+", type=Path, default=[], metavar="PATH",
                        help="exchange metadata files (cryptofeed captures of Binance "
                        "exchangeInfo, Coinbase products, Kraken AssetPairs) whose tick and "
                        "lot sizes are announced before the replay")
    parser.add_argument("--speed", type=_speed, default=1.0,
                        help="replay speed factor, or 'max' (default 1)")
    parser.add_argument("--max-gap", type=float, default=None, metavar="SECONDS",
                        help="when paced, let no idle stretch last longer than this "
                        "(nights, files from different days)")
    parser.add_argument("--bars", default="1m", metavar="TF[,TF...]",
                        help="timeframes to build from trades, e.g. 1m,5m,1h or "
                        "'1d@17:00 America/New_York' (default 1m)")
    parser.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                        help="stop after this many seconds")
    parser.add_argument("--stay", action="store_true",
                        help="keep running after the replay ends (until Ctrl-C or --duration)")
    parser.add_argument("--summary-json", type=Path, default=None, metavar="PATH",
                        help="write the run summary here as JSON")
    sub = parser.add_subparsers(dest="command")
    plugins = sub.add_parser("plugins", help="list the installed plugins")
    plugins_sub = plugins.add_subparsers(dest="plugins_command", required=True)
    listing = plugins_sub.add_parser("list", help="installed plugins and their status")
    listing.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.instruments and not args.replay:
        parser.error("--instruments needs --replay")
    if args.command == "plugins":
        return _plugins(args)
    return _run(args)


def _plugins(args: argparse.Namespace) -> int:
    from terminal.plugin_host.registry import PluginRegistry

    registry = PluginRegistry()
    entries = [e.as_dict() for e in registry.entries()]
    if args.json:
        print(json.dumps(entries, indent=2))
        return 0
    if not entries:
        print("no plugins installed")
        return 0
    print(f"{'ID':12} {'STATUS':10} {'VERSION':9} {'KINDS':12} NAME")
    for e in entries:
        print(f"{e['id']:12} {e['status']:10} {e['version'] or '-':9} "
              f"{','.join(e['kinds']) or '-':12} {e['name'] or ''}")
        if e["error"]:
            print(f"{'':12} error: {e['error']}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from terminal.logging_setup import configure_logging

    data_dir: Path = args.data_dir or default_data_dir()
    configure_logging(args.log_level, data_dir)
    if not args.headless:
        try:
            from terminal.ui.launch import launch
        except ImportError:
            print("The desktop window is not part of this build yet; running headless.",
                  file=sys.stderr)
        else:
            return int(launch(args))
    return asyncio.run(_headless(args, data_dir))


async def _headless(args: argparse.Namespace, data_dir: Path) -> int:
    from terminal.app import Engine, EngineOptions
    from terminal.core.errors import TerminalError

    options = EngineOptions(data_dir=data_dir, db_url=args.db_url, replay_paths=args.replay,
                            replay_format=args.replay_format,
                            replay_instrument=args.instrument,
                            instrument_files=args.instruments, speed=args.speed,
                            max_gap_s=args.max_gap,
                            bar_timeframes=[t.strip() for t in args.bars.split(",") if t.strip()])
    try:
        engine = Engine(options)
    except TerminalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, engine.request_stop)
    try:
        await engine.start()
    except TerminalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        await engine.stop()
        return 2
    status = asyncio.get_running_loop().create_task(_report_status(engine))
    try:
        await engine.run(duration_s=args.duration, stay=args.stay)
    finally:
        status.cancel()
        await engine.stop()
    summary = engine.summary()
    _write_summary(summary, args.summary_json)
    return 0 if summary["ok"] else 1


STATUS_EVERY_S = 10.0


async def _report_status(engine: Any) -> None:
    """A line every few seconds so a long headless run shows it is alive."""
    log = logging.getLogger("terminal")
    while True:
        await asyncio.sleep(STATUS_EVERY_S)
        books = engine.books.summary()
        usable = sum(1 for b in books.values() if b["usable"])
        orders = engine.orders.working() if engine.orders else []
        log.info("running: %d events, %d/%d books usable, %d bars built, %d working orders, "
                 "%d fills", sum(engine.market_data.events.values()), usable, len(books),
                 engine.bars_built, len(orders), len(engine.orders.fills if engine.orders
                                                      else []))


def _write_summary(summary: dict[str, Any], path: Path | None) -> None:
    text = orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text + b"\n")
    ev = summary["events"]
    print(f"processed {ev['total']} events ({summary['events_per_second']}/s) from "
          f"{len(summary['instruments'])} instruments; books {len(summary['books'])}; "
          f"bars built {summary['bars']['built_from_trades']}, stored {summary['bars']['stored']};"
          f" fills {summary['fills']}; rejected rows {summary['rejected_input_rows']['count']};"
          f" errors {len(summary['errors'])}")
    for err in summary["errors"]:
        print(f"error: {err}", file=sys.stderr)
