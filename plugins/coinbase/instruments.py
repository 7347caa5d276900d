"""Coinbase products (legacy Pro API `GET /products`) as canonical instruments. No I/O.

Rules, per product (every number is a string in the body; they become exact Decimals):
- id `COINBASE:<id>` (e.g. `COINBASE:BTC-USD`); base/quote = base_currency/quote_currency.
- tick = quote_increment; lot = base_increment; min/max qty = base_min_size/base_max_size;
  min notional = min_market_funds when present (Coinbase's floor on an order's quote value).
- trading: the product accepts new orders, i.e. `status` is "online" (an absent status
  counts as online), `trading_disabled` is not true and `cancel_only` is not true.
  `post_only` and `limit_only` restrict the order types but still accept orders, so they
  leave the product trading; every flag is kept in `info` ("true"/"false") for the
  execution side, with max_market_funds and a non-empty status_message.
- Precisions come from the increments (0.00000001 -> 8).
- A malformed product is skipped and its reason put in `skipped` (id -> reason); a body
  that is not a list raises DataError (an API error object names its message).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from terminal.core.errors import DataError, InstrumentError
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.numbers import ZERO, decimals_of, to_decimal

VENUE = "COINBASE"
_FLAGS = ("trading_disabled", "cancel_only", "post_only", "limit_only")


def parse_products(body: list[Any], *,
                   skipped: dict[str, str] | None = None) -> list[Instrument]:
    """Instruments of a /products body, in the body's order."""
    if not isinstance(body, list):
        message = body.get("message") if isinstance(body, dict) else None
        detail = f" (the API says {message!r})" if message else ""
        raise DataError(f"not a Coinbase /products body: expected a list{detail}")
    out: list[Instrument] = []
    for entry in body:
        name = str(entry.get("id", "?")) if isinstance(entry, dict) else "?"
        try:
            out.append(_instrument(entry))
        except KeyError as exc:
            _skip(skipped, name, f"missing field {exc.args[0]!r}")
        except (InstrumentError, TypeError, ValueError, AttributeError) as exc:
            _skip(skipped, name, str(exc))
    return out


def _instrument(entry: dict[str, Any]) -> Instrument:
    flags = {name: _flag(entry.get(name)) for name in _FLAGS}
    status = str(entry.get("status", "online"))
    tick = _amount(entry, "quote_increment")
    lot = _amount(entry, "base_increment")
    info = {"status": status, **{k: "true" if v else "false" for k, v in flags.items()}}
    if entry.get("max_market_funds") not in (None, ""):
        info["max_market_funds"] = str(entry["max_market_funds"])
    if entry.get("status_message"):
        info["status_message"] = str(entry["status_message"])
    return Instrument(
        id=InstrumentId(VENUE, str(entry["id"]).upper()),
        base=str(entry["base_currency"]),
        quote=str(entry["quote_currency"]),
        tick_size=tick,
        lot_size=lot,
        min_qty=_amount(entry, "base_min_size", required=False),
        max_qty=_amount(entry, "base_max_size", required=False),
        min_notional=_amount(entry, "min_market_funds", required=False),
        trading=(status == "online" and not flags["trading_disabled"]
                 and not flags["cancel_only"]),
        price_precision=decimals_of(tick) if tick else None,
        size_precision=decimals_of(lot) if lot else None,
        info=info,
    )


def _amount(entry: dict[str, Any], key: str, *, required: bool = True) -> Decimal:
    """The field as an exact Decimal; an optional field that is absent or empty is 0."""
    raw = entry[key] if required else entry.get(key)
    if raw is None or raw == "":
        if required:
            raise InstrumentError(f"{key}: empty")
        return ZERO
    value = to_decimal(raw, field=key)
    if value < ZERO:
        raise InstrumentError(f"{key}: {raw!r} is negative")
    return value


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _skip(skipped: dict[str, str] | None, name: str, reason: str) -> None:
    if skipped is not None:
        skipped[name] = reason
