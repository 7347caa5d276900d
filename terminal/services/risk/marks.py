"""Reference prices from the latest market data: the mid of the last quote, else the last
trade; the touch (best ask for a buy, best bid for a sell) for where a market order fills."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from terminal.model.ids import InstrumentId
from terminal.model.market import Quote, Trade


class MarketView(Protocol):
    @property
    def last_quote(self) -> Mapping[InstrumentId, Quote]: ...
    @property
    def last_trade(self) -> Mapping[InstrumentId, Trade]: ...


class NoMarket:
    last_quote: Mapping[InstrumentId, Quote] = {}
    last_trade: Mapping[InstrumentId, Trade] = {}


class Marks:
    def __init__(self, market: MarketView) -> None:
        self._market = market

    def reference(self, iid: InstrumentId) -> tuple[float, str] | None:
        """(price, what it is) or None when nothing is known."""
        quote = self._market.last_quote.get(iid)
        if quote is not None and 0.0 < quote.bid <= quote.ask:  # NaN fails both
            return (quote.bid + quote.ask) / 2.0, "mid"
        trade = self._market.last_trade.get(iid)
        if trade is not None and trade.price > 0.0:
            return trade.price, "last trade"
        return None

    def mark(self, iid: InstrumentId) -> float | None:
        ref = self.reference(iid)
        return None if ref is None else ref[0]

    def touch(self, iid: InstrumentId, is_buy: bool) -> float | None:
        quote = self._market.last_quote.get(iid)
        if quote is not None:
            price = quote.ask if is_buy else quote.bid
            if price > 0.0:
                return price
        return self.mark(iid)
