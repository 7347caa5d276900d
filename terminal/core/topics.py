"""Topic names. This is the only module that builds them.

A topic is `kind` or `kind.instrument` (e.g. ``quote.BINANCE:NKNUSDT``). Subscribers may
subscribe to an exact topic or to a whole kind with ``Topics.all(kind)``.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    QUOTE = "quote"
    TRADE = "trade"
    BAR = "bar"
    BAR_UPDATE = "bar_update"
    BOOK = "book"
    BOOK_STATUS = "book_status"
    INSTRUMENT = "instrument"
    ORDER = "order"
    FILL = "fill"
    POSITION = "position"
    ACCOUNT = "account"
    SIGNAL = "signal"
    ALERT = "alert"
    RISK = "risk"
    QUALITY = "quality"
    CONNECTION = "connection"
    SYSTEM = "system"
    CLOCK = "clock"


WILDCARD = "*"


class Topics:
    @staticmethod
    def of(kind: Kind, key: str | None = None) -> str:
        return kind.value if key is None else f"{kind.value}.{key}"

    @staticmethod
    def all(kind: Kind) -> str:
        return f"{kind.value}.{WILDCARD}"

    @staticmethod
    def kind_of(topic: str) -> str:
        return topic.split(".", 1)[0]
