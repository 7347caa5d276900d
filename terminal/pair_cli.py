"""`trading-terminal pair`: pair a phone from a shell. Prints the QR code as text, then
waits for the phone and prints the confirmation both screens should show.

The terminal must be running (the code is checked by its API); the code is stored in the
shared database, so this works from any shell on the machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import orjson
import segno

from terminal.paths import default_data_dir

USAGE_ERROR = 2
POLL_S = 1.0


def build_pair_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trading-terminal pair", allow_abbrev=False,
        description="Pair a phone with the running terminal: scan the QR code with the "
        "phone's camera (or open the link), then compare the confirmation code.")
    parser.add_argument("--scope", choices=("read", "trade"), default="read",
                        help="read: look only; trade: also place and cancel orders")
    parser.add_argument("--ttl", type=int, default=300, metavar="SECONDS",
                        help="how long the code is valid (default 300)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"the running terminal's data dir (default {default_data_dir()})")
    parser.add_argument("--db-url", default=None, help="any SQLAlchemy URL")
    parser.add_argument("--no-wait", action="store_true",
                        help="print the code and exit without waiting for the phone")
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_pair_parser().parse_args(list(argv))
    if not 30 <= args.ttl <= 3600:
        print("error: --ttl is 30..3600 seconds", file=sys.stderr)
        return USAGE_ERROR
    data_dir: Path = args.data_dir or default_data_dir()
    discovery = data_dir / "api.json"
    try:
        running = orjson.loads(discovery.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        print(f"error: no running terminal serves its API from {data_dir} (start it first; "
              "pairing needs the API)", file=sys.stderr)
        return USAGE_ERROR
    from local_api.pairing.service import PairingService
    from local_api.tokens import TokenService
    from terminal.core.errors import TerminalError
    from terminal.persistence.db import Database, default_url

    try:
        db = Database.open(args.db_url or default_url(data_dir))
        db.migrate()
    except TerminalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    try:
        base = str(running.get("pairing_base") or running["url"])
        fingerprint = str(running.get("fingerprint", ""))
        service = PairingService(db.pairing, TokenService(db.api_tokens), b"",
                                 lambda: base, lambda: fingerprint)
        offer = service.start(args.scope, args.ttl)
        segno.make(offer.url, error="m").terminal(compact=True)
        print(f"\ncode {offer.code} ({args.scope}), valid {args.ttl} s")
        print(offer.url)
        if base.startswith("http://127.") or base.startswith("http://localhost"):
            print("note: the API listens on this machine only; a phone on the network needs "
                  "LAN mode (see docs/companion.md)", file=sys.stderr)
        if args.no_wait:
            return 0
        deadline = time.monotonic() + args.ttl
        while time.monotonic() < deadline:
            device_id, confirmation = service.outcome(offer.code)
            if device_id is not None:
                print(f"paired device {device_id}; confirmation {confirmation} — the phone "
                      "must show the same")
                return 0
            time.sleep(POLL_S)
        print("the code expired before a phone used it", file=sys.stderr)
        return 1
    finally:
        db.close()
