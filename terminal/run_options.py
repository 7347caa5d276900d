"""Engine options from the command line's run arguments (headless and GUI alike)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from terminal.app import EngineOptions


def engine_options(args: argparse.Namespace, data_dir: Path) -> EngineOptions:
    api = None
    if not args.no_api:
        from local_api.settings import ApiSettings

        api = ApiSettings(port=args.api_port, lan_host=args.lan, lan_port=args.lan_port,
                          extra_hosts=tuple(h.strip().lower() for h in args.api_allow_host
                                            if h.strip()))
    connect: list[tuple[str, dict[str, Any]]] = []
    if args.live:
        settings: dict[str, Any] = {}
        if args.live_symbols:
            key = "symbols" if args.live == "binance" else "products" \
                if args.live == "coinbase" else "pairs"
            settings[key] = [s.strip() for s in args.live_symbols.split(",") if s.strip()]
        connect.append((args.live, settings))
    return EngineOptions(connect=connect, data_dir=data_dir, db_url=args.db_url,
                         replay_paths=args.replay,
                         replay_format=args.replay_format, replay_instrument=args.instrument,
                         instrument_files=args.instruments, speed=args.speed,
                         max_gap_s=args.max_gap, history_paths=args.history,
                         record_path=args.record, api=api,
                         bar_timeframes=[t.strip() for t in args.bars.split(",")
                                         if t.strip()])
