"""`trading-terminal webhook add|list|remove|test|deliveries|redeliver|hooks ...`: outbound
endpoints, their delivery log, and inbound hooks, from the command line.

Works with or without a running terminal: everything goes through the database (and the
keyring for secrets). A running terminal reads endpoint changes and queued messages (a test
ping, a redelivery) from its outbox within a second; without one they go out at its next
start. A secret is printed once, on creation, and kept in the OS keyring only.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from terminal.paths import default_data_dir

if TYPE_CHECKING:
    from terminal.persistence.db import Database

USAGE_ERROR = 2
NOT_FOUND = 1
STATUSES = ("pending", "delivered", "failed")


def build_webhook_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trading-terminal webhook", allow_abbrev=False,
        description="Outbound webhooks (the terminal's events, signed per Standard "
        "Webhooks, to your URLs) and inbound hooks (alerts posted to /hooks/<id>).")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=None,
                        help=f"the terminal's data dir (default {default_data_dir()})")
    common.add_argument("--db-url", default=None, help="any SQLAlchemy URL")
    common.add_argument("--json", action="store_true", help="print JSON")
    sub = parser.add_subparsers(
        dest="command",
        metavar="add|list|remove|enable|disable|rotate|test|deliveries|redeliver|hooks")
    add = sub.add_parser("add", parents=[common],
                         help="subscribe a URL to events (its secret is shown once)")
    add.add_argument("--url", required=True, help="http(s) URL the events are posted to")
    add.add_argument("--events", required=True, nargs="+", metavar="TYPE",
                     help="event types or patterns, e.g. 'order.*' fill alert.triggered")
    add.add_argument("--description", default="", help="what the endpoint is for")
    add.add_argument("--max-concurrency", type=int, default=None, metavar="N",
                     help="attempts in flight at once (1..64, default 4)")
    add.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                     help="deadline per attempt (up to 60, default 10)")
    sub.add_parser("list", parents=[common], help="the endpoints and their state")
    remove = sub.add_parser("remove", parents=[common],
                            help="remove an endpoint, its secret and undelivered messages")
    remove.add_argument("endpoint_id")
    for name, text in (("enable", "deliver to an endpoint again (also after a 410)"),
                       ("disable", "stop delivering to an endpoint (messages wait)"),
                       ("rotate", "a new signing secret, shown once; the old one signs too "
                        "for a day")):
        sub.add_parser(name, parents=[common], help=text).add_argument("endpoint_id")
    test = sub.add_parser("test", parents=[common], help="queue a webhook.ping to an endpoint")
    test.add_argument("endpoint_id")
    deliveries = sub.add_parser("deliveries", parents=[common],
                                help="the delivery log, newest first")
    deliveries.add_argument("--endpoint", default=None, metavar="ENDPOINT_ID")
    deliveries.add_argument("--status", default=None, choices=STATUSES)
    deliveries.add_argument("--event-type", default=None, metavar="TYPE")
    deliveries.add_argument("--limit", type=int, default=50, metavar="N")
    redeliver = sub.add_parser("redeliver", parents=[common],
                               help="send a message again, with the same webhook-id")
    redeliver.add_argument("msg_id")
    hooks = sub.add_parser("hooks", help="inbound hooks: list, add, remove, requests")
    hooks_sub = hooks.add_subparsers(dest="hooks_command", metavar="list|add|remove|requests")
    hooks_sub.add_parser("list", parents=[common], help="the inbound hooks")
    hook_add = hooks_sub.add_parser("add", parents=[common],
                                    help="a hook at /hooks/<id> (its secret is shown once)")
    hook_add.add_argument("--name", required=True)
    hook_add.add_argument("--auth", default="secret", choices=("secret", "standard"),
                          help="secret: in the body or ?secret= (TradingView); standard: "
                          "Standard Webhooks signature headers")
    hook_add.add_argument("--template", default="{}", metavar="JSON|@FILE",
                          help="how the body maps to an order or signal (docs/webhooks.md)")
    hook_add.add_argument("--secret", default=None,
                          help="the shared secret to accept (default: a new random one)")
    hook_remove = hooks_sub.add_parser("remove", parents=[common], help="remove a hook")
    hook_remove.add_argument("hook_id")
    hook_requests = hooks_sub.add_parser("requests", parents=[common],
                                         help="what a hook received, newest first")
    hook_requests.add_argument("hook_id")
    hook_requests.add_argument("--limit", type=int, default=50, metavar="N")
    return parser


def _when(ns: int | None) -> str:
    if ns is None:
        return "-"
    return datetime.fromtimestamp(ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _print_json(value: Any) -> None:
    print(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def _error(text: str, code: int = USAGE_ERROR) -> int:
    print(f"error: {text}", file=sys.stderr)
    return code


def main(argv: Sequence[str]) -> int:
    parser = build_webhook_parser()
    args = parser.parse_args(list(argv))
    if args.command is None:
        parser.error("say what to do: add, list, remove, test, deliveries, redeliver or hooks")
    if args.command == "hooks" and args.hooks_command is None:
        parser.error("say what to do with hooks: list, add, remove or requests")
    if getattr(args, "limit", 1) < 1:
        parser.error("--limit: at least 1")
    from terminal.core.errors import TerminalError
    from terminal.persistence.db import Database, default_url

    try:
        db = Database.open(args.db_url or default_url(args.data_dir or default_data_dir()))
        db.migrate()
    except TerminalError as exc:
        return _error(str(exc))
    try:
        return _dispatch(args, db)
    except TerminalError as exc:  # the keyring missing or refusing, the database away
        return _error(str(exc))
    finally:
        db.close()


def _dispatch(args: argparse.Namespace, db: Database) -> int:
    from local_api.webhooks.config import WebhookSettings
    from local_api.webhooks.keys import WebhookKeys
    from local_api.webhooks.service import EndpointAdmin, HookAdmin, WebhookConfigError

    keys = WebhookKeys()
    endpoints = EndpointAdmin(db.webhooks, keys, WebhookSettings())
    try:
        if args.command == "add":
            return _add(args, endpoints)
        if args.command == "list":
            return _list(args, db)
        if args.command == "remove":
            if not endpoints.remove(args.endpoint_id):
                return _error(f"endpoint_id: no webhook endpoint {args.endpoint_id}", NOT_FOUND)
            print(f"endpoint {args.endpoint_id} removed")
            return 0
        if args.command in ("enable", "disable"):
            if endpoints.update(args.endpoint_id, enabled=args.command == "enable") is None:
                return _error(f"endpoint_id: no webhook endpoint {args.endpoint_id}", NOT_FOUND)
            print(f"endpoint {args.endpoint_id} {args.command}d (a running terminal picks "
                  "this up within a second)")
            return 0
        if args.command == "rotate":
            secret = endpoints.rotate(args.endpoint_id)
            if secret is None:
                return _error(f"endpoint_id: no webhook endpoint {args.endpoint_id}", NOT_FOUND)
            print(f"new signing secret: {secret}")
            print("Store it now: it is shown only this once; the old secret signs too for a "
                  "day. A running terminal signs with the new one after its restart.",
                  file=sys.stderr)
            return 0
        if args.command == "test":
            return _test(args, db)
        if args.command == "deliveries":
            return _deliveries(args, db)
        if args.command == "redeliver":
            if not db.webhooks.redeliver(args.msg_id, time.time_ns()):
                return _error(f"msg_id: no webhook message {args.msg_id}", NOT_FOUND)
            print(f"message {args.msg_id} queued again (same webhook-id)")
            return 0
        return _hooks(args, HookAdmin(db.hooks, keys))
    except WebhookConfigError as exc:
        return _error(str(exc))


def _add(args: argparse.Namespace, endpoints: Any) -> int:
    record, secret = endpoints.add(args.url, list(args.events), args.description,
                                   args.max_concurrency, args.timeout)
    if args.json:
        _print_json({"endpoint_id": record.endpoint_id, "url": record.url,
                     "events": list(record.events), "secret": secret})
    else:
        print(f"endpoint {record.endpoint_id} -> {record.url} for {', '.join(record.events)}")
        print(f"signing secret: {secret}")
        print("Store the secret now: it is shown only this once (kept in the OS keyring).",
              file=sys.stderr)
    return 0


def _list(args: argparse.Namespace, db: Database) -> int:
    records = db.webhooks.endpoints()
    counts = db.webhooks.counts()
    rows = [{"endpoint_id": r.endpoint_id, "url": r.url, "events": list(r.events),
             "enabled": r.enabled, "disabled_reason": r.disabled_reason,
             "description": r.description, "created_ns": r.created_ns} for r in records]
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print("no webhook endpoints; add one with `trading-terminal webhook add --url URL "
              "--events 'order.*'`")
        return 0
    print(f"{'ID':16} {'STATE':9} {'EVENTS':28} URL")
    for r in records:
        state = "enabled" if r.enabled else "disabled"
        print(f"{r.endpoint_id:16} {state:9} {','.join(r.events)[:28]:28} {r.url}")
        if r.disabled_reason:
            print(f"{'':16} disabled: {r.disabled_reason}")
    print("outbox: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


def _test(args: argparse.Namespace, db: Database) -> int:
    from local_api.webhooks.dispatcher import iso, new_msg_id
    from terminal.persistence.webhook_records import OutboxMessage

    if db.webhooks.endpoint(args.endpoint_id) is None:
        return _error(f"endpoint_id: no webhook endpoint {args.endpoint_id}", NOT_FOUND)
    now = time.time_ns()
    body = orjson.dumps({"type": "webhook.ping", "timestamp": iso(now), "data": {
        "endpoint_id": args.endpoint_id, "message": "a test from the command line"}}).decode()
    msg = OutboxMessage(new_msg_id(now), args.endpoint_id, "webhook.ping", body, now,
                        next_attempt_ns=now)
    db.webhooks.enqueue([msg])
    if args.json:
        _print_json({"msg_id": msg.msg_id})
    else:
        print(f"webhook.ping {msg.msg_id} queued for {args.endpoint_id} (a running terminal "
              "sends it within a second; otherwise at its next start)")
    return 0


def _deliveries(args: argparse.Namespace, db: Database) -> int:
    found = db.webhooks.messages(args.endpoint, args.status, args.event_type, args.limit)
    rows = [{"msg_id": m.msg_id, "endpoint_id": m.endpoint_id, "event_type": m.event_type,
             "status": m.status, "attempts": m.attempts, "created_ns": m.created_ns,
             "last_status_code": m.last_status_code, "last_error": m.last_error,
             "next_attempt_ns": m.next_attempt_ns, "delivered_ns": m.delivered_ns}
            for m in found]
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print("no deliveries")
        return 0
    print(f"{'CREATED':19} {'MESSAGE':36} {'ENDPOINT':16} {'EVENT':22} {'STATUS':9} "
          f"{'TRIES':>5} LAST")
    for m in found:
        last = str(m.last_status_code) if m.last_status_code is not None else \
            (m.last_error or "-")
        print(f"{_when(m.created_ns):19} {m.msg_id:36} {m.endpoint_id:16} "
              f"{m.event_type[:22]:22} {m.status:9} {m.attempts:>5} {last[:60]}")
    return 0


def _template(text: str) -> dict[str, Any]:
    from local_api.webhooks.service import WebhookConfigError

    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise WebhookConfigError(f"template: cannot read {text[1:]}: "
                                     f"{exc.strerror or exc}") from None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise WebhookConfigError(f"template: not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise WebhookConfigError("template: a JSON object, e.g. {\"venue\": \"BINANCE\"}")
    return value


def _hooks(args: argparse.Namespace, hooks: Any) -> int:
    command = args.hooks_command
    if command == "add":
        record, secret = hooks.add(args.name, args.auth, _template(args.template),
                                   args.secret)
        if args.json:
            _print_json({"hook_id": record.hook_id, "name": record.name, "auth": record.auth,
                         "path": f"/hooks/{record.hook_id}", "secret": secret})
        else:
            print(f"hook {record.hook_id} ({record.auth}) at /hooks/{record.hook_id}")
            print(f"secret: {secret}")
            print("Store the secret now: it is shown only this once (kept in the OS keyring).",
                  file=sys.stderr)
        return 0
    if command == "remove":
        if not hooks.remove(args.hook_id):
            return _error(f"hook_id: no hook {args.hook_id}", NOT_FOUND)
        print(f"hook {args.hook_id} removed")
        return 0
    if command == "requests":
        found = hooks.repo.requests(args.hook_id, args.limit)
        rows = [{"id": r.id, "ts_ns": r.ts_ns, "status_code": r.status_code,
                 "outcome": r.outcome, "detail": r.detail, "message_id": r.message_id,
                 "client_order_id": r.client_order_id, "remote": r.remote} for r in found]
        if args.json:
            _print_json(rows)
            return 0
        if hooks.repo.get(args.hook_id) is None:
            return _error(f"hook_id: no hook {args.hook_id}", NOT_FOUND)
        for r in found:
            print(f"{_when(r.ts_ns):19} {r.status_code} {r.outcome:16} {r.detail[:80]}")
        if not found:
            print("no requests yet")
        return 0
    records = hooks.repo.all()
    if args.json:
        _print_json([{"hook_id": r.hook_id, "name": r.name, "auth": r.auth,
                      "enabled": r.enabled, "path": f"/hooks/{r.hook_id}",
                      "template": r.template} for r in records])
        return 0
    if not records:
        print("no inbound hooks; add one with `trading-terminal webhook hooks add --name N`")
        return 0
    for r in records:
        print(f"{r.hook_id:20} {r.auth:8} {'enabled' if r.enabled else 'disabled':9} "
              f"/hooks/{r.hook_id}  {r.name}")
    return 0
