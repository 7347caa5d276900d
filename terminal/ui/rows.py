"""ViewState -> keyed table rows for each blotter. Pure functions: no Qt."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from terminal.model.ids import InstrumentId
from terminal.model.numbers import trimmed
from terminal.ui.view_state import ViewState

Keyed = list[tuple[object, tuple[Any, ...]]]

ORDER_HEADERS = ("Time", "Client id", "Instrument", "Side", "Type", "Qty", "Price", "Filled",
                 "Avg price", "Status", "Source", "Reason")
FILL_HEADERS = ("Time", "Fill id", "Client id", "Instrument", "Side", "Qty", "Price", "Fee",
                "Liquidity")
POSITION_HEADERS = ("Instrument", "Qty", "Avg price", "Mark", "Unrealised PnL", "Realised PnL",
                    "Fees")
ACCOUNT_HEADERS = ("Currency", "Balance")
WATCH_HEADERS = ("Instrument", "Last", "Change %", "Bid", "Ask", "Spread")
QUALITY_HEADERS = ("Instrument", "Finding", "Count", "Last detail", "Time")


def clock(ts_ns: int) -> str:
    if not ts_ns:
        return ""
    return datetime.fromtimestamp(ts_ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M:%S")


DERIVED_PLACES = Decimal("1e-12")


def derived(value: Decimal) -> Decimal:
    """An average or a PnL to 12 decimals: a division leaves 28 digits, the last noise."""
    return value.quantize(DERIVED_PLACES)


def decimal_text(value: Any) -> str:
    return trimmed(value) if isinstance(value, Decimal) else str(value)


def number_text(value: Any) -> str:
    """Numbers as a trader reads them: never scientific notation (6.38e-06 is 0.00000638),
    at most 10 significant digits for floats, no trailing zeros."""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return np.format_float_positional(value, precision=10, unique=True,
                                          fractional=False, trim="-")
    return decimal_text(value)


def percent_text(value: Any) -> str:
    if isinstance(value, float) and not math.isnan(value):
        return f"{value:+.2f}%"
    return ""


def order_rows(state: ViewState, working_only: bool) -> Keyed:
    rows: Keyed = []
    for order in sorted(state.orders.values(), key=lambda o: o.ts_created, reverse=True):
        if working_only and order.status.is_terminal:
            continue
        rows.append((order.client_order_id, (
            order.ts_created, order.client_order_id, str(order.instrument_id), order.side.value,
            order.type.value, order.quantity, order.price, order.filled_qty,
            derived(order.avg_fill_price) if order.filled_qty else None, order.status.value,
            order.source, order.reject_reason)))
    return rows


def fill_rows(state: ViewState) -> Keyed:
    return [(f.fill_id, (f.ts_event, f.fill_id, f.client_order_id, str(f.instrument_id),
                         f.side.value, f.quantity, f.price, f.fee, f.liquidity.value))
            for f in reversed(state.fills)]


def position_rows(state: ViewState, marks: Callable[[InstrumentId], float | None]) -> Keyed:
    rows: Keyed = []
    for iid, pos in sorted(state.positions.items()):
        mark = marks(iid)
        unrealised = (derived(pos.unrealized_pnl(Decimal(repr(mark))))
                      if mark is not None and not math.isnan(mark) else None)
        rows.append((iid, (str(iid), pos.quantity, derived(pos.avg_price), mark, unrealised,
                           derived(pos.realized_pnl), pos.fees)))
    return rows


def account_rows(state: ViewState) -> Keyed:
    if state.account is None:
        return []
    return [(ccy, (ccy, amount)) for ccy, amount in sorted(state.account.balances.items())]


def watch_rows(state: ViewState) -> Keyed:
    return [(iid, (str(iid), row.last, row.change_pct, row.bid, row.ask, row.spread))
            for iid, row in sorted(state.watch.items())]


def quality_rows(state: ViewState) -> Keyed:
    return [((r.instrument_id, r.kind), (str(r.instrument_id), r.kind, r.count, r.last_detail,
                                         r.ts_ns))
            for r in sorted(state.quality.values(), key=lambda r: (-r.ts_ns, r.kind))]


TIME_COLUMNS = {"Time"}


def formatters(headers: tuple[str, ...]) -> list[Callable[[Any], str]]:
    return [clock if h in TIME_COLUMNS else percent_text if h.endswith("%") else number_text
            for h in headers]
