"""Place an order through the terminal's local API and watch it fill on the live stream.

    export TT_API_TOKEN=tt_...           # trading-terminal token create --name demo --scope trade
    python docs/examples/place_order_and_watch.py --instrument BINANCE:NKNUSDT \
        --side buy --quantity 100 --type market

The server is found through `api.json` in the terminal's data dir (`--data-dir`), or given
with `--url` (default http://127.0.0.1:8765). The stream is subscribed before the order is
sent, so no event of it can be missed; the script prints each order update and fill as the
stream brings them until the order is done (filled, canceled, rejected, expired), cancels
it if it still rests after `--wait` seconds, and then prints the position.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from decimal import Decimal

from local_api.client import (
    ApiError,
    Client,
    Event,
    RateLimited,
    RiskRejected,
    Stream,
    Subscribed,
)
from local_api.schemas import FillOut, OrderOut

DONE = {"filled", "canceled", "rejected", "expired"}


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="the API's base URL")
    parser.add_argument("--data-dir", default=None, help="find the URL in DATA_DIR/api.json")
    parser.add_argument("--token", default=os.environ.get("TT_API_TOKEN"),
                        help="a trade-scope token (default: $TT_API_TOKEN)")
    parser.add_argument("--instrument", default="BINANCE:NKNUSDT")
    parser.add_argument("--side", choices=("buy", "sell"), default="buy")
    parser.add_argument("--quantity", type=Decimal, default=Decimal("100"))
    parser.add_argument("--type", choices=("market", "limit"), default="market")
    parser.add_argument("--price", type=Decimal, default=None, help="for a limit order")
    parser.add_argument("--wait", type=float, default=10.0,
                        help="seconds to watch before giving up (a resting limit order)")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give --token or set TT_API_TOKEN")
    if args.type == "limit" and args.price is None:
        parser.error("a limit order needs --price")
    return args


def connect(args: argparse.Namespace) -> Client:
    if args.data_dir:
        return Client.from_data_dir(args.data_dir, args.token)
    return Client(args.url or "http://127.0.0.1:8765", args.token)


def watch(api: Client, stream: Stream, order: OrderOut, wait_s: float) -> str:
    """Print the order's updates and fills as the stream brings them until it is done;
    cancel it if it still works after `wait_s` seconds. Returns its last status."""
    status = "pending_new"
    canceling = False
    deadline = time.monotonic() + wait_s
    while status not in DONE:
        try:
            message = stream.next(timeout=max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            if canceling:
                print("the venue did not confirm the cancel")
                break
            print(f"still {status} after {wait_s:g} s: canceling")
            api.cancel_order(order.client_order_id)
            canceling, deadline = True, time.monotonic() + max(wait_s, 5.0)
            continue
        if isinstance(message, Subscribed) and message.reconnect:
            print(f"(reconnected; {message.replayed} messages replayed)")
        if not isinstance(message, Event):
            continue
        model = message.model
        if isinstance(model, OrderOut) and model.client_order_id == order.client_order_id:
            status = model.status
            print(f"  #{message.seq} order {status}, filled {model.filled_qty}")
        elif isinstance(model, FillOut) and model.client_order_id == order.client_order_id:
            print(f"  #{message.seq} fill {model.side} {model.quantity} @ {model.price} "
                  f"(fee {model.fee} {model.fee_currency})")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    with connect(args) as api:
        book = api.book(args.instrument, depth=1)
        print(f"{args.instrument}: bid {book.bids[:1]} ask {book.asks[:1]}")
        with api.stream(["orders", "fills"], [args.instrument]) as stream:
            notice = stream.next(timeout=10)  # the subscription is in place from here on
            assert isinstance(notice, Subscribed)
            try:
                order = api.place_order(args.instrument, args.side, args.quantity,
                                        type=args.type, price=args.price)
            except RiskRejected as exc:
                print(f"refused by the risk engine ({exc.reason}): {exc.detail}")
                return 1
            except RateLimited as exc:
                print(f"rate limited: retry in {exc.retry_after:g} s")
                return 1
            except ApiError as exc:
                print(f"refused: {exc.slug} {exc.detail}")
                return 1
            print(f"placed {order.client_order_id}: {order.status}")
            status = watch(api, stream, order, args.wait)
            print(f"{order.client_order_id} is {status}")
        for position in api.positions(open_only=True):
            if position.instrument_id == args.instrument:
                print(f"position {position.quantity} @ {position.avg_price}, unrealised "
                      f"{position.unrealized_pnl}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
