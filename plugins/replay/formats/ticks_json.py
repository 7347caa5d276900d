"""ccxt/freqtrade trade lists in JSON (optionally gzip): `[[ms, id, order, side, price,
amount, cost], ...]` (freqtrade's legacy layout) or ccxt trade objects
(`{"timestamp", "id", "side", "price", "amount"}`).

Time rule: `timestamp` is epoch milliseconds UTC; ts_event = ts_recv = it. `side` is the
taker's side (ccxt convention) and gives the aggressor. The id is kept as text.
A problem's `line` is the 1-based record number in the array.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.common import RowError, announce, default_instrument_id
from plugins.replay.formats.ohlcv_json import json_ms, json_number, load_json_array
from terminal.model.ids import InstrumentId
from terminal.model.market import Aggressor, Trade

_SIDES = {"buy": Aggressor.BUY, "sell": Aggressor.SELL}
_FIRST_LIST = re.compile(r'\s*\[\s*\[\s*\d{12,13}\s*,\s*("[^"]*"|\d+|null)\s*,\s*[^,]*,'
                         r'\s*"(buy|sell)"')
_FIRST_OBJECT = re.compile(r'\s*\[\s*\{[^}]*"timestamp"[^}]*"price"')


def _aggressor(value: Any) -> Aggressor:
    if value is None:
        return Aggressor.UNKNOWN
    found = _SIDES.get(str(value).lower())
    if found is None:
        raise RowError(f"unknown side {value!r}", "side")
    return found


def _trade(record: Any, iid: InstrumentId) -> Trade:
    if isinstance(record, list):
        if len(record) < 6:
            raise RowError(f"expected [ms, id, order, side, price, amount, ...], got "
                           f"{record!r}"[:200])
        ts, ident, side, price, amount = record[0], record[1], record[3], record[4], record[5]
    elif isinstance(record, dict):
        try:
            ts, price, amount = record["timestamp"], record["price"], record["amount"]
        except KeyError as exc:
            raise RowError("missing field", str(exc.args[0])) from None
        ident, side = record.get("id"), record.get("side")
    else:
        raise RowError(f"not a trade record: {record!r}"[:200])
    stamp = json_ms(ts)
    return Trade(iid, json_number(price, "price"), json_number(amount, "amount"),
                 _aggressor(side), "" if ident is None else str(ident), stamp, stamp)


class CcxtTradesJson:
    name = "ccxt-trades-json"
    description = "ccxt/freqtrade trades JSON [[ms, id, order, side, price, amount, cost]] (.gz)"

    def sniff(self, path: Path, head: str) -> bool:
        return _FIRST_LIST.match(head) is not None or _FIRST_OBJECT.match(head) is not None

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        iid = instrument_id or default_instrument_id(path)
        return announce(self._trades(path, report, iid), report)

    def _trades(self, path: Path, report: ReadReport,
                iid: InstrumentId) -> Iterator[tuple[int, Trade]]:
        for index, record in enumerate(load_json_array(path), 1):
            try:
                trade = _trade(record, iid)
            except RowError as exc:
                report.add_problem(index, exc.reason, exc.field)
                continue
            report.rows += 1
            yield trade.ts_recv, trade
