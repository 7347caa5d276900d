"""Price alerts: a level on an instrument that fires when the price is above it, below it,
or crosses it, once or each time it happens again. Checked on every trade (or quote mid)
from the bus; a firing is published as `Kind.ALERT` (the webhooks send it as
`alert.triggered`, the stream as the `alerts` channel) and stored, so that alerts and what
they fired at survive a restart.

Semantics, with p the price seen and L the alert's level:
- above fires when p >= L; below when p <= L. A repeating one fires again only after the
  condition was false in between (no firing on every trade above the level). The first
  price seen can fire it (the condition already holds).
- cross fires when one price is on one side of L and the next reaches or passes it
  (prev < L <= p or prev > L >= p); the first price seen only sets where it is.

Adding and removing store first (off the loop), then change what is checked; firings are
written in batches off the loop. The trade handler costs one dict lookup for instruments
without alerts.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from terminal.core.bus import EventBus, Subscription
from terminal.core.errors import TerminalError
from terminal.core.tasks import TaskTracker
from terminal.core.topics import Kind
from terminal.model.ids import InstrumentId
from terminal.model.market import Quote, Trade
from terminal.model.numbers import plain
from terminal.persistence.alert_records import CONDITIONS, SOURCES, AlertRecord
from terminal.persistence.repositories import AlertRepository
from terminal.services.instruments import InstrumentService

log = logging.getLogger(__name__)
MAX_ALERTS = 1000


class AlertError(TerminalError, ValueError):
    """A refused alert; the text names the field."""


@dataclass(slots=True)
class _Watch:
    record: AlertRecord
    level: float
    armed: bool = True  # above/below: the condition was false since the last firing
    last: float | None = None  # cross: the previous price seen


def alert_payload(record: AlertRecord, price: float, ts_ns: int,
                  trade_id: str | None) -> dict[str, Any]:
    """What a firing publishes (the data of an `alert.triggered` webhook)."""
    return {"alert_id": record.alert_id, "instrument": record.instrument,
            "condition": record.condition, "price": plain(record.price),
            "triggered_price": price, "source": record.source, "ts_ns": ts_ns,
            "trade_id": trade_id, "note": record.note, "repeat": record.repeat,
            "count": record.triggered_count}


class AlertService:
    name = "alerts"

    def __init__(self, bus: EventBus, tasks: TaskTracker,
                 instruments: InstrumentService | None = None) -> None:
        self._bus = bus
        self._tasks = tasks
        self._instruments = instruments
        self._repo: AlertRepository | None = None
        self._all: dict[str, AlertRecord] = {}
        self._watch: dict[InstrumentId, list[_Watch]] = {}
        self._mids: set[InstrumentId] = set()  # instruments with an alert on the quote mid
        self._dirty: dict[str, AlertRecord] = {}
        self._flushing: asyncio.Task[None] | None = None
        self._subs: list[Subscription] = []
        self.version = 0  # bumped by every change (views redraw when it moves)
        self.fired = 0
        self.errors = 0

    # lifecycle ----------------------------------------------------------------------------
    def restore(self, repo: AlertRepository | None, records: list[AlertRecord]) -> None:
        """Take the stored alerts back (at start) and store changes in `repo` from now on."""
        self._repo = repo
        for record in records:
            self._put(record)

    async def start(self) -> None:
        self._subs = [self._bus.subscribe_kind(Kind.TRADE, self._on_trade),
                      self._bus.subscribe_kind(Kind.QUOTE, self._on_quote)]

    async def stop(self) -> None:
        for sub in self._subs:
            sub.cancel()
        self._subs.clear()
        await self.flush()

    async def flush(self) -> None:
        """Store the firings not written yet."""
        while self._flushing is not None and not self._flushing.done():
            await asyncio.wait({self._flushing})
        if self._dirty:
            await self._write()

    # reading ------------------------------------------------------------------------------
    def records(self, instrument: str | None = None, active_only: bool = False
                ) -> list[AlertRecord]:
        return [r for r in self._all.values()
                if (instrument is None or r.instrument == instrument)
                and (r.active or not active_only)]

    def get(self, alert_id: str) -> AlertRecord | None:
        return self._all.get(alert_id)

    def active_prices(self, instrument: InstrumentId | str) -> list[float]:
        """The levels of the active alerts on an instrument (the chart's dashed lines)."""
        key = instrument if isinstance(instrument, InstrumentId) else \
            InstrumentId.parse(instrument)
        return sorted(w.level for w in self._watch.get(key, ()))

    # changing -----------------------------------------------------------------------------
    def check(self, instrument: str, condition: str, price: Decimal | str | float,
              note: str = "", repeat: bool = False, source: str = "trade") -> AlertRecord:
        """A new alert from what a user gave (not stored yet). AlertError names the field."""
        try:
            iid = InstrumentId.parse(str(instrument))
        except TerminalError as exc:
            raise AlertError(f"instrument: {exc}") from None
        if condition not in CONDITIONS:
            raise AlertError(f"condition: {condition!r} is not one of {', '.join(CONDITIONS)}")
        if source not in SOURCES:
            raise AlertError(f"source: {source!r} is not one of {', '.join(SOURCES)}")
        try:
            level = Decimal(str(price))
        except InvalidOperation:
            raise AlertError(f"price: {str(price)[:40]!r} is not a number") from None
        if not level.is_finite() or level <= 0:
            raise AlertError(f"price: must be a positive number, not {str(price)[:40]}")
        known = self._instruments.get(iid) if self._instruments is not None else None
        if known is not None:
            level = known.round_price(level)
        if len(note) > 200:
            raise AlertError("note: at most 200 characters")
        if len(self._all) >= MAX_ALERTS:
            raise AlertError(f"instrument: at most {MAX_ALERTS} alerts; remove some first")
        now = time.time_ns()
        return AlertRecord(f"al_{secrets.token_hex(6)}", str(iid), condition, level, source,
                           note, bool(repeat), True, now, now)

    async def add(self, instrument: str, condition: str, price: Decimal | str | float,
                  note: str = "", repeat: bool = False, source: str = "trade") -> AlertRecord:
        """Check, store and start watching an alert (call on the loop)."""
        record = self.check(instrument, condition, price, note, repeat, source)
        if self._repo is not None:
            await asyncio.to_thread(self._repo.add, record)
        self._put(record)
        log.info("alert %s: %s %s %s", record.alert_id, record.instrument, record.condition,
                 plain(record.price))
        return record

    async def remove(self, alert_id: str) -> bool:
        if alert_id not in self._all:
            return False
        if self._repo is not None:
            await asyncio.to_thread(self._repo.remove, alert_id)
        self._dirty.pop(alert_id, None)
        record = self._all.pop(alert_id, None)
        if record is not None:
            self._unwatch(record)
            self.version += 1
        return record is not None

    def _put(self, record: AlertRecord) -> None:
        self._all[record.alert_id] = record
        if record.active:
            iid = InstrumentId.parse(record.instrument)
            self._watch.setdefault(iid, []).append(_Watch(record, float(record.price)))
            if record.source == "mid":
                self._mids.add(iid)
        self.version += 1

    def _unwatch(self, record: AlertRecord) -> None:
        iid = InstrumentId.parse(record.instrument)
        watches = [w for w in self._watch.get(iid, ()) if w.record.alert_id != record.alert_id]
        if watches:
            self._watch[iid] = watches
        else:
            self._watch.pop(iid, None)
        if not any(w.record.source == "mid" for w in watches):
            self._mids.discard(iid)

    # checking -----------------------------------------------------------------------------
    def _on_trade(self, _topic: str, trade: Trade) -> None:
        watches = self._watch.get(trade.instrument_id)
        if watches:
            self._check(watches, "trade", trade.price, trade.ts_event, trade.trade_id)

    def _on_quote(self, _topic: str, quote: Quote) -> None:
        if quote.instrument_id not in self._mids:
            return
        mid = quote.mid
        if math.isfinite(mid) and quote.bid > 0 and quote.ask > 0:
            self._check(self._watch.get(quote.instrument_id, []), "mid", mid,
                        quote.ts_event, None)

    def _check(self, watches: list[_Watch], source: str, price: float, ts_ns: int,
               trade_id: str | None) -> None:
        if not math.isfinite(price):
            return
        fired = [w for w in watches if w.record.source == source and _hit(w, price)]
        for watch in fired:
            self._fire(watch, price, ts_ns, trade_id)

    def _fire(self, watch: _Watch, price: float, ts_ns: int, trade_id: str | None) -> None:
        old = watch.record
        record = replace(old, active=old.repeat, triggered_count=old.triggered_count + 1,
                         last_triggered_ns=ts_ns, last_triggered_price=price,
                         updated_ns=time.time_ns())
        watch.record = record
        self._all[record.alert_id] = record
        if not record.repeat:
            self._unwatch(record)
        self.fired += 1
        self.version += 1
        self._bus.emit(Kind.ALERT, record.instrument,
                       alert_payload(record, price, ts_ns, trade_id))
        if self._repo is not None:
            self._dirty[record.alert_id] = record
            if self._flushing is None or self._flushing.done():
                self._flushing = self._tasks.spawn(self._write(), "alerts-store")

    async def _write(self) -> None:
        repo = self._repo
        while self._dirty and repo is not None:
            batch, self._dirty = list(self._dirty.values()), {}
            try:
                await asyncio.to_thread(repo.save_state, batch)
            except TerminalError as exc:  # the alert fired; only its stored state lags
                self.errors += 1
                log.warning("alerts: storing %d firings failed: %s", len(batch), exc)
                return


def _hit(watch: _Watch, price: float) -> bool:
    level = watch.level
    condition = watch.record.condition
    if condition == "cross":
        previous, watch.last = watch.last, price
        return previous is not None and (previous < level <= price or
                                         previous > level >= price)
    holds = price >= level if condition == "above" else price <= level
    fire = holds and watch.armed
    watch.armed = not holds
    return fire
