"""What a caller asks for, checked and put on the instrument's grid before anything is stored.

Every field is validated here, so a bad request is refused before it leaves a trace: no
order in memory, no row in the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from terminal.core.errors import InstrumentError, OrderError
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.numbers import plain, snap, to_decimal
from terminal.model.orders import Order, OrderType, Side, TimeInForce

CLIENT_ORDER_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,36}$")  # what every venue accepts
MAX_SOURCE_LENGTH = 32
MAX_VALUE = Decimal("1e15")
E = TypeVar("E", bound=StrEnum)


@dataclass
class OrderRequest:
    instrument_id: InstrumentId
    side: Side | str
    type: OrderType | str
    quantity: Decimal | str | float | int
    price: Decimal | str | float | int | None = None
    stop_price: Decimal | str | float | int | None = None
    time_in_force: TimeInForce | str = TimeInForce.GTC
    reduce_only: bool = False
    source: str = "api"
    client_order_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


def _choice(enum: type[E], value: object, name: str) -> E:
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        try:
            return enum(value.strip().lower())
        except ValueError:
            pass
    allowed = ", ".join(m.value for m in enum)
    raise OrderError(f"{name}: {value!r} is not one of {allowed}")


def _amount(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | str | float | int):
        raise OrderError(f"{name}: {value!r} is not a number")
    try:
        number = to_decimal(value, field=name)
    except InstrumentError as exc:
        raise OrderError(str(exc)) from None
    if abs(number) >= MAX_VALUE:
        raise OrderError(f"{name}: {plain(number)} is too large")
    return number


def normalise(req: OrderRequest, instrument: Instrument, client_order_id: str,
              now_ns: int) -> Order:
    """Check every field and snap prices and quantities to the instrument's grid."""
    if req.instrument_id != instrument.id:
        raise OrderError(f"instrument {req.instrument_id} does not match {instrument.id}")
    side = _choice(Side, req.side, "side")
    order_type = _choice(OrderType, req.type, "type")
    tif = _choice(TimeInForce, req.time_in_force, "time_in_force")
    if not CLIENT_ORDER_ID.fullmatch(client_order_id):  # `$` would let a final newline in
        raise OrderError(f"client_order_id {client_order_id[:40]!r}: use 1 to 36 letters, "
                         "digits or . _ : -")
    if not isinstance(req.source, str) or not 0 < len(req.source) <= MAX_SOURCE_LENGTH:
        raise OrderError(f"source: must be text of 1 to {MAX_SOURCE_LENGTH} characters")
    if not isinstance(req.reduce_only, bool):
        raise OrderError(f"reduce_only: {req.reduce_only!r} is not true or false")
    if not isinstance(req.tags, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in req.tags.items()):
        raise OrderError("tags: must map text to text")
    qty = _amount(req.quantity, "quantity")
    price = None if req.price is None else _amount(req.price, "price")
    stop = None if req.stop_price is None else _amount(req.stop_price, "stop_price")
    try:
        qty = instrument.floor_qty(qty)
        # a buy never pays more than asked and a sell never gets less: round toward caution
        rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
        if price is not None and instrument.tick_size:
            price = snap(price, instrument.tick_size, rounding)
        if stop is not None and instrument.tick_size:
            stop = snap(stop, instrument.tick_size, ROUND_FLOOR)
    except InvalidOperation:
        raise OrderError("a price or quantity cannot be put on the instrument's grid") from None
    return Order(client_order_id=client_order_id, instrument_id=instrument.id, side=side,
                 type=order_type, quantity=qty, price=price, stop_price=stop,
                 time_in_force=tif, reduce_only=req.reduce_only, source=req.source,
                 ts_created=now_ns, ts_updated=now_ns, tags=dict(req.tags))


def same_intent(a: Order, b: Order) -> bool:
    """Whether a resubmission asks for the same order (an idempotent retry)."""
    return (a.instrument_id, a.side, a.type, a.quantity, a.price, a.stop_price,
            a.time_in_force) == (b.instrument_id, b.side, b.type, b.quantity, b.price,
                                 b.stop_price, b.time_in_force)
