"""Risk limits: their names, types and scopes, and how account and instrument values merge.

A value of 0 switches a limit off. Limits set on an instrument override the account's, which
override the defaults. Some limits only make sense for the whole account (rates, the daily
loss, the working-order cap and the account-wide exposure) and cannot be set per instrument.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from typing import Any

from terminal.core.errors import ConfigError, InstrumentError
from terminal.model.ids import InstrumentId
from terminal.model.numbers import ZERO, plain, to_decimal

LimitValue = Decimal | int | bool
MAX_LIMIT = Decimal("1e15")  # as for order values; also keeps counts within 64 bits


@dataclass(slots=True)
class RiskLimits:
    max_order_qty: Decimal = ZERO          # base units
    max_order_notional: Decimal = ZERO     # in the instrument's quote currency
    max_working_orders: int = 200
    price_band_pct: Decimal = Decimal(10)  # a limit price this far from the last mid/trade
    max_position_qty: Decimal = ZERO       # |net position| if every working order filled
    max_position_notional: Decimal = ZERO  # the same, in the quote currency
    max_gross_exposure: Decimal = ZERO     # (|position| + all working qty) x price
    max_account_position_notional: Decimal = ZERO  # summed over instruments of one quote
    max_account_gross_exposure: Decimal = ZERO
    check_balance: bool = True             # buys need the quote currency (and fees)
    spot: bool = True                      # sells need the base currency held
    fee_rate: Decimal = Decimal("0.001")   # the fee reserved with a buy
    max_orders_per_second: int = 20        # new orders and modifies, sliding window
    max_cancels_per_second: int = 20
    duplicate_window_ms: int = 500         # same order from the same source within this
    max_daily_loss: Decimal = ZERO         # per quote currency, trips the kill switch
    # made once per set of limits: float copies for the threshold checks (0.0 = off)
    band_f: float = field(init=False, repr=False, compare=False)
    position_qty_f: float = field(init=False, repr=False, compare=False)
    position_notional_f: float = field(init=False, repr=False, compare=False)
    gross_f: float = field(init=False, repr=False, compare=False)
    account_position_f: float = field(init=False, repr=False, compare=False)
    account_gross_f: float = field(init=False, repr=False, compare=False)
    fee_factor: Decimal = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.band_f = float(self.price_band_pct)
        self.position_qty_f = float(self.max_position_qty)
        self.position_notional_f = float(self.max_position_notional)
        self.gross_f = float(self.max_gross_exposure)
        self.account_position_f = float(self.max_account_position_notional)
        self.account_gross_f = float(self.max_account_gross_exposure)
        self.fee_factor = 1 + self.fee_rate


ACCOUNT_ONLY = frozenset({
    "max_working_orders", "max_account_position_notional", "max_account_gross_exposure",
    "max_orders_per_second", "max_cancels_per_second", "max_daily_loss"})
_KIND: dict[str, type] = {f.name: type(getattr(RiskLimits(), f.name))
                          for f in fields(RiskLimits) if f.init}
NAMES = tuple(_KIND)


def parse_value(name: str, value: object) -> LimitValue:
    """A limit's value from what a caller, the database or a config file gives."""
    kind = _KIND.get(name)
    if kind is None:
        raise ConfigError(f"unknown risk limit {name!r}; known: {', '.join(NAMES)}")
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise ConfigError(f"{name}: {value!r} is not true or false")
    if isinstance(value, bool) or not isinstance(value, Decimal | str | int | float):
        raise ConfigError(f"{name}: {value!r} is not a number")
    try:
        number = to_decimal(value, field=name)
    except InstrumentError as exc:
        raise ConfigError(str(exc)) from None
    if number < ZERO:
        raise ConfigError(f"{name}: must be 0 (off) or positive, got {plain(number)}")
    if number >= MAX_LIMIT:
        raise ConfigError(f"{name}: {plain(number)} is too large (at most {plain(MAX_LIMIT)})")
    if kind is int:
        if number != number.to_integral_value():
            raise ConfigError(f"{name}: must be a whole number, got {plain(number)}")
        return int(number)
    return number


def format_value(value: LimitValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return plain(value)
    return str(value)


class LimitBook:
    """Defaults, account overrides and instrument overrides, merged once per change."""

    def __init__(self, defaults: RiskLimits | None = None) -> None:
        self.defaults = defaults or RiskLimits()
        self.account: dict[str, LimitValue] = {}
        self.instruments: dict[InstrumentId, dict[str, LimitValue]] = {}
        self._merged: dict[InstrumentId, RiskLimits] = {}
        self._account_merged: RiskLimits | None = None

    def overrides(self, instrument_id: InstrumentId | None) -> dict[str, LimitValue]:
        if instrument_id is None:
            return self.account
        return self.instruments.get(instrument_id, {})

    def put(self, instrument_id: InstrumentId | None, values: dict[str, LimitValue]) -> None:
        if instrument_id is None:
            self.account = values
        elif values:
            self.instruments[instrument_id] = values
        else:
            self.instruments.pop(instrument_id, None)
        self._merged.clear()
        self._account_merged = None

    def for_account(self) -> RiskLimits:
        merged = self._account_merged
        if merged is None:
            merged = self._account_merged = _merge(self.defaults, self.account)
        return merged

    def for_instrument(self, instrument_id: InstrumentId) -> RiskLimits:
        merged = self._merged.get(instrument_id)
        if merged is None:
            own = self.instruments.get(instrument_id)
            merged = _merge(self.for_account(), own) if own else self.for_account()
            self._merged[instrument_id] = merged
        return merged


def _merge(limits: RiskLimits, values: dict[str, LimitValue]) -> RiskLimits:
    # parse_value has given every value its field's type
    typed: dict[str, Any] = values
    return replace(limits, **typed)
