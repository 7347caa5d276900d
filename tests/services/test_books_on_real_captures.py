"""Order books kept from the real captures by each venue's rules (CASES 1, 2 and 3)."""

import math
from collections.abc import Iterator
from dataclasses import replace

from plugins.replay.formats import open_recording
from terminal.core.bus import EventBus
from terminal.core.topics import Kind
from terminal.model.ids import InstrumentId
from terminal.model.market import BookDelta, BookSnapshot, Quote
from terminal.services.book_sync import KrakenChecksumSync
from terminal.services.books import BookManager, BookStatus
from tests.data_paths import SHARED_DATA

WS = SHARED_DATA / "ws"
L2 = SHARED_DATA / "l2"


def book_events(path) -> Iterator[BookSnapshot | BookDelta]:
    events, _report = open_recording(path)
    for _ts, event in events:
        if isinstance(event, BookSnapshot | BookDelta):
            yield event


class Recorder:
    """Everything the book manager publishes, in order."""

    def __init__(self, bus: EventBus) -> None:
        self.quotes: list[Quote] = []
        self.statuses: list[BookStatus] = []
        bus.subscribe_kind(Kind.QUOTE, lambda _t, q: self.quotes.append(q))
        bus.subscribe_kind(Kind.BOOK_STATUS, lambda _t, s: self.statuses.append(s))


def feed(path, mutate=None) -> tuple[BookManager, Recorder]:
    bus = EventBus()
    books = BookManager(bus)
    seen = Recorder(bus)
    for event in book_events(path):
        if mutate is not None:
            event = mutate(event)
            if event is None:
                continue
        if isinstance(event, BookSnapshot):
            books.on_snapshot(event)
        else:
            books.on_delta(event)
    return books, seen


def test_kraken_all_4269_checksums_verify_and_books_stay_fresh():
    books, seen = feed(WS / "cryptofeed__KRAKEN.ws.50.0")
    syncs = [t.sync for t in books._books.values()]
    assert all(isinstance(s, KrakenChecksumSync) for s in syncs)
    assert sum(s.checksums_verified for s in syncs) == 4269
    assert all(s.synced for s in syncs)
    assert not [s for s in seen.statuses if not s.usable]
    assert all(q.bid < q.ask for q in seen.quotes)
    # depth=1000 subscription: the book never holds more than 1000 levels a side
    assert all(len(s.book.bids) <= 1000 and len(s.book.asks) <= 1000 for s in syncs)


def test_kraken_frame_with_two_payloads_applies_both():
    """CASES 1: SC/EUR at 1618678145.9513211 adds an ask at 0.042990 in one payload and
    deletes the bid at 0.042990 in the next; reading one payload leaves a locked book."""
    target = 1618678145951321100
    sc = InstrumentId("KRAKEN", "SC/EUR")
    books = BookManager(EventBus())
    for event in book_events(WS / "cryptofeed__KRAKEN.ws.50.0"):
        if event.instrument_id != sc:
            continue
        if isinstance(event, BookSnapshot):
            books.on_snapshot(event)
            continue
        books.on_delta(event)
        if event.ts_recv == target:
            assert event.checksum == 4105471083
            bids, asks = books.levels(sc, 1)
            assert asks[0][0] == 0.04299 and bids[0][0] < 0.04299
            assert books.is_usable(sc)
            break
    else:
        raise AssertionError("the two-payload frame was not found")


def test_kraken_wrong_checksum_makes_the_book_stale_and_silent():
    xmr = InstrumentId("KRAKEN", "XMR/USD")
    count = {"n": 0}

    def corrupt_fifth_update(event):
        if isinstance(event, BookDelta) and event.instrument_id == xmr:
            count["n"] += 1
            if count["n"] == 5:
                return replace(event, checksum=(event.checksum or 0) ^ 1)
        return event

    books, seen = feed(WS / "cryptofeed__KRAKEN.ws.50.0", corrupt_fifth_update)
    status = books.status(xmr)
    assert status is not None and not status.usable
    assert status.reason.startswith("checksum mismatch")
    stale_at = next(s.ts_ns for s in seen.statuses if s.instrument_id == xmr and not s.usable)
    assert not [q for q in seen.quotes if q.instrument_id == xmr and q.ts_recv >= stale_at]
    assert books.levels(xmr, 10) == ([], [])  # nothing is offered from a stale book


def test_binance_and_coinbase_books_are_never_crossed_while_fresh():
    for name, count in (("cryptofeed__BINANCE.ws.1.0", 4), ("cryptofeed__COINBASE.ws.28.0", 10)):
        books, seen = feed(WS / name)
        assert len(books.instruments()) == count
        assert all(books.is_usable(i) for i in books.instruments()), name
        assert not [s for s in seen.statuses if not s.usable], name
        assert seen.quotes and all(q.bid < q.ask for q in seen.quotes), name


