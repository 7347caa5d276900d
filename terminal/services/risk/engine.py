"""The risk engine: the full pre-trade rule set on top of the base gate, limits per account
and per instrument (stored, changeable while running), and a kill switch that a rule can
trip by itself. Every limit change and kill switch move is audited; rejections are audited
by the order manager, which raises them.

A check reads running totals (working.py) and the latest marks, never the order history, so
it costs a few microseconds whatever the number of orders.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Protocol

from terminal.core.clock import Clock, LiveClock
from terminal.core.errors import ConfigError, InstrumentError, RiskRejected
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.numbers import plain, to_decimal
from terminal.model.orders import Order, Side
from terminal.model.portfolio import Fill
from terminal.services.portfolio import Portfolio
from terminal.services.risk.balance import check_balance
from terminal.services.risk.base import check_base
from terminal.services.risk.daily_loss import DailyLoss
from terminal.services.risk.duplicates import DuplicateGuard
from terminal.services.risk.exposure import check_account_exposure, check_exposure
from terminal.services.risk.gate import RiskGate
from terminal.services.risk.limits import (
    ACCOUNT_ONLY,
    NAMES,
    LimitBook,
    LimitValue,
    RiskLimits,
    format_value,
    parse_value,
)
from terminal.services.risk.marks import MarketView, Marks, NoMarket
from terminal.services.risk.price_band import check_price_band
from terminal.services.risk.reduce_only import check_reduce_only
from terminal.services.risk.throttle import SlidingWindow
from terminal.services.risk.working import WorkingBook

log = logging.getLogger(__name__)

DAILY_LOSS_EVERY_NS = 100_000_000  # of market time; fills always look
Audit = Callable[[str, str, dict[str, object]], object]


class LimitStore(Protocol):
    def save(self, scope: str, subject: str, limits: dict[str, str], ts_ns: int) -> None: ...
    def all(self) -> list[tuple[str, str, dict[str, str]]]: ...


class InstrumentLookup(Protocol):
    def get(self, instrument_id: InstrumentId) -> Instrument | None: ...


class _NoInstruments:
    def get(self, instrument_id: InstrumentId) -> Instrument | None:
        return None


class RiskEngine(RiskGate):
    def __init__(self, portfolio: Portfolio, market: MarketView | None = None,
                 instruments: InstrumentLookup | None = None, clock: Clock | None = None,
                 limits: RiskLimits | None = None,
                 wall_ns: Callable[[], int] = time.monotonic_ns) -> None:
        super().__init__(limits)
        self.book = LimitBook(self.limits)
        self.working = WorkingBook()
        self.daily = DailyLoss()
        self._portfolio = portfolio
        self._marks = Marks(market or NoMarket())
        self._instruments: InstrumentLookup = instruments or _NoInstruments()
        self._clock = clock or LiveClock()
        self._wall = wall_ns
        self._orders = SlidingWindow("order_rate", "orders")
        self._cancels = SlidingWindow("cancel_rate", "cancels")
        self._duplicates = DuplicateGuard()
        self._estimates: dict[str, Decimal] = {}  # what a working market order was priced at
        self._quotes: dict[InstrumentId, str] = {}
        self._by_quote: dict[str, set[InstrumentId]] = {}  # held or ever worked, per quote
        self._positions_seen = 0
        self._qty_f: dict[InstrumentId, tuple[Decimal, float]] = {}
        self._loss_checked = -DAILY_LOSS_EVERY_NS
        self._store: LimitStore | None = None
        self._audit: Audit = lambda _action, _subject, _detail: None

    @property
    def account_id(self) -> str:
        return self._portfolio.account.account_id

    # wiring ------------------------------------------------------------------------------
    def attach(self, store: LimitStore | None, audit: Audit | None = None) -> None:
        """Load the stored limits of this account and its instruments; store changes there."""
        self._store = store
        if audit is not None:
            self._audit = audit
        if store is None:
            return
        for scope, subject, values in store.all():
            if scope == "account" and subject != self.account_id:
                continue
            try:
                iid = InstrumentId.parse(subject) if scope == "instrument" else None
            except InstrumentError:
                log.warning("stored risk limits for %r are not for an instrument", subject)
                continue
            parsed: dict[str, LimitValue] = {}
            for name, text in values.items():
                try:
                    parsed[name] = parse_value(name, text)
                except ConfigError as exc:  # e.g. a limit a newer version stored
                    log.warning("stored risk limit of %s %s ignored: %s", scope, subject, exc)
            self.book.put(iid, parsed)

    # limits ------------------------------------------------------------------------------
    def limits_for(self, instrument_id: InstrumentId | None = None) -> RiskLimits:
        """The limits in force for an instrument (or the account's)."""
        if instrument_id is None:
            return self.book.for_account()
        return self.book.for_instrument(instrument_id)

    def set_limits(self, changes: Mapping[str, object], instrument: InstrumentId | None = None,
                   actor: str = "api") -> RiskLimits:
        """Set limits of the account, or of one instrument; a value of None removes what was
        set there (the account's or the default value applies again). Stored, audited, and in
        force for the next order. ConfigError for an unknown name or a bad value."""
        scope = "account" if instrument is None else "instrument"
        subject = self.account_id if instrument is None else str(instrument)
        values = dict(self.book.overrides(instrument))
        before = self.limits_for(instrument)
        for name, value in changes.items():
            if name not in NAMES:
                raise ConfigError(f"unknown risk limit {name!r}; known: {', '.join(NAMES)}")
            if instrument is not None and name in ACCOUNT_ONLY:
                raise ConfigError(f"{name} is a limit of the whole account, not of an "
                                  "instrument")
            if value is None:
                values.pop(name, None)
            else:
                values[name] = parse_value(name, value)
        if self._store is not None:  # stored first: a failed write changes nothing
            self._store.save(scope, subject, {n: format_value(v) for n, v in values.items()},
                             time.time_ns())
        self.book.put(instrument, values)
        after = self.limits_for(instrument)
        diff = {name: {"from": format_value(getattr(before, name)),
                       "to": format_value(getattr(after, name))} for name in changes}
        self._audit("risk.limits", f"{scope}:{subject}", {"changes": diff, "actor": actor})
        return after

    # kill switch -------------------------------------------------------------------------
    def engage_kill_switch(self, reason: str, actor: str = "api") -> None:
        was = self.kill_switch
        super().engage_kill_switch(reason)
        if not was:
            self._audit("risk.kill_switch.on", f"account:{self.account_id}",
                        {"reason": reason, "actor": actor})

    def release_kill_switch(self, actor: str = "api") -> None:
        if self.kill_switch:
            self._audit("risk.kill_switch.off", f"account:{self.account_id}",
                        {"reason": self.kill_reason, "actor": actor})
        super().release_kill_switch()

    def trip(self, reason: str) -> None:
        if self.kill_switch:
            return
        self.engage_kill_switch(reason, actor="risk")
        for listener in self._trip_listeners:
            listener(reason)

    # daily loss --------------------------------------------------------------------------
    def on_time(self, ts_ns: int) -> None:
        """Market time moved: look at the daily loss every 100 ms of it, also with no limit
        set, so the day's baseline is taken when the day starts. Kept off the order path,
        which only reads the kill switch the look may have engaged."""
        if ts_ns - self._loss_checked >= DAILY_LOSS_EVERY_NS:
            self.evaluate_daily_loss()

    def next_look_ns(self) -> int:
        """The market time from which on_time looks at the daily loss again."""
        return self._loss_checked + DAILY_LOSS_EVERY_NS

    def evaluate_daily_loss(self) -> dict[str, float]:
        """Today's PnL per quote currency; trips the kill switch beyond the limit."""
        self._loss_checked = self._clock.now_ns()
        positions = self._portfolio.positions
        pnl = self.daily.pnl(self._clock.now_ns(), positions, self._marks.mark, self._quote_of)
        limit = self.book.for_account().max_daily_loss
        if limit:
            worst = min(pnl.items(), key=lambda kv: kv[1], default=None)
            if worst is not None and worst[1] < -float(limit):
                ccy, value = worst
                self.trip(f"daily loss {-value:,.2f} {ccy} is beyond the limit "
                          f"{plain(limit)} {ccy}")
        return pnl

    # the order manager's hooks -----------------------------------------------------------
    def pre_trade(self, order: Order, instrument: Instrument, working_orders: int,
                  replacing: Order | None = None) -> None:
        if self.kill_switch:
            raise RiskRejected("kill_switch", f"kill switch engaged: {self.kill_reason}")
        now = self._wall()
        iid = order.instrument_id
        limits = self.book.for_instrument(iid)
        reference = self._marks.reference(iid)
        price = order.price if order.price is not None else order.stop_price
        if price is None:
            touch = self._marks.touch(iid, order.side is Side.BUY)
            price = to_decimal(touch) if touch is not None else None
        check_base(order, instrument, limits, working_orders - (replacing is not None), price)
        check_price_band(order, instrument, limits, reference)
        old = self.working.open.get(replacing.client_order_id) if replacing else None
        positions = self._portfolio.positions
        if order.reduce_only:
            check_reduce_only(order, positions.get(iid), self.working, old)
        if replacing is None:
            self._duplicates.check(order, now, limits.duplicate_window_ms)
        self._orders.check(now, limits.max_orders_per_second)
        check_balance(order, instrument, limits, self._portfolio.account, self.working, price,
                      old)
        mark = reference[0] if reference is not None else \
            (float(price) if price is not None else None)
        own = check_exposure(order, instrument, limits, self._qty_of, self.working, mark, old)
        if limits.max_account_position_notional or limits.max_account_gross_exposure:
            if len(positions) != self._positions_seen:  # e.g. restored at start
                self._positions_seen = len(positions)
                for held in positions:
                    self._register(held, self._quote_of(held))
            check_account_exposure(order, instrument, limits, positions, self.working,
                                   self._marks.mark, self._qty_of,
                                   self._by_quote.get(instrument.quote, ()), mark, own)
        self._orders.record(now)
        if replacing is None:
            self._duplicates.record(order, now, limits.duplicate_window_ms)
        if order.price is None and price is not None:
            self._estimates[order.client_order_id] = price

    def track(self, order: Order) -> None:
        coid = order.client_order_id
        instrument = self._instruments.get(order.instrument_id)
        quote = instrument.quote if instrument is not None else ""
        base = instrument.base if instrument is not None else ""
        if quote:
            self._quotes[order.instrument_id] = quote
            self._register(order.instrument_id, quote)
        price = order.price if order.price is not None else order.stop_price
        if price is None:
            price = self._estimates.get(coid)
        fee_rate = self.book.for_instrument(order.instrument_id).fee_rate
        self.working.update(order, quote, base, price, fee_rate)
        if order.status.is_terminal:
            self._estimates.pop(coid, None)

    def on_fill(self, fill: Fill) -> None:
        if self.book.for_account().max_daily_loss:
            self.evaluate_daily_loss()

    def check_cancel(self, order: Order) -> None:
        now = self._wall()
        self._cancels.check(now, self.book.for_account().max_cancels_per_second)
        self._cancels.record(now)

    def _register(self, iid: InstrumentId, quote: str) -> None:
        same = self._by_quote.get(quote)
        if same is None:
            same = self._by_quote[quote] = set()
        same.add(iid)

    def _qty_of(self, iid: InstrumentId) -> float:
        position = self._portfolio.positions.get(iid)
        if position is None:
            return 0.0
        cached = self._qty_f.get(iid)
        if cached is None or cached[0] is not position.quantity:  # a fill made a new one
            cached = self._qty_f[iid] = (position.quantity, float(position.quantity))
        return cached[1]

    def _quote_of(self, iid: InstrumentId) -> str:
        quote = self._quotes.get(iid)
        if quote is None:
            instrument = self._instruments.get(iid)
            quote = instrument.quote if instrument is not None else ""
            if instrument is not None:
                self._quotes[iid] = quote
        return quote
