"""Historical klines from the local Binance server: the real 13,681 one-minute bars of
ohlcv/freqtrade__UNITTEST_BTC-1m.json served as the venue's 12-field rows, fetched in pages
of 1000 with progress, through a 429 burst, into the terminal's bars."""

from __future__ import annotations

import asyncio
import json
import math

from tests.data_paths import SHARED_DATA
from tests.exchange_sim.harness import Harness
from tests.exchange_sim.server import running
from tests.plugins.test_binance_connector import connector, venue

SOURCE = SHARED_DATA / "ohlcv" / "freqtrade__UNITTEST_BTC-1m.json"
MINUTE_MS = 60_000


def kline_rows() -> list[list[object]]:
    rows = json.loads(SOURCE.read_text())
    return [[ts, f"{o:.8f}", f"{h:.8f}", f"{lo:.8f}", f"{c:.8f}", f"{v:.8f}",
             ts + MINUTE_MS - 1, "0", 7, "0", "0", "0"] for ts, o, h, lo, c, v in rows]


def test_backfill_pages_through_the_history_with_progress_and_a_429_burst(tmp_path) -> None:
    rows = kline_rows()
    assert len(rows) == 13_681  # PROVENANCE.md

    async def scenario() -> None:
        harness = Harness(tmp_path)
        sim_venue = venue()
        sim_venue.klines["BTCUSDT"] = rows
        sim_venue.faults.add(429, 2, 0.2, "/api/v3/klines")
        async with running(binance=sim_venue) as sim:
            conn = connector(harness, sim, symbols=["BTCUSDT"])
            assert conn.data is not None
            progress: list[float] = []
            bars = await conn.data.backfill(  # type: ignore[attr-defined]
                "BTCUSDT", "1m", int(rows[0][0]), int(rows[-1][0]) + MINUTE_MS,
                progress.append)
        assert len(bars) == len(rows)
        assert [b.ts for b in bars] == [int(r[0]) * 1_000_000 for r in rows]
        assert (bars[5].open, bars[5].close) == (float(rows[5][1]), float(rows[5][4]))
        assert bars[-1].volume == float(rows[-1][5]) and bars[-1].trades == 7
        assert progress == sorted(progress) and progress[-1] == 1.0
        pages = math.ceil(len(rows) / 1000)
        answered = [status for _, status, path in sim_venue.faults.answered
                    if path == "/api/v3/klines"]
        assert answered.count(429) == 2 and answered.count(200) == pages
        assert harness.market_data.events["bar"] == len(rows)  # delivered to the terminal

    asyncio.run(scenario())


def test_the_feed_downloads_exchange_info_and_announces_its_symbols_filters(tmp_path) -> None:
    """exchangeInfo from the local server (the real ref/cryptofeed__BINANCE.0 capture):
    NKNUSDT's filters are tick 0.0001, lot 1, min qty 1, min notional 10; only the
    subscribed symbols are announced."""
    from decimal import Decimal

    from terminal.model.ids import InstrumentId

    async def scenario() -> None:
        harness = Harness(tmp_path)
        info = SHARED_DATA / "ref" / "cryptofeed__BINANCE.0"
        async with running(binance=venue(info_path=info)) as sim:
            conn = connector(harness, sim, symbols=["NKNUSDT"], load_instruments=True)
            assert conn.data is not None
            await conn.data.connect()
            task = asyncio.ensure_future(conn.data.run())
            iid = InstrumentId("BINANCE", "NKNUSDT")
            try:
                await harness.until(lambda: harness.instruments.get(iid) is not None)
                nkn = harness.instruments.get(iid)
                assert nkn is not None
                assert (nkn.tick_size, nkn.lot_size, nkn.min_qty, nkn.min_notional) == \
                    (Decimal("0.0001"), Decimal("1"), Decimal("1"), Decimal("10"))
                assert [i.id for i in harness.instruments.all()] == [iid]
            finally:
                await conn.data.disconnect()
                await task

    asyncio.run(scenario())