def test_withheld_delete_crosses_the_book_which_goes_stale_then_recovers():
    """CASES 3: drop the first l2update that removes BAND-GBP's best bid. 390 updates later
    an ask arrives at 14.7831, below the phantom bid 14.7832: the book goes stale at once,
    publishes no crossed quote, and a fresh snapshot brings it back."""
    band = InstrumentId("COINBASE", "BAND-GBP")
    truth = BookManager(EventBus())
    dropped: dict[str, object] = {}

    def withhold_best_bid_delete(event):
        if event.instrument_id != band:
            return event
        if isinstance(event, BookDelta) and "delta" not in dropped:
            best = truth.levels(band, 1)[0]
            if best and any(p == best[0][0] and s == 0.0 for p, s in event.bids):
                dropped["delta"] = event
                dropped["price"] = best[0][0]
                truth.on_delta(event)
                return None  # the lost message
        if isinstance(event, BookSnapshot):
            truth.on_snapshot(event)
        else:
            truth.on_delta(event)
        return event

    books, seen = feed(WS / "cryptofeed__COINBASE.ws.28.0", withhold_best_bid_delete)
    assert "delta" in dropped
    phantom = dropped["price"]
    assert phantom == 14.7832
    status = books.status(band)
    assert status is not None and not status.usable
    assert status.reason == "crossed: bid 14.7832 >= ask 14.7831"
    band_quotes = [q for q in seen.quotes if q.instrument_id == band]
    assert all(q.bid < q.ask for q in band_quotes)  # never published crossed
    stale = next(s for s in seen.statuses if s.instrument_id == band and not s.usable)
    assert not [q for q in band_quotes if q.ts_recv > stale.ts_ns]
    assert any(q.bid == phantom for q in band_quotes)  # the phantom showed until it crossed
    # the next snapshot (here: the true book at the end of the capture) replaces the book
    bids, asks = truth.levels(band, 100_000)
    books.on_snapshot(BookSnapshot(band, bids, asks, 0, stale.ts_ns + 1, stale.ts_ns + 1))
    assert books.is_usable(band)
    assert books.levels(band, 100_000) == (bids, asks)
    assert seen.quotes[-1].instrument_id == band and seen.quotes[-1].bid == bids[0][0]


def test_binance_depth_csv_pair_is_a_gap_and_a_new_snapshot_replaces_the_book():
    """CASES 2: the update (first id 2098041693435, previous id pu 2098041693400) does not
    follow the snapshot's last id 2098021528332."""
    events = [*book_events(L2 / "nautilus__binance_btcusdt-depth-snap.csv"),
              *book_events(L2 / "nautilus__binance_btcusdt-depth-update.csv")]
    snap, delta = events
    assert isinstance(snap, BookSnapshot) and snap.sequence == 2098021528332
    assert isinstance(delta, BookDelta) and delta.first_sequence == 2098041693400 + 1
    bus = EventBus()
    books = BookManager(bus)
    seen = Recorder(bus)
    books.on_snapshot(snap)
    iid = snap.instrument_id
    bids_before = books.levels(iid, 1000)[0]
    books.on_delta(delta)
    status = books.status(iid)
    assert status is not None and not status.usable and status.reason.startswith("gap")
    assert books.levels(iid, 10) == ([], [])
    # a new snapshot replaces (not merges into) the book
    fresh = BookSnapshot(iid, [(20000.0, 1.0)], [(20001.0, 2.0)], delta.sequence, 0, 0)
    books.on_snapshot(fresh)
    assert books.levels(iid, 1000) == ([(20000.0, 1.0)], [(20001.0, 2.0)])
    assert len(bids_before) == 100
    assert [s.usable for s in seen.statuses] == [True, False, True]


def test_book_measures_on_the_real_nknusdt_book():
    books, _ = feed(WS / "cryptofeed__BINANCE.ws.1.0")
    nkn = InstrumentId("BINANCE", "NKNUSDT")
    a = books.analytics(nkn, depth=2)
    # final book: bids 9602@0.3527 2829@0.3526, asks 152@0.3531 949@0.3532
    assert (a.best_bid, a.best_ask) == (0.3527, 0.3531)
    assert a.bid_depth == [9602.0, 12431.0] and a.ask_depth == [152.0, 1101.0]
    assert a.imbalance == (12431.0 - 1101.0) / (12431.0 + 1101.0)
    assert a.microprice == (0.3527 * 152.0 + 0.3531 * 9602.0) / (152.0 + 9602.0)
    assert books.depth_at(nkn, 0.3532, is_bid=False) == 949.0
    assert books.depth_at(nkn, 0.35305, is_bid=False) == 0.0  # inside the known book: empty
    _bids, asks = books.levels(nkn, 10_000)
    assert len(asks) == 994
    beyond = asks[-1][0] + 1.0  # past the deepest ask we were ever told about
    assert math.isnan(books.depth_at(nkn, beyond, is_bid=False))
