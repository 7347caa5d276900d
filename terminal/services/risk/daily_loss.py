"""Daily loss: realised + unrealised PnL, net of fees, since the UTC day started, per quote
currency (no currency is converted). The day's baseline is each position's PnL when the
engine first looks in that day; a loss beyond the limit trips the kill switch."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from terminal.model.ids import InstrumentId
from terminal.model.portfolio import Position

NS_PER_DAY = 86_400 * 1_000_000_000


class DailyLoss:
    def __init__(self) -> None:
        self.day: int | None = None
        self._baseline: dict[InstrumentId, float] = {}
        self._floats: dict[InstrumentId, tuple[Decimal, Decimal, Decimal, Decimal, float,
                                                float, float]] = {}

    def pnl(self, now_ns: int, positions: Mapping[InstrumentId, Position],
            mark: Callable[[InstrumentId], float | None],
            quote_of: Callable[[InstrumentId], str]) -> dict[str, float]:
        current = {iid: self._value(iid, pos, mark(iid)) for iid, pos in positions.items()}
        day = now_ns // NS_PER_DAY
        if day != self.day:
            self.day = day
            self._baseline = current
        out: dict[str, float] = {}
        for iid, value in current.items():
            quote = quote_of(iid)
            out[quote] = out.get(quote, 0.0) + value - self._baseline.get(iid, 0.0)
        return out

    def breach(self, limit: float, now_ns: int, positions: Mapping[InstrumentId, Position],
               mark: Callable[[InstrumentId], float | None],
               quote_of: Callable[[InstrumentId], str]) -> tuple[str, float] | None:
        """(currency, PnL) of a loss beyond `limit`, the worst one, or None."""
        worst: tuple[str, float] | None = None
        for quote, value in self.pnl(now_ns, positions, mark, quote_of).items():
            if value < -limit and (worst is None or value < worst[1]):
                worst = (quote, value)
        return worst

    def _value(self, iid: InstrumentId, position: Position, mark: float | None) -> float:
        # the decimals change only with fills: their floats are kept until they do
        cached = self._floats.get(iid)
        if cached is None or cached[0] is not position.quantity \
                or cached[1] is not position.avg_price \
                or cached[2] is not position.realized_pnl or cached[3] is not position.fees:
            cached = (position.quantity, position.avg_price, position.realized_pnl,
                      position.fees, float(position.realized_pnl) - float(position.fees),
                      float(position.avg_price), float(position.quantity))
            self._floats[iid] = cached
        booked, avg, qty = cached[4], cached[5], cached[6]
        return booked + (mark - avg) * qty if qty and mark is not None else booked
