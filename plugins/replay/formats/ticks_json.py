"""ccxt/freqtrade trade lists in JSON (optionally gzip): `[[ms, id, order, side, price,
amount, cost], ...]` (freqtrade's legacy layout) or ccxt trade objects
(`{"timestamp", "id", "side", "price", "amount"}`).

Time rule: `timestamp` is epoch milliseconds UTC; ts_event = ts_recv = it. `side` is the
taker's side (ccxt convention) and gives the aggressor. The id is kept as text.
A problem's `line` is the 1-based record number in the array. Detection, numbers refused
by orjson and truncated gzip files follow `ohlcv_json`. The id is a JSON string or integer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.common import (
    RowError,
    announce,
    default_instrument_id,
    mostly,
    shown,
    type_name,
)
from plugins.replay.formats.ohlcv_json import (
    head_json_records,
    json_ms,
    json_number,
    load_json_array,
)
from terminal.model.ids import InstrumentId
from terminal.model.market import Aggressor, Trade

_SIDES = {"buy": Aggressor.BUY, "sell": Aggressor.SELL}


def _aggressor(value: Any) -> Aggressor:
    if value is None:
        return Aggressor.UNKNOWN
    found = _SIDES.get(value.lower()) if type(value) is str else None
    if found is None:
        raise RowError(f"unknown side {shown(value)}", "side")
    return found


def _ident(value: Any) -> str:
    if value is None:
        return ""
    if type(value) is str or type(value) is int:
        return str(value)
    raise RowError(f"expected a trade id string or integer, got {type_name(value)} "
                   f"{shown(value)}", "id")


def _trade(record: Any, iid: InstrumentId) -> Trade:
    if type(record) is list:
        if len(record) < 6:
            raise RowError(f"expected [ms, id, order, side, price, amount, ...], got "
                           f"{shown(record)}")
        ts, ident, side, price, amount = record[0], record[1], record[3], record[4], record[5]
    elif type(record) is dict:
        try:
            ts, price, amount = record["timestamp"], record["price"], record["amount"]
        except KeyError as exc:
            raise RowError("missing field", str(exc.args[0])) from None
        ident, side = record.get("id"), record.get("side")
    else:
        raise RowError(f"not a trade record: {shown(record)}")
    stamp = json_ms(ts)
    return Trade(iid, json_number(price, "price"), json_number(amount, "amount"),
                 _aggressor(side), _ident(ident), stamp, stamp)


def _is_trade(record: Any) -> bool:
    if type(record) is list:
        return (len(record) >= 6 and type(record[0]) in (int, float)
                and 10**11 <= record[0] < 10**13 and record[3] in ("buy", "sell"))
    return type(record) is dict and "timestamp" in record and "price" in record


class CcxtTradesJson:
    name = "ccxt-trades-json"
    description = "ccxt/freqtrade trades JSON [[ms, id, order, side, price, amount, cost]] (.gz)"

    def sniff(self, path: Path, head: str) -> bool:
        return mostly(head_json_records(head), _is_trade)

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        iid = instrument_id or default_instrument_id(path)
        return announce(self._trades(path, report, iid), report)

    def _trades(self, path: Path, report: ReadReport,
                iid: InstrumentId) -> Iterator[tuple[int, Trade]]:
        for index, record in enumerate(load_json_array(path, report), 1):
            try:
                trade = _trade(record, iid)
            except RowError as exc:
                report.add_problem(index, exc.reason, exc.field)
                continue
            report.rows += 1
            yield trade.ts_recv, trade
