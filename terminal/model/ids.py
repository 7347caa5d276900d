"""Identifiers: instruments are `VENUE:SYMBOL`; client order ids are unique and sortable."""

from __future__ import annotations

import itertools
import os
import time
from typing import NamedTuple

from terminal.core.errors import InstrumentError


class InstrumentId(NamedTuple):
    """`VENUE:SYMBOL`. A named tuple: hashed in C, because every event is routed by it."""

    venue: str
    symbol: str

    def __str__(self) -> str:
        return f"{self.venue}:{self.symbol}"

    @classmethod
    def parse(cls, text: str) -> InstrumentId:
        venue, sep, symbol = text.partition(":")
        if not sep or not venue or not symbol:
            raise InstrumentError(f"instrument id {text!r} is not of the form VENUE:SYMBOL")
        return cls(venue.upper(), symbol.upper())


class ClientOrderIdFactory:
    """Client order ids: prefix, start time in ms (base 36), process-unique counter.

    Unique across restarts because the start time differs, and short enough for every venue
    (Binance allows 36 characters).
    """

    def __init__(self, prefix: str = "TT") -> None:
        stamp = _base36(time.time_ns() // 1_000_000)
        salt = _base36(int.from_bytes(os.urandom(2), "big"))
        self._prefix = f"{prefix}{stamp}{salt}"
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}-{next(self._counter)}"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rem = divmod(number, 36)
        out = digits[rem] + out
        if number == 0:
            return out
