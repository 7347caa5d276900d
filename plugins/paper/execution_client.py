"""The paper broker's execution client.

- Market orders walk the book (or take the quote when no usable book exists) and may fill
  partially; the unfilled rest is canceled, as a venue does with a market order that runs
  out of liquidity.
- Limit orders take what is marketable as taker, then rest (GTC/DAY) or cancel (IOC); FOK
  fills completely or not at all. A resting limit fills at its limit price as maker when
  the book crosses it or a trade prints through it.
- Stops trigger when the market reaches the stop price, then act as market (stop) or limit
  (stop-limit) orders.
Fees are charged in the instrument's quote currency at the configured maker/taker rates.
"""

from __future__ import annotations

import asyncio
import itertools
from decimal import Decimal

from plugins.paper.config import PaperConfig
from plugins.paper.matching import Depletion, Execution, walk
from terminal.core.bus import Subscription
from terminal.core.topics import Kind
from terminal.model.ids import InstrumentId
from terminal.model.market import Level, Quote, Trade
from terminal.model.numbers import ZERO, to_decimal
from terminal.model.orders import Order, OrderType, Side, TimeInForce
from terminal.model.portfolio import Fill, Liquidity
from terminal.plugin_host.base import ExecutionClient, PluginContext


class PaperExecutionClient(ExecutionClient):
    def __init__(self, context: PluginContext, config: PaperConfig) -> None:
        self._ctx = context
        self._config = config
        self._resting: dict[str, Order] = {}
        self._stops: dict[str, Order] = {}
        self._depletion: dict[tuple[InstrumentId, Side], Depletion] = {}
        self._venue_ids = itertools.count(1)
        self._fill_ids = itertools.count(1)
        self._subs: list[Subscription] = []
        self._last_quote: dict[InstrumentId, Quote] = {}
        self._last_trade: dict[InstrumentId, Trade] = {}
        self.connected = False

    async def connect(self) -> None:
        bus = self._ctx.bus
        self._subs = [bus.subscribe_kind(Kind.QUOTE, self._on_quote),
                      bus.subscribe_kind(Kind.TRADE, self._on_trade)]
        self.connected = True

    async def disconnect(self) -> None:
        for sub in self._subs:
            sub.cancel()
        self._subs = []
        self.connected = False

    async def open_orders(self) -> list[Order]:
        return [*self._resting.values(), *self._stops.values()]

    async def submit(self, order: Order) -> None:
        if self._config.ack_latency_ms:
            await asyncio.sleep(self._config.ack_latency_ms / 1000)
        now = self._ctx.clock.now_ns()
        sink = self._ctx.execution
        if self._ctx.instruments.get(order.instrument_id) is None:
            sink.on_rejected(order.client_order_id, f"unknown instrument {order.instrument_id}",
                             now)
            return
        if order.type is OrderType.MARKET and \
                self._market(order.instrument_id, order.side is Side.BUY) is None:
            sink.on_rejected(order.client_order_id, f"no market data for {order.instrument_id}",
                             now)
            return
        sink.on_accepted(order.client_order_id, f"P{next(self._venue_ids)}", now)
        if order.type in (OrderType.STOP, OrderType.STOP_LIMIT):
            self._stops[order.client_order_id] = order
            self._check_stop(order)
            return
        self._execute(order)

    async def cancel(self, order: Order) -> None:
        coid = order.client_order_id
        if self._resting.pop(coid, None) is not None or self._stops.pop(coid, None) is not None:
            self._ctx.execution.on_canceled(coid, self._ctx.clock.now_ns())

    async def modify(self, order: Order, quantity: Decimal, price: Decimal | None) -> None:
        coid = order.client_order_id
        if coid not in self._resting:
            return
        self._ctx.execution.on_modified(coid, quantity, price, self._ctx.clock.now_ns())
        self._try_resting(order)

    # matching ----------------------------------------------------------------------------
    def _market(self, iid: InstrumentId, is_buy: bool) -> list[Level] | None:
        """The liquidity an order would take: book levels, else the quote, else None."""
        bids, asks = self._ctx.books.levels(iid, self._config.book_depth)
        levels = asks if is_buy else bids
        if levels:
            return levels
        quote = self._last_quote.get(iid)
        if quote is None:
            return None
        return [(quote.ask, quote.ask_size)] if is_buy else [(quote.bid, quote.bid_size)]

    def _lot(self, iid: InstrumentId) -> Decimal:
        instrument = self._ctx.instruments.get(iid)
        return instrument.lot_size if instrument is not None else ZERO

    def _depletion_for(self, iid: InstrumentId, side: Side) -> Depletion:
        key = (iid, side)
        dep = self._depletion.get(key)
        if dep is None:
            dep = self._depletion[key] = Depletion()
        return dep

    def _execute(self, order: Order) -> None:
        """Aggressive part of a new (or triggered) order."""
        is_buy = order.side is Side.BUY
        levels = self._market(order.instrument_id, is_buy)
        now = self._ctx.clock.now_ns()
        sink = self._ctx.execution
        limit = order.price if order.type in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None
        if levels is None:
            if limit is not None and order.time_in_force in (TimeInForce.GTC, TimeInForce.DAY):
                self._resting[order.client_order_id] = order
            else:
                sink.on_canceled(order.client_order_id, now)
            return
        depletion = self._depletion_for(order.instrument_id, order.side)
        lot = self._lot(order.instrument_id)
        if order.time_in_force is TimeInForce.FOK:
            probe = walk(levels, order.leaves_qty, limit, is_buy, Depletion(
                dict(depletion.taken)), lot)
            if sum((e.quantity for e in probe), ZERO) < order.leaves_qty:
                sink.on_canceled(order.client_order_id, now)
                return
        for execution in walk(levels, order.leaves_qty, limit, is_buy, depletion, lot):
            self._fill(order, execution, Liquidity.TAKER)
        if order.leaves_qty <= ZERO:
            return
        if limit is None or order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
            sink.on_canceled(order.client_order_id, self._ctx.clock.now_ns())
        else:
            self._resting[order.client_order_id] = order

    def _try_resting(self, order: Order) -> None:
        assert order.price is not None
        is_buy = order.side is Side.BUY
        levels = self._market(order.instrument_id, is_buy)
        if not levels:
            return
        depletion = self._depletion_for(order.instrument_id, order.side)
        for execution in walk(levels, order.leaves_qty, order.price, is_buy, depletion,
                              self._lot(order.instrument_id)):
            self._fill(order, Execution(order.price, execution.quantity), Liquidity.MAKER)
        if order.leaves_qty <= ZERO:
            self._resting.pop(order.client_order_id, None)

    def _check_stop(self, order: Order) -> None:
        assert order.stop_price is not None
        is_buy = order.side is Side.BUY
        levels = self._market(order.instrument_id, is_buy)
        last = self._last_trade.get(order.instrument_id)
        touch = to_decimal(levels[0][0]) if levels else None
        price = to_decimal(last.price) if last is not None else None
        stop = order.stop_price
        hit = any(p is not None and (p >= stop if is_buy else p <= stop) for p in (touch, price))
        if hit:
            self._stops.pop(order.client_order_id, None)
            self._execute(order)

    def _fill(self, order: Order, execution: Execution, liquidity: Liquidity) -> None:
        instrument = self._ctx.instruments.get(order.instrument_id)
        quote_ccy = instrument.quote if instrument is not None and instrument.quote else "USD"
        rate = self._config.maker_fee_rate if liquidity is Liquidity.MAKER \
            else self._config.taker_fee_rate
        fee = execution.price * execution.quantity * rate
        fill = Fill(fill_id=f"{order.client_order_id}-F{next(self._fill_ids)}",
                    client_order_id=order.client_order_id, instrument_id=order.instrument_id,
                    side=order.side, quantity=execution.quantity, price=execution.price,
                    fee=fee, fee_currency=quote_ccy, liquidity=liquidity,
                    ts_event=self._ctx.clock.now_ns())
        self._ctx.execution.on_fill(fill)

    # market events -----------------------------------------------------------------------
    def _on_quote(self, _topic: str, quote: Quote) -> None:
        self._last_quote[quote.instrument_id] = quote
        self._evaluate(quote.instrument_id)

    def _on_trade(self, _topic: str, trade: Trade) -> None:
        self._last_trade[trade.instrument_id] = trade
        if not self._resting and not self._stops:
            return
        price = to_decimal(trade.price)
        size = to_decimal(trade.size)
        for order in [o for o in self._resting.values() if o.instrument_id == trade.instrument_id]:
            assert order.price is not None
            through = price < order.price if order.side is Side.BUY else price > order.price
            if through and size > ZERO:
                qty = min(order.leaves_qty, size)
                lot = self._lot(order.instrument_id)
                if lot:
                    qty = (qty // lot) * lot
                if qty > ZERO:
                    size -= qty
                    self._fill(order, Execution(order.price, qty), Liquidity.MAKER)
                    if order.leaves_qty <= ZERO:
                        self._resting.pop(order.client_order_id, None)
        self._evaluate(trade.instrument_id)

    def _evaluate(self, iid: InstrumentId) -> None:
        if not self._stops and not self._resting:
            return
        for order in [o for o in self._stops.values() if o.instrument_id == iid]:
            self._check_stop(order)
        for order in [o for o in self._resting.values() if o.instrument_id == iid]:
            self._try_resting(order)
