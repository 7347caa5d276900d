"""Duplicate-order guard: the same instrument, side, type, quantity and price from the same
source again within a short window is taken for a double click or a looping script."""

from __future__ import annotations

from decimal import Decimal

from terminal.core.errors import RiskRejected
from terminal.model.ids import InstrumentId
from terminal.model.numbers import trimmed
from terminal.model.orders import Order, OrderType, Side

Key = tuple[InstrumentId, Side, OrderType, Decimal, Decimal | None, Decimal | None, str]
PRUNE_AT = 4096


class DuplicateGuard:
    def __init__(self) -> None:
        self._seen: dict[Key, int] = {}
        self._prune_at = PRUNE_AT

    @staticmethod
    def key(order: Order) -> Key:
        return (order.instrument_id, order.side, order.type, order.quantity, order.price,
                order.stop_price, order.source)

    def check(self, order: Order, now_ns: int, window_ms: int) -> None:
        if not window_ms:
            return
        last = self._seen.get(self.key(order))
        if last is not None and now_ns - last < window_ms * 1_000_000:
            ago = (now_ns - last) / 1e6
            price = f" @ {trimmed(order.price)}" if order.price is not None else ""
            raise RiskRejected(
                "duplicate_order",
                f"the same {order.side.value} {order.type.value} {trimmed(order.quantity)} "
                f"{order.instrument_id.symbol}{price} from {order.source} was sent {ago:.0f} ms "
                f"ago; send it again after {window_ms} ms if it is meant")

    def record(self, order: Order, now_ns: int, window_ms: int) -> None:
        seen = self._seen
        if len(seen) >= self._prune_at:
            cutoff = now_ns - window_ms * 1_000_000
            for key in [k for k, t in seen.items() if t < cutoff]:
                del seen[key]
            # amortised O(1): the next sweep waits until the map has doubled
            self._prune_at = max(PRUNE_AT, 2 * len(seen))
        seen[self.key(order)] = now_ns
