"""Tardis.dev CSV datasets: the shared column rules, and the trades and quotes files.

Every Tardis CSV starts with `exchange,symbol,timestamp,local_timestamp`. Time rule: both
are epoch MICROseconds UTC; `timestamp` (the exchange's time) is `ts_event` and
`local_timestamp` (when Tardis received it) is `ts_recv` and the replay time. The instrument
is `<EXCHANGE>:<SYMBOL>` from the row (upper case); `--instrument` does not override it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.common import (
    RowError,
    announce,
    csv_records,
    head_records,
    header_key,
    need_fields,
    number,
    open_text,
    shown,
)
from plugins.replay.formats.timeparse import MAX_NS, WINDOW
from terminal.core.errors import DataError
from terminal.model.ids import InstrumentId
from terminal.model.market import Aggressor, Quote, Trade

PREFIX = ["exchange", "symbol", "timestamp", "localtimestamp"]
US = 1_000
_SIDES = {"buy": Aggressor.BUY, "sell": Aggressor.SELL, "unknown": Aggressor.UNKNOWN,
          "": Aggressor.UNKNOWN}


def tardis_keys(head: str) -> list[str]:
    records = head_records(head, 1)
    keys = [header_key(name) for name in records[0]] if records else []
    return keys if keys[:4] == PREFIX else []


def micros(text: str, field: str) -> int:
    """Epoch µs (ASCII digits) to ns, inside the `timeparse` window, or RowError."""
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit() and len(stripped) <= 19:
        value = int(stripped) * US
        if value < MAX_NS:
            return value
        raise RowError(f"time outside {WINDOW}: {shown(text)}", field)
    raise RowError(f"not an epoch µs integer: {shown(text)}", field)


class TardisRows:
    """Header handling and per-row instrument/time parsing shared by the Tardis readers."""

    def __init__(self, path: Path, report: ReadReport, required: tuple[str, ...]) -> None:
        self.path = path
        self.report = report
        self.required = required
        self.names: list[str] = []
        self.col: dict[str, int] = {}
        self._ids: dict[tuple[str, str], InstrumentId] = {}

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line, fields) of data rows with the right field count; bad counts reported."""
        with open_text(self.path) as fh:
            records = csv_records(fh, self.report)
            first = next(records, None)
            if first is None:
                return
            self.names = [name.strip() for name in first[1]]
            keys = [header_key(name) for name in first[1]]
            missing = [key for key in (*PREFIX, *self.required) if key not in keys]
            if missing:
                raise DataError(f"not a Tardis file of this kind: no {', '.join(missing)}",
                                source=str(self.path), line=1)
            self.col = {key: index for index, key in enumerate(keys)}
            for line, fields in records:
                try:
                    need_fields(fields, self.names)
                except RowError as exc:
                    self.report.add_problem(line, exc.reason, exc.field)
                    continue
                yield line, fields

    def iid(self, fields: list[str]) -> InstrumentId:
        exchange, symbol = fields[0].strip(), fields[1].strip()
        if not exchange or not symbol:
            raise RowError("empty exchange or symbol", "exchange" if not exchange else "symbol")
        key = (exchange, symbol)
        iid = self._ids.get(key)
        if iid is None:
            iid = self._ids[key] = InstrumentId(exchange.upper(), symbol.upper())
        return iid

    def times(self, fields: list[str]) -> tuple[int, int]:
        return micros(fields[2], "timestamp"), micros(fields[3], "local_timestamp")

    def number(self, fields: list[str], key: str) -> float:
        index = self.col[key]
        return number(fields[index], self.names[index])


class TardisTrades:
    """Tardis `trades`: ...,id,side,price,amount. `side` is the taker's side (aggressor)."""

    name = "tardis-trades"
    description = "Tardis.dev trades CSV (µs timestamps)"

    def sniff(self, path: Path, head: str) -> bool:
        keys = tardis_keys(head)
        return all(key in keys for key in ("id", "side", "price", "amount"))

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        return announce(self._trades(path, report), report)

    def _trades(self, path: Path, report: ReadReport) -> Iterator[tuple[int, Trade]]:
        tardis = TardisRows(path, report, ("id", "side", "price", "amount"))
        for line, fields in tardis.rows():
            try:
                ts_event, ts_recv = tardis.times(fields)
                side_text = fields[tardis.col["side"]].strip().lower()
                side = _SIDES.get(side_text)
                if side is None:
                    raise RowError(f"unknown side {shown(side_text)}", "side")
                trade = Trade(tardis.iid(fields), tardis.number(fields, "price"),
                              tardis.number(fields, "amount"), side,
                              fields[tardis.col["id"]].strip(), ts_event, ts_recv)
            except RowError as exc:
                report.add_problem(line, exc.reason, exc.field)
                continue
            report.rows += 1
            yield ts_recv, trade


class TardisQuotes:
    """Tardis `quotes`: ...,ask_amount,ask_price,bid_price,bid_amount (asks come FIRST;
    columns are read by name). A row with an empty bid or ask price is a bad row."""

    name = "tardis-quotes"
    description = "Tardis.dev quotes CSV (µs timestamps, ask columns before bid)"
    _COLUMNS = ("askamount", "askprice", "bidprice", "bidamount")

    def sniff(self, path: Path, head: str) -> bool:
        keys = tardis_keys(head)
        return all(key in keys for key in self._COLUMNS)

    def read(self, path: Path, report: ReadReport,
             instrument_id: InstrumentId | None = None) -> Iterator[tuple[int, ReplayEvent]]:
        return announce(self._quotes(path, report), report)

    def _quotes(self, path: Path, report: ReadReport) -> Iterator[tuple[int, Quote]]:
        tardis = TardisRows(path, report, self._COLUMNS)
        for line, fields in tardis.rows():
            try:
                ts_event, ts_recv = tardis.times(fields)
                quote = Quote(tardis.iid(fields), tardis.number(fields, "bidprice"),
                              tardis.number(fields, "bidamount"),
                              tardis.number(fields, "askprice"),
                              tardis.number(fields, "askamount"), ts_event, ts_recv)
            except RowError as exc:
                report.add_problem(line, exc.reason, exc.field)
                continue
            report.rows += 1
            yield ts_recv, quote
