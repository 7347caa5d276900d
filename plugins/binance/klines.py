"""Historical klines (`GET /api/v3/klines`, 1000 per page, weight 2) with progress.

Pages run from `start_ms` forward until `end_ms` or an empty page; the REST client keeps
the request weight under the per-minute limit and honours 429/418 pauses (a rate-limited
page is asked again after the pause). Rows are the venue's 12-field arrays; only closed
bars (close time < the last row's start when the range reaches now) are returned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugins.binance.rest import BinanceRest, RateLimited
from plugins.replay.formats.timeparse import interval_from_code
from terminal.model.ids import InstrumentId
from terminal.model.market import Bar

PAGE = 1000
MS = 1_000_000


def kline_bar(iid: InstrumentId, interval_ns: int, row: list[Any]) -> Bar:
    return Bar(iid, interval_ns, int(row[0]) * MS, float(row[1]), float(row[2]),
               float(row[3]), float(row[4]), float(row[5]), int(row[8]), True)


async def backfill(rest: BinanceRest, symbol: str, interval: str, start_ms: int, end_ms: int,
                   progress: Callable[[float], None] | None = None) -> list[Bar]:
    iid = InstrumentId("BINANCE", symbol.upper())
    interval_ns = interval_from_code(interval)
    bars: list[Bar] = []
    cursor = start_ms
    span = max(1, end_ms - start_ms)
    while cursor < end_ms:
        try:
            rows = await rest.request("GET", "/api/v3/klines", {
                "symbol": iid.symbol, "interval": interval, "startTime": cursor,
                "endTime": end_ms - 1, "limit": PAGE})
        except RateLimited:
            continue  # the host is paused for Retry-After; the next call waits for it
        if not rows:
            break
        bars.extend(kline_bar(iid, interval_ns, row) for row in rows)
        cursor = int(rows[-1][0]) + interval_ns // MS
        if progress is not None:
            progress(min(1.0, (cursor - start_ms) / span))
        if len(rows) < PAGE:
            break
    if progress is not None:
        progress(1.0)
    return bars
