"""Column types shared by the schema and the migrations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from terminal.core.errors import PersistenceError
from terminal.model.numbers import plain


class DecimalString(TypeDecorator[Decimal]):
    """An exact decimal stored as its plain string.

    SQLite has no exact numeric type (NUMERIC columns go through float), so both dialects
    store text: the value comes back with the same digits and exponent it went in with, and
    never in scientific notation.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            # floats would store their binary approximation; refuse rather than guess
            raise PersistenceError(f"expected a Decimal, got {type(value).__name__} {value!r}")
        if not value.is_finite():
            raise PersistenceError(f"cannot store the non-finite decimal {value}")
        return plain(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value)
