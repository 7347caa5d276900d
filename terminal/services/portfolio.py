"""Positions and cash of one account, updated from fills; marks from the latest quotes."""

from __future__ import annotations

from decimal import Decimal

from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.numbers import ZERO, to_decimal
from terminal.model.portfolio import Account, Fill, Position


class Portfolio:
    def __init__(self, account: Account) -> None:
        self.account = account
        self.positions: dict[InstrumentId, Position] = {}
        self.realized_pnl = ZERO
        self.fees_paid: dict[str, Decimal] = {}

    def restore(self, positions: list[Position], account: Account | None) -> None:
        """Take back what an earlier run stored: positions and the last account snapshot."""
        for pos in positions:
            self.positions[pos.instrument_id] = pos
            self.realized_pnl += pos.realized_pnl
        if account is not None:
            self.account = account

    def position(self, instrument_id: InstrumentId) -> Position:
        pos = self.positions.get(instrument_id)
        if pos is None:
            pos = self.positions[instrument_id] = Position(instrument_id)
        return pos

    def apply_fill(self, fill: Fill, instrument: Instrument) -> Position:
        pos = self.position(fill.instrument_id)
        self.realized_pnl += pos.apply(fill)
        signed_qty = fill.quantity * fill.side.sign
        if instrument.base:
            self.account.adjust(instrument.base, signed_qty)
        quote = instrument.quote or self.account.currency
        self.account.adjust(quote, -signed_qty * fill.price)
        self.account.adjust(fill.fee_currency, -fill.fee)
        self.fees_paid[fill.fee_currency] = self.fees_paid.get(fill.fee_currency, ZERO) + fill.fee
        self.account.ts_updated = fill.ts_event
        return pos

    def unrealized_pnl(self, marks: dict[InstrumentId, float]) -> Decimal:
        total = ZERO
        for iid, pos in self.positions.items():
            mark = marks.get(iid)
            if pos.quantity and mark is not None and mark == mark:
                total += pos.unrealized_pnl(to_decimal(mark))
        return total
