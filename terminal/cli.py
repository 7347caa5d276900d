"""Command line: `trading-terminal [run options] | plugins list [--json] | backtest ... |
token ...`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes.util
import json
import logging
import os
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


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, not {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def _instrument_id(text: str) -> str:
    from terminal.core.errors import InstrumentError
    from terminal.model.ids import InstrumentId

    try:
        return str(InstrumentId.parse(text))
    except InstrumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _log_level(text: str) -> str:
    if text.upper() not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"choose one of {', '.join(LOG_LEVELS)}")
    return text.upper()


def build_plugins_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trading-terminal plugins",
                                     description="Installed plugins and their status.")
    sub = parser.add_subparsers(dest="plugins_command", metavar="list|validate")
    listing = sub.add_parser("list", help="installed plugins and their status")
    listing.add_argument("--json", action="store_true", help="print JSON")
    checking = sub.add_parser("validate", help="check a plugin folder or installed plugin")
    checking.add_argument("target", metavar="PATH|NAME")
    checking.add_argument("--imports", action="store_true",
                          help="also import and check the config model and factory")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trading-terminal", description="Trading Terminal: charts, order books, order "
        "entry, local signal and risk engines, and a localhost API.",
        epilog="Other commands: `trading-terminal plugins list [--json]`, `trading-terminal "
        "backtest --help`, `trading-terminal token --help`, `trading-terminal pair --help`.",
        allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"where the database and logs live (default {default_data_dir()})")
    parser.add_argument("--db-url", default=None,
                        help="any SQLAlchemy URL (default: SQLite file in the data dir)")
    parser.add_argument("--log-level", type=_log_level, default="INFO",
                        help=f"one of {', '.join(LOG_LEVELS)} (default INFO)")
    parser.add_argument("--headless", action="store_true", help="run the engine without a window")
    parser.add_argument("--replay", nargs="+", type=Path, default=[], metavar="PATH",
                        help="recorded files to play (merged by time)")
    parser.add_argument("--format", dest="replay_format", default=None,
                        help="force the recording format (an unknown name lists the known ones)")
    parser.add_argument("--instrument", type=_instrument_id, default=None,
                        help="VENUE:SYMBOL for recordings that do not name one")
    parser.add_argument("--instruments", nargs="+", type=Path, default=[], metavar="PATH",
                        help="exchange metadata files (cryptofeed captures of Binance "
                        "exchangeInfo, Coinbase products, Kraken AssetPairs) whose tick and "
                        "lot sizes are announced before the replay")
    parser.add_argument("--speed", type=_speed, default=1.0,
                        help="replay speed factor, or 'max' (default 1)")
    parser.add_argument("--max-gap", type=_positive_seconds, default=None, metavar="SECONDS",
                        help="when paced, let no idle stretch last longer than this "
                        "(nights, files from different days)")
    parser.add_argument("--bars", default="1m", metavar="TF[,TF...]",
                        help="timeframes to build from trades, e.g. 1m,5m,1h or "
                        "'1d@17:00 America/New_York' (default 1m)")
    parser.add_argument("--duration", type=_positive_seconds, default=None, metavar="SECONDS",
                        help="stop after this many seconds")
    parser.add_argument("--stay", action="store_true",
                        help="keep running after the replay ends (until Ctrl-C or --duration)")
    parser.add_argument("--history", nargs="+", type=Path, default=[], metavar="PATH",
                        help="files whose bars are stored as chart history at start (any "
                        "format --replay reads), without being played")
    parser.add_argument("--record", type=Path, default=None, metavar="PATH",
                        help="record every market data event delivered (live or replayed) to "
                        "this new file, in the ttrec format that --replay reads back")
    parser.add_argument("--summary-json", type=Path, default=None, metavar="PATH",
                        help="write the run summary here as JSON")
    parser.add_argument("--api-port", type=_port, default=None, metavar="PORT",
                        help=f"port of the local API on 127.0.0.1 (default: the profile's, "
                        f"{DEFAULT_API_PORT} on a new install;"
                        " 0 picks a free one)")
    parser.add_argument("--no-api", action="store_true", help="do not serve the local API")
    parser.add_argument("--live", default=None, metavar="PLUGIN",
                        help="connect a live data plugin at start (binance, coinbase, kraken)")
    parser.add_argument("--live-symbols", default=None, metavar="SYM[,SYM...]",
                        help="the symbols of --live (default: the plugin's)")
    parser.add_argument("--api-allow-host", action="append", default=[], metavar="NAME",
                        help="also answer to this Host name (a tunnel's, for TradingView "
                        "alerts); repeatable")
    parser.add_argument("--lan", default=None, metavar="ADDRESS",
                        help="also serve the API on this network address for a paired phone, "
                        "with TLS only (a self-signed certificate the pairing QR pins)")
    parser.add_argument("--lan-port", type=_port, default=8766, metavar="PORT",
                        help="port of the LAN listener (default 8766)")
    return parser


DEFAULT_API_PORT = 8765


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a port is a whole number, not {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is within 0..65535, not {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["plugins"]:
        plugins_parser = build_plugins_parser()
        plugins_args = plugins_parser.parse_args(argv[1:])
        if plugins_args.plugins_command is None:
            plugins_parser.error("say what to do: `trading-terminal plugins list [--json]`")
        return _plugins(plugins_args)
    if argv[:1] == ["backfill"]:
        from terminal.backfill_cli import main as backfill_main

        return backfill_main(argv[1:])
    if argv[:1] == ["pair"]:
        from terminal.pair_cli import main as pair_main

        return pair_main(argv[1:])
    if argv[:1] == ["token"]:
        from terminal.token_cli import main as token_main

        return token_main(argv[1:])
    if argv[:1] == ["webhook"]:
        from terminal.webhook_cli import main as webhook_main
        return webhook_main(argv[1:])
    if argv[:1] == ["selftest"]:
        from terminal.selftest import main as selftest_main
        return selftest_main(argv[1:])
    if argv[:1] == ["backtest"]:
        from terminal.backtest_cli import main as backtest_main

        return backtest_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.instruments and not args.replay:
        parser.error("--instruments needs --replay")
    if args.instrument and len(args.replay) > 1:
        parser.error("--instrument names the instrument of one recording; replay the files "
                     "one at a time, or leave it out (each file then gets REPLAY:<file name>)")
    if args.lan is not None and args.no_api:
        parser.error("--lan serves the API on the network: it cannot go with --no-api")
    if args.lan in ("0.0.0.0", "::", ""):
        parser.error("--lan needs the address a phone reaches this computer at (e.g. "
                     "192.168.1.20), not a wildcard")
    problem = _check_paths(args)
    if problem:
        parser.error(problem)
    return _run(args)


def _check_paths(args: argparse.Namespace) -> str | None:
    """Mistakes that would otherwise only show after a whole replay (or as a traceback)."""
    if args.data_dir is not None and not str(args.data_dir).strip():
        return "--data-dir is empty"
    if args.data_dir is not None and args.data_dir.exists() and not args.data_dir.is_dir():
        return f"--data-dir {args.data_dir} is a file, not a folder"
    timeframes = [t.strip() for t in args.bars.split(",") if t.strip()]
    if not timeframes:
        return f"--bars {args.bars!r}: name at least one timeframe, e.g. 1m"
    if len(set(timeframes)) != len(timeframes):
        return f"--bars {args.bars}: a timeframe is given twice"
    record = args.record
    if record is not None:
        if record.exists() or record.is_symlink():
            return f"--record {record} exists; give a new file name (recordings are never " \
                   "overwritten)"
        if record.parent.exists() and not record.parent.is_dir():
            return f"--record {record}: {record.parent} is not a folder"
    summary = args.summary_json
    if summary is not None:
        if summary.is_dir():
            return f"--summary-json {summary} is a folder; give a file name"
        if summary.parent.exists() and not summary.parent.is_dir():
            return f"--summary-json {summary}: {summary.parent} is not a folder"
    return None


def _plugins(args: argparse.Namespace) -> int:
    from terminal.plugin_host.registry import PluginRegistry

    if args.plugins_command == "validate":
        from terminal.plugin_host.validate import validate

        checks = validate(args.target, imports=args.imports)
        for check in checks:
            print(check)
        return 0 if all(c.ok for c in checks) else 1

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
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"error: cannot create the data dir {data_dir}: {exc.strerror}", file=sys.stderr)
        return 2
    configure_logging(args.log_level, data_dir)
    from terminal.profile import load_profile

    profile = load_profile(data_dir)  # written with the defaults on first run
    for warning in profile.warnings:
        logging.getLogger("terminal").warning("%s", warning)
    if args.api_port is None:
        args.api_port = profile.profile.api_port
    args.theme = profile.profile.theme
    if not args.headless:
        reason = _no_display_reason()
        if reason is None:
            from terminal.ui.launch import launch

            return int(launch(args, data_dir))
        print(f"{reason}; running headless (give --headless to say so, or set "
              "QT_QPA_PLATFORM=offscreen to draw the window off screen)", file=sys.stderr)
    return asyncio.run(_headless(args, data_dir))


XCB_LIBRARIES = (("xcb-cursor", "libxcb-cursor0"), ("xcb-icccm", "libxcb-icccm4"),
                 ("xcb-image", "libxcb-image0"), ("xcb-keysyms", "libxcb-keysyms1"),
                 ("xcb-randr", "libxcb-randr0"), ("xcb-render-util", "libxcb-render-util0"),
                 ("xcb-shape", "libxcb-shape0"), ("xcb-xkb", "libxcb-xkb1"),
                 ("xkbcommon-x11", "libxkbcommon-x11-0"))


def _no_display_reason() -> str | None:
    """Why no window can be shown here, or None. Only Linux/BSD need a display server."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd")):
        return None
    if os.environ.get("QT_QPA_PLATFORM") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    if not os.environ.get("DISPLAY"):
        return "no display found (DISPLAY and WAYLAND_DISPLAY are unset)"
    # Qt's X11 plugin aborts the whole process when one of these is missing: say so instead
    missing = [package for lib, package in XCB_LIBRARIES if ctypes.util.find_library(lib) is None]
    if missing:
        return (f"Qt's X11 window support needs system libraries that are missing (Debian/"
                f"Ubuntu: `sudo apt-get install {' '.join(missing)}`)")
    return None


