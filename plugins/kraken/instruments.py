"""Kraken asset pairs (`GET /0/public/AssetPairs`) as canonical instruments. No I/O.

Kraken names a pair three ways: the legacy key `XXBTZEUR` (REST), the `altname` `XBTEUR`
and the websocket name `XBT/EUR`. The canonical id is the websocket name,
`KRAKEN:XBT/EUR`, so live frames and recorded captures route without a lookup; the key and
altname stay in `info`, and `KrakenSymbols` maps any of the three names to the id.

Rules, per pair:
- base/quote come from the wsname (`XBT`, `EUR`), not the legacy asset codes (`XXBT`,
  `ZEUR`), which are kept in `info` as base_code/quote_code.
- tick = `tick_size` when the body has it (newer API), else 10^-pair_decimals;
  lot = 10^-lot_decimals; min qty = ordermin; min notional = costmin when present.
  price/size precision = pair_decimals/lot_decimals.
- trading: the optional `status` (newer API) is online, post_only, limit_only or
  reduce_only (these still accept orders); absent means online; anything else
  (cancel_only, maintenance, delisted, unknown words) is not trading.
- Dark-pool pairs (`XXBTZEUR.d`) have no wsname and cannot be streamed: they are skipped,
  like malformed pairs, with the reason put in `skipped` (key -> reason) and logged.
- A body without a `result` object raises DataError naming Kraken's `error` list.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from terminal.core.errors import DataError, InstrumentError
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.numbers import ZERO, to_decimal

log = logging.getLogger(__name__)

VENUE = "KRAKEN"
DARK_POOL_SUFFIX = ".d"
_TRADING_STATUSES = frozenset({"online", "post_only", "limit_only", "reduce_only"})
# info keys (KrakenSymbols reads them back)
KEY, ALTNAME, BASE_CODE, QUOTE_CODE = "key", "altname", "base_code", "quote_code"


def parse_asset_pairs(body: dict[str, Any], *,
                      skipped: dict[str, str] | None = None) -> list[Instrument]:
    """Instruments of an AssetPairs body, in the body's order, dark pools left out."""
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, dict):
        errors = body.get("error") if isinstance(body, dict) else None
        detail = f" (Kraken says {errors!r})" if errors else ""
        raise DataError(f"not a Kraken AssetPairs body: no `result` object{detail}")
    out: list[Instrument] = []
    left_out: dict[str, str] = {}
    for key, entry in result.items():
        try:
            out.append(_instrument(str(key), entry))
        except KeyError as exc:
            left_out[key] = f"missing field {exc.args[0]!r}"
        except (InstrumentError, TypeError, ValueError, AttributeError) as exc:
            left_out[key] = str(exc)
    if left_out:
        dark = sum(1 for k in left_out if k.endswith(DARK_POOL_SUFFIX))
        log.info("Kraken AssetPairs: %d of %d pairs skipped (%d dark pools without a "
                 "websocket name)", len(left_out), len(result), dark)
        if skipped is not None:
            skipped.update(left_out)
    return out


def _instrument(key: str, entry: dict[str, Any]) -> Instrument:
    wsname = entry.get("wsname")
    if not wsname:
        kind = "dark pool" if key.endswith(DARK_POOL_SUFFIX) else "pair"
        raise InstrumentError(f"{kind} without a websocket name (wsname)")
    base, sep, quote = str(wsname).upper().partition("/")
    if not sep or not base or not quote:
        raise InstrumentError(f"wsname {wsname!r} is not BASE/QUOTE")
    pair_decimals = _decimals(entry, "pair_decimals")
    lot_decimals = _decimals(entry, "lot_decimals")
    tick = _amount(entry, "tick_size") if "tick_size" in entry else _power(pair_decimals)
    info = {KEY: key, ALTNAME: str(entry.get("altname", "")),
            BASE_CODE: str(entry.get("base", "")), QUOTE_CODE: str(entry.get("quote", ""))}
    status = entry.get("status")
    if status is not None:
        info["status"] = str(status)
    return Instrument(
        id=InstrumentId(VENUE, f"{base}/{quote}"),
        base=base,
        quote=quote,
        tick_size=tick,
        lot_size=_power(lot_decimals),
        min_qty=_amount(entry, "ordermin"),
        min_notional=_amount(entry, "costmin"),
        trading=status is None or str(status) in _TRADING_STATUSES,
        price_precision=pair_decimals,
        size_precision=lot_decimals,
        info=info,
    )


def _decimals(entry: dict[str, Any], key: str) -> int:
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 18:
        raise InstrumentError(f"{key}: {value!r} is not a number of decimals")
    return value


def _power(decimals: int) -> Decimal:
    """10^-decimals, exact: 8 -> 0.00000001, 0 -> 1."""
    return Decimal((0, (1,), -decimals))


def _amount(entry: dict[str, Any], key: str) -> Decimal:
    raw = entry.get(key)
    if raw is None or raw == "":
        return ZERO
    value = to_decimal(raw, field=key)
    if value < ZERO:
        raise InstrumentError(f"{key}: {raw!r} is negative")
    return value


class KrakenSymbols:
    """Any Kraken pair name -> canonical id: `XXBTZEUR`, `XBTEUR`, `XBT/EUR` (any case) and
    `KRAKEN:XBT/EUR` all give `KRAKEN:XBT/EUR`. Also maps legacy asset codes (`XXBT` ->
    `XBT`, `ZEUR` -> `EUR`) as learnt from the pairs."""

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        self._ids: dict[str, InstrumentId] = {}
        self._assets: dict[str, str] = {}
        for instrument in instruments:
            if instrument.id.venue != VENUE:
                continue
            iid = instrument.id
            for name in (iid.symbol, str(iid), instrument.info.get(KEY),
                         instrument.info.get(ALTNAME)):
                if name:
                    self._ids[name.upper()] = iid
            for code, asset in ((instrument.info.get(BASE_CODE), instrument.base),
                                (instrument.info.get(QUOTE_CODE), instrument.quote)):
                if code:
                    self._assets[code.upper()] = asset

    @classmethod
    def from_asset_pairs(cls, body: dict[str, Any]) -> KrakenSymbols:
        return cls(parse_asset_pairs(body))

    def __len__(self) -> int:
        return len(set(self._ids.values()))

    def resolve(self, name: str) -> InstrumentId | None:
        """The canonical id of a pair name, or None when the name is not a known pair."""
        return self._ids.get(name.strip().upper())

    def id_of(self, name: str) -> InstrumentId:
        """Like `resolve`, but an unknown name is an InstrumentError."""
        iid = self.resolve(name)
        if iid is None:
            raise InstrumentError(f"unknown Kraken pair {name!r}")
        return iid

    def asset(self, code: str) -> str:
        """The plain asset name of a legacy code (`XXBT` -> `XBT`); unknown codes unchanged."""
        return self._assets.get(code.upper(), code.upper())
