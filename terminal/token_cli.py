"""`trading-terminal token create|list|revoke`: API tokens, from the command line.

Works while the terminal runs (the database is shared; a revoked token is refused within a
second). The token text is printed once, on creation, and stored nowhere but as a hash.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from terminal.paths import default_data_dir

USAGE_ERROR = 2


def build_token_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trading-terminal token", allow_abbrev=False,
        description="API tokens for scripts and tools: created and shown once, stored "
        "hashed, scoped (read < trade < admin), expiring, revocable.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=None,
                        help=f"the terminal's data dir (default {default_data_dir()})")
    common.add_argument("--db-url", default=None, help="any SQLAlchemy URL")
    sub = parser.add_subparsers(dest="command", metavar="create|list|revoke")
    create = sub.add_parser("create", parents=[common], help="create a token (shown once)")
    create.add_argument("--name", required=True, help="what the token is for")
    create.add_argument("--scope", required=True, choices=("read", "trade", "admin"),
                        help="read: look; trade: also place and cancel orders; admin: also "
                        "tokens, limits, connections")
    create.add_argument("--expires", default=None, metavar="DURATION",
                        help="e.g. 30d, 12h, 90m (default: never)")
    create.add_argument("--json", action="store_true", help="print JSON")
    listing = sub.add_parser("list", parents=[common], help="tokens and their last use")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.add_argument("--all", action="store_true", help="devices too")
    revoke = sub.add_parser("revoke", parents=[common], help="revoke a token by its id")
    revoke.add_argument("token_id", help="the id shown by `token list`")
    return parser


def _when(ns: int | None) -> str:
    if ns is None:
        return "-"
    return datetime.fromtimestamp(ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M")


def main(argv: Sequence[str]) -> int:
    parser = build_token_parser()
    args = parser.parse_args(list(argv))
    if args.command is None:
        parser.error("say what to do: create, list or revoke")
    from local_api.tokens import TokenService, highest_scope, parse_duration
    from terminal.core.errors import TerminalError
    from terminal.persistence.db import Database, default_url

    expires = None
    if args.command == "create" and args.expires is not None:
        try:
            expires = parse_duration(args.expires)
        except ValueError as exc:
            parser.error(str(exc))
    data_dir: Path = args.data_dir or default_data_dir()
    try:
        db = Database.open(args.db_url or default_url(data_dir))
        db.migrate()
    except TerminalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    try:
        tokens = TokenService(db.api_tokens)
        if args.command == "create":
            try:
                text, record = tokens.create(args.name, args.scope, expires)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return USAGE_ERROR
            db.audit.record(time.time_ns(), "cli", "api.token.create", record.token_id,
                            {"name": record.name, "scope": args.scope})
            if args.json:
                print(orjson.dumps({"token_id": record.token_id, "name": record.name,
                                    "scope": args.scope, "expires_ns": record.expires_ns,
                                    "token": text}).decode())
            else:
                expiry = "never expires" if record.expires_ns is None else \
                    f"expires {_when(record.expires_ns)} UTC"
                print(f"token {record.token_id} ({args.scope}) for {record.name!r}, {expiry}")
                print(text)
                print("Store it now: it is shown only this once.", file=sys.stderr)
            return 0
        if args.command == "list":
            records = tokens.list(None if args.all else "token")
            now = time.time_ns()
            rows: list[dict[str, Any]] = [{"token_id": r.token_id, "name": r.name, "kind": r.kind,
                     "scope": highest_scope(r.scopes), "created_ns": r.created_ns,
                     "expires_ns": r.expires_ns, "revoked_ns": r.revoked_ns,
                     "last_used_ns": r.last_used_ns, "uses": r.uses,
                     "active": r.revoked_ns is None and (r.expires_ns is None or
                                                         r.expires_ns > now)}
                    for r in records]
            if args.json:
                print(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
                return 0
            if not rows:
                print("no tokens; create one with `trading-terminal token create --name N "
                      "--scope read`")
                return 0
            print(f"{'ID':13} {'SCOPE':6} {'STATE':8} {'LAST USED':17} {'USES':>6}  NAME")
            for row in rows:
                state = "active" if row["active"] else \
                    "revoked" if row["revoked_ns"] else "expired"
                print(f"{row['token_id']:13} {row['scope']:6} {state:8} "
                      f"{_when(row['last_used_ns']):17} {row['uses']:>6}  {row['name']}")
            return 0
        if not tokens.revoke(args.token_id):
            print(f"error: no active token {args.token_id}", file=sys.stderr)
            return 1
        db.audit.record(time.time_ns(), "cli", "api.token.revoke", args.token_id, {})
        print(f"token {args.token_id} revoked")
        return 0
    finally:
        db.close()