async def _headless(args: argparse.Namespace, data_dir: Path) -> int:
    from terminal.app import Engine
    from terminal.core.errors import TerminalError
    from terminal.core.heap import settle_heap
    from terminal.run_options import engine_options

    options = engine_options(args, data_dir)
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
    settle_heap()
    logging.getLogger("terminal").info(
        "running headless: data dir %s, database %s, broker %s, %s; Ctrl-C stops",
        data_dir, engine.db.url if engine.db else "-", options.broker,
        f"replaying {len(options.replay_paths)} file(s) at speed {options.speed}"
        if options.replay_paths else "live clock")
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
    try:
        text = orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # e.g. an integer beyond 64 bits from bad input: never lose the summary
        text = json.dumps(summary, indent=2, default=str).encode()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text + b"\n")
        except OSError as exc:
            print(f"error: cannot write the summary to {path}: {exc.strerror}; here it is:",
                  file=sys.stderr)
            sys.stdout.write(text.decode() + "\n")
    ev = summary["events"]
    print(f"processed {ev['total']} events ({summary['events_per_second']}/s) from "
          f"{len(summary['instruments'])} instruments; books {len(summary['books'])}; "
          f"bars built {summary['bars']['built_from_trades']}, stored {summary['bars']['stored']};"
          f" fills {summary['fills']}; rejected rows {summary['rejected_input_rows']['count']};"
          f" errors {len(summary['errors'])}")
    recording = summary.get("recording")
    if recording:
        print(f"recorded {recording['events']} events to {recording['path']} "
              f"({recording['file_bytes']} bytes)")
    for warning in summary.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    for err in summary["errors"]:
        print(f"error: {err}", file=sys.stderr)
