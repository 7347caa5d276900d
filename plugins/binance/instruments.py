"""Binance spot metadata (`GET /api/v3/exchangeInfo`) as canonical instruments. No I/O.

Rules, per entry of `symbols`:
- id `BINANCE:<symbol>`; base and quote are `baseAsset` and `quoteAsset`.
- tick = PRICE_FILTER.tickSize; lot = LOT_SIZE.stepSize, min/max qty from LOT_SIZE;
  min notional = MIN_NOTIONAL.minNotional, or NOTIONAL.minNotional on newer bodies.
  An absent filter or a value of 0 means "no constraint".
- trading = `status == "TRADING"` (BREAK, HALT, ... are kept, not trading).
- Numbers are exact Decimals of the venue's strings ("0.00010000" stays that value).
  Precisions come from the steps (0.00010000 -> 4), never from `baseAssetPrecision` or the
  8-decimal string length.
- MARKET_LOT_SIZE (limits of market orders) and MAX_POSITION are kept in `info` as the
  venue's strings. Their step is often "0.00000000": "no step", never a divisor.
- A malformed entry is skipped and its reason put in `skipped` (symbol -> reason); a body
  without a `symbols` list raises DataError.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from terminal.core.errors import DataError, InstrumentError
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.numbers import ZERO, decimals_of, to_decimal

VENUE = "BINANCE"

# filter type -> {field: info key}: kept verbatim for the execution side
_INFO_FILTERS = {
    "MARKET_LOT_SIZE": {"minQty": "market_min_qty", "maxQty": "market_max_qty",
                        "stepSize": "market_lot_size"},
    "MAX_POSITION": {"maxPosition": "max_position"},
    "NOTIONAL": {"maxNotional": "max_notional"},
}


def parse_exchange_info(body: dict[str, Any], *,
                        skipped: dict[str, str] | None = None) -> list[Instrument]:
    """Instruments of an exchangeInfo body, in the body's order."""
    symbols = body.get("symbols") if isinstance(body, dict) else None
    if not isinstance(symbols, list):
        raise DataError("not a Binance exchangeInfo body: no `symbols` list")
    out: list[Instrument] = []
    for entry in symbols:
        name = str(entry.get("symbol", "?")) if isinstance(entry, dict) else "?"
        try:
            out.append(_instrument(entry))
        except KeyError as exc:
            _skip(skipped, name, f"missing field {exc.args[0]!r}")
        except (InstrumentError, TypeError, ValueError, AttributeError) as exc:
            _skip(skipped, name, str(exc))
    return out


def _instrument(entry: dict[str, Any]) -> Instrument:
    symbol = str(entry["symbol"]).upper()
    filters = {f["filterType"]: f for f in entry.get("filters", [])}
    price = filters.get("PRICE_FILTER", {})
    lot = filters.get("LOT_SIZE", {})
    notional = filters.get("MIN_NOTIONAL") or filters.get("NOTIONAL") or {}
    tick = _amount(price, "tickSize")
    step = _amount(lot, "stepSize")
    info = {"status": str(entry["status"])}
    for kind, fields in _INFO_FILTERS.items():
        for key, info_key in fields.items():
            if key in filters.get(kind, {}):
                info[info_key] = str(filters[kind][key])
    return Instrument(
        id=InstrumentId(VENUE, symbol),
        base=str(entry["baseAsset"]),
        quote=str(entry["quoteAsset"]),
        tick_size=tick,
        lot_size=step,
        min_qty=_amount(lot, "minQty"),
        max_qty=_amount(lot, "maxQty"),
        min_notional=_amount(notional, "minNotional"),
        trading=entry["status"] == "TRADING",
        price_precision=decimals_of(tick) if tick else None,
        size_precision=decimals_of(step) if step else None,
        info=info,
    )


def _amount(fields: dict[str, Any], key: str) -> Decimal:
    if key not in fields:
        return ZERO
    value = to_decimal(fields[key], field=key)
    if value < ZERO:
        raise InstrumentError(f"{key}: {fields[key]!r} is negative")
    return value


def _skip(skipped: dict[str, str] | None, name: str, reason: str) -> None:
    if skipped is not None:
        skipped[name] = reason
