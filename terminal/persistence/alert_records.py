"""The value type of the alerts table (shared by the alert service, the API and the UI)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CONDITIONS = ("above", "below", "cross")
SOURCES = ("trade", "mid")  # the last trade's price, or the quote's mid


@dataclass(frozen=True, slots=True)
class AlertRecord:
    alert_id: str
    instrument: str  # VENUE:SYMBOL
    condition: str  # above: price >= level; below: price <= level; cross: passes it
    price: Decimal
    source: str = "trade"
    note: str = ""
    repeat: bool = False  # fires each time the condition becomes true again
    active: bool = True  # a once-alert goes inactive when it fires
    created_ns: int = 0
    updated_ns: int = 0
    triggered_count: int = 0
    last_triggered_ns: int | None = None
    last_triggered_price: float | None = None
