"""Decimal helpers: parse venue strings, snap to a step, format without scientific notation."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from terminal.core.errors import InstrumentError

ZERO = Decimal(0)
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z", re.ASCII)


def to_decimal(value: str | int | float | Decimal, *, field: str = "value") -> Decimal:
    """Parse a number exactly. Floats go through repr so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, int):
        result = Decimal(value)
    else:
        text = str(value).strip()
        # Decimal() also takes "1_000" and non-ASCII digits; a price on the wire never does
        if not _PLAIN_NUMBER.match(text):
            raise InstrumentError(f"{field}: {str(value)[:40]!r} is not a number")
        result = Decimal(text)
    if not result.is_finite():
        raise InstrumentError(f"{field}: {value!r} is not finite")
    return result


def snap(value: Decimal, step: Decimal, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    """Snap to a multiple of `step`. A step of 0 means no constraint (value unchanged)."""
    if step == ZERO:
        return value
    units = (value / step).quantize(Decimal(1), rounding=rounding)
    return (units * step).quantize(step)


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    return snap(value, step, ROUND_DOWN)


def is_on_step(value: Decimal, step: Decimal) -> bool:
    return step == ZERO or (value % step) == ZERO


def plain(value: Decimal) -> str:
    """Format as a plain decimal string: never scientific notation, never '-0'."""
    text = format(value, "f")
    if text.startswith("-") and Decimal(text) == ZERO:
        text = text[1:]
    return text


def trimmed(value: Decimal) -> str:
    """`plain` without trailing zeros: 150.00000000 -> 150, 0.35000000 -> 0.35."""
    return plain(value.normalize()) if value.is_finite() else str(value)


def decimals_of(step: Decimal) -> int:
    """Number of decimals a step implies: 0.00010000 -> 4, 10 -> 0, 0 -> 0."""
    if step == ZERO:
        return 0
    exponent = step.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)
