"""Connects the engine's bus to the view state. Handlers are cheap; nothing repaints here."""

from __future__ import annotations

import logging

from terminal.app import Engine
from terminal.core.bus import Subscription
from terminal.core.topics import Kind
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.market import Bar, Quote, Trade
from terminal.model.orders import Order
from terminal.model.portfolio import Account, Fill, Position
from terminal.model.signals import Signal
from terminal.services.books import BookStatus
from terminal.services.quality import QualityFinding
from terminal.ui.view_state import QualityRow, ViewState


class EngineBridge:
    def __init__(self, engine: Engine, state: ViewState | None = None) -> None:
        self.engine = engine
        self.state = state or ViewState()
        bus = engine.bus
        self._subs: list[Subscription] = [
            bus.subscribe_kind(Kind.QUOTE, self._quote),
            bus.subscribe_kind(Kind.TRADE, self._trade),
            bus.subscribe_kind(Kind.BOOK, self._book),
            bus.subscribe_kind(Kind.BOOK_STATUS, self._book_status),
            bus.subscribe_kind(Kind.BAR, self._closed_bar),
            bus.subscribe_kind(Kind.BAR_UPDATE, self._bar),
            bus.subscribe_kind(Kind.ORDER, self._order),
            bus.subscribe_kind(Kind.FILL, self._fill),
            bus.subscribe_kind(Kind.POSITION, self._position),
            bus.subscribe_kind(Kind.ACCOUNT, self._account),
            bus.subscribe_kind(Kind.QUALITY, self._quality),
            bus.subscribe_kind(Kind.RISK, self._risk),
            bus.subscribe_kind(Kind.INSTRUMENT, self._instrument),
            bus.subscribe_kind(Kind.CONNECTION, self._connection),
            bus.subscribe_kind(Kind.SIGNAL, self._signal),
        ]
        self.load_existing()

    def load_existing(self) -> None:
        """What the engine already holds when the window opens."""
        state = self.state
        if self.engine.orders is not None:
            state.orders.update(self.engine.orders.orders)
            state.fills.extend(self.engine.orders.fills)
        state.positions.update(self.engine.portfolio.positions)
        state.account = self.engine.portfolio.account
        history = self.engine.history
        for iid in (history.bars if history is not None else ()):
            state.add_instrument(iid)  # instruments with chart history
        for area in ("orders", "fills", "positions", "account"):
            state.touch(area)

    def close(self) -> None:
        for sub in self._subs:
            sub.cancel()
        self._subs.clear()

    def _quote(self, _topic: str, quote: Quote) -> None:
        self.state.on_quote(quote)
        self.state.last_latency_ns = quote.ts_recv - quote.ts_event

    def _trade(self, _topic: str, trade: Trade) -> None:
        self.state.on_trade(trade)

    def _book(self, _topic: str, iid: InstrumentId) -> None:
        self.state.books_changed.add(iid)

    def _book_status(self, _topic: str, status: BookStatus) -> None:
        self.state.books_changed.add(status.instrument_id)
        if not status.usable:
            self.state.log.append(f"book {status.instrument_id} stale: {status.reason}")
            self.state.touch("log")

    def _bar(self, _topic: str, bar: Bar) -> None:
        self.state.bars_changed.add(bar.instrument_id)

    def _closed_bar(self, _topic: str, bar: Bar) -> None:
        self.state.add_instrument(bar.instrument_id)
        self.state.closed_bars.append(bar)
        self.state.bars_closed += 1
        self.state.bars_changed.add(bar.instrument_id)

    def _order(self, _topic: str, order: Order) -> None:
        self.state.orders[order.client_order_id] = order
        self.state.touch("orders")

    def _fill(self, _topic: str, fill: Fill) -> None:
        self.state.fills.append(fill)
        self.state.touch("fills")

    def _position(self, _topic: str, position: Position) -> None:
        self.state.positions[position.instrument_id] = position
        self.state.touch("positions")

    def _account(self, _topic: str, account: Account) -> None:
        self.state.account = account
        self.state.touch("account")

    def _quality(self, _topic: str, finding: QualityFinding) -> None:
        key = (finding.instrument_id, finding.kind)
        self.state.quality[key] = QualityRow(finding.instrument_id, finding.kind, finding.count,
                                             finding.detail, finding.ts_ns)
        self.state.touch("quality")

    def _instrument(self, _topic: str, instrument: Instrument) -> None:
        # venue metadata announces thousands of instruments: the watchlist takes those with
        # market data (quotes, trades, bars), not every one the venue lists
        self.state.touch("instruments")

    def _signal(self, _topic: str, signal: Signal) -> None:
        self.state.signals.append(signal)
        self.state.signals_seen += 1
        self.state.log.append(f"signal {signal.strategy_id}: {signal.side.value} "
                              f"{signal.instrument_id} at {signal.price:g} ({signal.reason})")
        self.state.touch("log")

    def _connection(self, _topic: str, _change: dict[str, str]) -> None:
        self.state.touch("connections")

    def _risk(self, _topic: str, rejection: dict[str, str]) -> None:
        self.state.log.append(f"order refused: {rejection.get('message', '')}")
        self.state.touch("log")


class LogToState(logging.Handler):
    """Puts log records into the view state's log (the log panel)."""

    def __init__(self, state: ViewState) -> None:
        super().__init__(logging.INFO)
        self._state = state
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                            "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        self._state.log.append(self.format(record))
        self._state.touch("log")
