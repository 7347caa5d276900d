"""Coinbase and Kraken connectors end to end against the local exchange server, which
replays ws/cryptofeed__COINBASE.ws.28.0 and ws/cryptofeed__KRAKEN.ws.48-50.0: the books
equal those built directly from the same captures, also after every stream is dropped at
once mid-capture (a fresh snapshot per product on the new connection)."""

from __future__ import annotations

import asyncio

import pytest

from plugins.coinbase.config import CoinbaseConfig
from plugins.coinbase.factory import create as create_coinbase
from plugins.kraken.config import KrakenConfig
from plugins.kraken.factory import create as create_kraken
from plugins.replay.formats import open_recording
from terminal.core.bus import EventBus
from terminal.model.ids import InstrumentId
from terminal.model.market import BookDelta, BookSnapshot
from terminal.services.book_sync import KrakenChecksumSync
from terminal.services.books import BookManager
from tests.data_paths import SHARED_DATA
from tests.exchange_sim.coinbase import CoinbaseVenue
from tests.exchange_sim.harness import Harness
from tests.exchange_sim.kraken import KrakenVenue
from tests.exchange_sim.server import running

WS, REF = SHARED_DATA / "ws", SHARED_DATA / "ref"
COINBASE = WS / "cryptofeed__COINBASE.ws.28.0"
KRAKEN_BOOK = WS / "cryptofeed__KRAKEN.ws.50.0"
KRAKEN = [WS / f"cryptofeed__KRAKEN.ws.{n}.0" for n in (48, 49, 50)]
PRODUCTS = ["SKL-USD", "SKL-BTC", "BAND-GBP", "NMR-EUR", "BAND-BTC", "YFI-BTC", "DASH-BTC",
            "NU-GBP", "CRV-EUR", "SKL-GBP"]
PAIRS = ["WAVES/EUR", "XMR/USD", "KSM/XBT", "GRT/ETH", "SC/EUR", "ETH/CHF", "OCEAN/XBT",
         "OMG/USD", "XBT/CHF", "ADA/XBT"]


def truth(path) -> BookManager:
    books = BookManager(EventBus())
    events, _ = open_recording(path)
    for _ts, event in events:
        if isinstance(event, BookSnapshot):
            books.on_snapshot(event)
        elif isinstance(event, BookDelta):
            books.on_delta(event)
    return books


COINBASE_TRUTH = truth(COINBASE)
KRAKEN_TRUTH = truth(KRAKEN_BOOK)


def coinbase(harness: Harness, sim):
    return create_coinbase(harness.context, CoinbaseConfig(
        products=PRODUCTS, ws_url=sim.ws_url("coinbase"), rest_url=sim.rest_url("coinbase"),
        backoff_initial_s=0.05, backoff_max_s=0.5, resync_rate=20, resync_burst=10))


def kraken(harness: Harness, sim):
    return create_kraken(harness.context, KrakenConfig(
        pairs=PAIRS, ws_url=sim.ws_url("kraken"), rest_url=sim.rest_url("kraken"),
        backoff_initial_s=0.05, backoff_max_s=0.5, resync_rate=20, resync_burst=10))


async def scenario(harness: Harness, sim, name: str, conn, books: BookManager, venue: str,
                   symbols: list[str], drop_at: int | None) -> None:
    tape = sim.venues[name].tape
    tape.release(drop_at)
    await conn.data.connect()
    harness.tasks.spawn(conn.data.run(), name)
    iids = [InstrumentId(venue, s) for s in symbols]
    if drop_at is not None:
        await harness.until(lambda: tape.at_limit() and tape.clients)
        await harness.until(lambda: harness.market_data.events["book_snapshot"] >= 10)
        venue_sim = sim.venues[name]
        venue_sim.accepting = False  # the venue is down for a while
        assert venue_sim.drop_all() == 1
        tape.release(drop_at + 25)  # frames played while nobody listened
        await harness.until(lambda: tape.at_limit())
        venue_sim.accepting = True
        await harness.until(lambda: venue_sim.connections == 2)
        await harness.until(lambda: harness.market_data.events["book_snapshot"] >= 20)
        tape.release(None)
    await harness.until(lambda: tape.finished.is_set())
    await harness.until(lambda: all(harness.books.levels(i, 1000) == books.levels(i, 1000)
                                    for i in iids))
    assert all(harness.books.is_usable(i) for i in iids)
    await conn.data.disconnect()
    await harness.tasks.cancel_all()


@pytest.mark.parametrize("drop_at", [None, 3000], ids=["straight", "dropped"])
def test_coinbase_books_match_the_capture(tmp_path, drop_at):
    async def run() -> None:
        harness = Harness(tmp_path)
        async with running(coinbase=CoinbaseVenue(COINBASE, REF / "cryptofeed__COINBASE.0")) \
                as sim:
            conn = coinbase(harness, sim)
            await scenario(harness, sim, "coinbase", conn, COINBASE_TRUTH, "COINBASE",
                           PRODUCTS, drop_at)
            assert harness.market_data.events["trade"] >= (107 if drop_at is None else 50)
            assert not [s for s in harness.statuses if not s.usable]
            if drop_at is not None:
                assert "reconnecting" in [c["state"] for c in harness.connection]
    asyncio.run(run())


@pytest.mark.parametrize("drop_at", [None, 2500], ids=["straight", "dropped"])
def test_kraken_books_match_the_capture_and_every_checksum_verifies(tmp_path, drop_at):
    async def run() -> None:
        harness = Harness(tmp_path)
        async with running(kraken=KrakenVenue(KRAKEN, REF / "cryptofeed__KRAKEN.0")) as sim:
            conn = kraken(harness, sim)
            await scenario(harness, sim, "kraken", conn, KRAKEN_TRUTH, "KRAKEN", PAIRS,
                           drop_at)
            syncs = [t.sync for t in harness.books._books.values()]
            assert all(isinstance(s, KrakenChecksumSync) for s in syncs)
            verified = sum(s.checksums_verified for s in syncs)
            assert verified == 4269 if drop_at is None else verified > 3000
            assert not [s for s in harness.statuses if not s.usable]
            assert harness.market_data.events["trade"] > 0
            assert harness.market_data.events["quote"] > 0
    asyncio.run(run())


def test_a_failed_kraken_checksum_resubscribes_the_book(tmp_path):
    async def run() -> None:
        harness = Harness(tmp_path)
        venue = KrakenVenue(KRAKEN, REF / "cryptofeed__KRAKEN.0")
        xmr = [k for k, item in enumerate(venue.tape.items)
               if item.channel == "book" and item.pair == "XMR/USD"]
        venue.tape.drop_at.add(xmr[40])  # a lost update: the next checksum fails
        async with running(kraken=venue) as sim:
            conn = kraken(harness, sim)
            await scenario(harness, sim, "kraken", conn, KRAKEN_TRUTH, "KRAKEN", PAIRS, None)
            stale = [s for s in harness.statuses if not s.usable]
            assert stale and stale[0].instrument_id == InstrumentId("KRAKEN", "XMR/USD")
            assert stale[0].reason.startswith("checksum mismatch")
            assert conn.data.stats()["resyncs"] >= 1
    asyncio.run(run())
