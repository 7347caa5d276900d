"""`trading-terminal backfill`: historical klines from a venue into the database (the
chart's history), with a progress bar. Uses the data dir like the terminal does, so it
runs while the terminal is closed (one terminal per data dir)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from terminal.backtest_cli import ProgressBar
from terminal.paths import default_data_dir

USAGE_ERROR = 2
DAY_MS = 86_400_000


def build_backfill_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trading-terminal backfill", allow_abbrev=False,
        description="Store a venue's historical klines as bars (rate limits respected).")
    parser.add_argument("--plugin", default="binance", choices=("binance",),
                        help="the venue (default binance)")
    parser.add_argument("--symbol", required=True, help="e.g. BTCUSDT")
    parser.add_argument("--interval", default="1m", help="kline interval (default 1m)")
    parser.add_argument("--days", type=float, default=1.0, help="how far back (default 1)")
    parser.add_argument("--rest-url", default=None, help="the venue's REST base URL "
                        "(default: live; a testnet or local server works too)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"where the database lives (default {default_data_dir()})")
    parser.add_argument("--db-url", default=None, help="any SQLAlchemy URL")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: Sequence[str]) -> int:
    parser = build_backfill_parser()
    args = parser.parse_args(list(argv))
    if not 0 < args.days <= 3650:
        parser.error("--days is more than 0 and at most 3650")
    return asyncio.run(_backfill(args))


async def _backfill(args: argparse.Namespace) -> int:
    from terminal.app import Engine, EngineOptions
    from terminal.core.errors import TerminalError

    data_dir: Path = args.data_dir or default_data_dir()
    engine = Engine(EngineOptions(data_dir=data_dir, db_url=args.db_url))
    try:
        await engine.start()
    except TerminalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        await engine.stop()
        return USAGE_ERROR
    try:
        settings: dict[str, Any] = {"symbols": [args.symbol], "load_instruments": False}
        if args.rest_url:
            settings["rest_url"] = args.rest_url
        try:
            connector = engine.registry.create(args.plugin, engine._context(), settings)
        except TerminalError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return USAGE_ERROR
        feed: Any = connector.data
        end_ms = int(time.time() * 1000)
        start_ms = end_ms - int(args.days * DAY_MS)
        bar = ProgressBar(sys.stderr, not args.quiet, label="backfill")
        try:
            bars = await feed.backfill(args.symbol.upper(), args.interval, start_ms, end_ms,
                                       bar.update)
        except Exception as exc:
            bar.finish()
            print(f"error: backfill of {args.symbol} failed: {exc}", file=sys.stderr)
            return 1
        finally:
            rest = getattr(feed, "rest", None)
            if rest is not None:
                await rest.close()
        bar.finish()
        assert engine.recorder is not None
        await engine.recorder.flush()
        print(f"stored {len(bars)} {args.interval} bars of {args.plugin.upper()}:"
              f"{args.symbol.upper()}")
        return 0
    finally:
        await engine.stop()
