"""ArrayBook (numba array book) against dict/SortedDict references and real captures."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import orjson
import pytest

from bench.book_apply import (
    BINANCE_REST,
    BINANCE_WS,
    COINBASE,
    Capture,
    SortedDictBook,
    flat_messages,
    load_binance,
    load_coinbase,
    parse_tuples,
)
from plugins.replay.formats import open_recording
from terminal.kernels.array_book import UNTOUCHED, ArrayBook
from terminal.model.ids import InstrumentId
from terminal.model.market import BookDelta, BookSnapshot, Level
from terminal.services.book_sync import BinanceSpotSync, KrakenChecksumSync
from terminal.services.order_book import OrderBook
from tests.data_paths import SHARED_DATA

KRAKEN = SHARED_DATA / "ws" / "cryptofeed__KRAKEN.ws.50.0"

needs_coinbase = pytest.mark.skipif(not COINBASE.is_file(), reason=f"{COINBASE} not found")
needs_kraken = pytest.mark.skipif(not KRAKEN.is_file(), reason=f"{KRAKEN} not found")
needs_binance = pytest.mark.skipif(not (BINANCE_WS.is_file() and BINANCE_REST.is_file()),
                                   reason="Binance capture not found")


class DictBook:
    """The plainest possible reference: a dict per side, sorted when read."""

    def __init__(self) -> None:
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}

    def apply(self, bids: list[Level], asks: list[Level]) -> None:
        for side, levels in ((self.bids, bids), (self.asks, asks)):
            for price, size in levels:
                if math.isnan(price):
                    continue
                if size > 0.0:
                    side[price] = size
                else:
                    side.pop(price, None)

    def load(self, bids: list[Level], asks: list[Level]) -> None:
        self.bids.clear()
        self.asks.clear()
        self.apply(bids, asks)

    def truncate(self, depth: int) -> None:
        bids, asks = self.top(depth)
        self.load(bids, asks)

    def top(self, depth: int) -> tuple[list[Level], list[Level]]:
        bids = sorted(self.bids.items(), reverse=True)[:max(depth, 0)]
        asks = sorted(self.asks.items())[:max(depth, 0)]
        return bids, asks


def assert_same(book: ArrayBook, ref: DictBook) -> None:
    bids, asks = ref.top(10**9)
    assert book.top(10**9) == (bids, asks)
    assert (len(book.bids), len(book.asks)) == (len(bids), len(asks))
    assert book.best_bid() == (bids[0] if bids else None)
    assert book.best_ask() == (asks[0] if asks else None)
    assert book.bids.prices().tolist() == [p for p, _ in bids]
    assert book.asks.sizes().tolist() == [s for _, s in asks]


def random_levels(rng: np.random.Generator, count: int) -> list[Level]:
    # a small price grid so that updates hit existing levels and deletes find them
    prices = rng.integers(0, 60, size=count) * 0.5 + 100.0
    sizes = np.where(rng.random(count) < 0.3, 0.0, rng.integers(1, 9, size=count) * 0.25)
    return list(zip(prices.tolist(), sizes.tolist(), strict=True))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_operations_match_a_dict_book(seed: int) -> None:
    rng = np.random.default_rng(seed)
    book, ref = ArrayBook(capacity=1), DictBook()
    for _ in range(1500):
        op = rng.random()
        bids = random_levels(rng, int(rng.integers(0, 6)))
        asks = random_levels(rng, int(rng.integers(0, 6)))
        if op < 0.6:
            book.apply(bids, asks)
            ref.apply(bids, asks)
        elif op < 0.75:
            sides = np.array([True] * len(bids) + [False] * len(asks))
            levels = np.array(bids + asks, dtype=np.float64).reshape(-1, 2)
            book.apply_arrays(sides, levels[:, 0], levels[:, 1])
            ref.apply(bids, asks)
        elif op < 0.85:
            batch = [(random_levels(rng, 2), random_levels(rng, 1)) for _ in range(4)]
            book.apply_batch(*flat_messages(batch))
            for b, a in batch:
                ref.apply(b, a)
        elif op < 0.9:
            depth = int(rng.integers(0, 30))
            dropped = book.truncate(depth)
            assert dropped == tuple([p for p, _ in side[depth:][::-1]] for side in ref.top(10**9))
            ref.truncate(depth)
        elif op < 0.98:
            book.load(bids * 3, asks * 3)
            ref.load(bids * 3, asks * 3)
        else:
            book.clear()
            ref.load([], [])
        assert_same(book, ref)


def coinbase_products(cap: Capture) -> Iterator[str]:
    yield from sorted(cap.snapshots)


@pytest.fixture(scope="module")
def coinbase() -> Capture:
    return load_coinbase()


@needs_coinbase
def test_coinbase_capture_gives_the_sorted_reference_top_10_after_every_message(
        coinbase: Capture) -> None:
    books: dict[str, ArrayBook] = {}
    refs: dict[str, SortedDictBook] = {}
    for product in coinbase_products(coinbase):
        books[product], refs[product] = ArrayBook(), SortedDictBook()
        books[product].load(*coinbase.snapshots[product])
        refs[product].load(*coinbase.snapshots[product])
        assert books[product].top(10) == refs[product].top(10)
    for product, bids, asks in coinbase.messages:
        book, ref = books[product], refs[product]
        book.apply(bids, asks)
        ref.apply(bids, asks)
        assert book.top(10) == ref.top(10), product
        assert (book.best_bid(), book.best_ask()) == (ref.best_bid(), ref.best_ask())
        assert not book.is_crossed_or_locked()  # the capture is never crossed (PROVENANCE)
    for product, book in books.items():
        assert (len(book.bids), len(book.asks)) == (len(refs[product].bids),
                                                    len(refs[product].asks))
    assert sum(b.updates for b in books.values()) == len(coinbase.messages) + len(books)


@needs_coinbase
def test_apply_batch_tops_equal_the_per_message_path(coinbase: Capture) -> None:
    for product in coinbase_products(coinbase):
        messages = [(b, a) for p, b, a in coinbase.messages if p == product]
        one_by_one, batched = ArrayBook(capacity=4), ArrayBook(capacity=4)
        for book in (one_by_one, batched):
            book.load(*coinbase.snapshots[product])
            book.truncate(3)  # small and full, so the batch has to grow mid-call and resume
        before = (one_by_one.best_bid(), one_by_one.best_ask())
        expected_tops, expected_changed = [], []
        for bids, asks in messages:
            one_by_one.apply(bids, asks)
            top = (one_by_one.best_bid(), one_by_one.best_ask())
            expected_tops.append(_row(*top))
            expected_changed.append(top != before)
            before = top
        result = batched.apply_batch(*flat_messages(messages))
        np.testing.assert_array_equal(result.tops, np.array(expected_tops))
        assert result.changed.tolist() == expected_changed
        assert batched.top(10**9) == one_by_one.top(10**9)
        assert batched.updates == one_by_one.updates


def _row(bid: Level | None, ask: Level | None) -> list[float]:
    nan = (math.nan, math.nan)
    return [*(bid or nan), *(ask or nan)]


@needs_binance
def test_binance_sync_policy_runs_on_array_book_like_on_order_book() -> None:
    stream = load_binance()
    iid = InstrumentId("BINANCE", "NKNUSDT")
    syncs = [BinanceSpotSync(OrderBook()), BinanceSpotSync(ArrayBook())]
    for sync in syncs:
        sync.on_snapshot(BookSnapshot(iid, *stream.snapshot, stream.last_update_id, 0, 0))
    for frame in stream.frames:
        data = orjson.loads(frame)["data"]
        bids, asks = parse_tuples(frame)
        delta = BookDelta(iid, bids, asks, data["U"], data["u"], data["E"], data["E"])
        results = [sync.on_delta(delta) for sync in syncs]
        assert results[0] == results[1]
        assert results[1].stale_reason is None and results[1].applied == 1
    assert syncs[0].book.top(50) == syncs[1].book.top(50)


@needs_kraken
def test_kraken_checksums_all_verify_on_array_book() -> None:
    """The golden test: Kraken's CRC32 over the top 10 after every update, with the book cut
    to the subscribed depth of 1000 after each one (PROVENANCE: all 4269 match)."""
    syncs: dict[InstrumentId, KrakenChecksumSync] = {}
    events, _report = open_recording(KRAKEN)
    for _ts, event in events:
        if isinstance(event, BookSnapshot):
            sync = syncs.setdefault(event.instrument_id,
                                    KrakenChecksumSync(ArrayBook()))
            sync.on_snapshot(event)
        elif isinstance(event, BookDelta):
            syncs[event.instrument_id].on_delta(event)
    assert sum(s.checksums_verified for s in syncs.values()) == 4269
    assert all(s.synced for s in syncs.values())
    assert all(len(s.book.bids) <= 1000 and len(s.book.asks) <= 1000 for s in syncs.values())


def test_delete_of_a_missing_level_is_a_no_op() -> None:
    book = ArrayBook()
    book.load([(10.0, 1.0), (9.0, 2.0)], [(11.0, 1.0)])
    before = book.top(10)
    book.apply([(9.5, 0.0), (8.0, 0.0)], [(12.0, 0.0), (10.5, 0.0)])
    book.apply_arrays(np.array([True, False]), np.array([7.0, 13.0]), np.zeros(2))
    book.apply_batch([True], [9.25], [0.0], [0, 1])
    assert book.top(10) == before
    assert (len(book.bids), len(book.asks)) == (2, 1)
    ArrayBook().apply([(1.0, 0.0)], [(2.0, 0.0)])  # on an empty book too


def test_capacity_grows_and_never_drops_levels() -> None:
    book = ArrayBook(capacity=1)
    for i in range(300):
        book.apply([(1000.0 - i, 1.0 + i)], [(2000.0 + i, 1.0)])
    assert (len(book.bids), len(book.asks)) == (300, 300)
    assert book.capacity == 512  # doubled from 1
    assert book.top(1) == ([(1000.0, 1.0)], [(2000.0, 1.0)])
    assert book.bids.top(300)[-1] == (701.0, 300.0)

    by_arrays = ArrayBook(capacity=2)
    prices = np.arange(1000, dtype=np.float64)
    by_arrays.apply_arrays(np.ones(1000, dtype=np.int8), prices, np.ones(1000))
    assert len(by_arrays.bids) == 1000 and by_arrays.best_bid() == (999.0, 1.0)

    by_batch = ArrayBook(capacity=2)
    offsets = np.arange(0, 1001, 10)
    result = by_batch.apply_batch(np.zeros(1000, dtype=np.bool_), prices, np.ones(1000),
                                  offsets)
    assert len(by_batch.asks) == 1000 and by_batch.best_ask() == (0.0, 1.0)
    assert result.changed.tolist() == [True] + [False] * 99

    loaded = ArrayBook(capacity=1)
    loaded.load([(float(p), 1.0) for p in range(700)], [])
    assert len(loaded.bids) == 700 and loaded.best_bid() == (699.0, 1.0)


def test_truncate_keeps_the_best_levels() -> None:
    book = ArrayBook()
    book.load([(float(p), p + 0.5) for p in range(1, 21)],
              [(float(p), p + 0.5) for p in range(21, 31)])
    assert book.truncate(15) == ([1.0, 2.0, 3.0, 4.0, 5.0], [])
    assert book.top(100) == ([(float(p), p + 0.5) for p in range(20, 5, -1)],
                             [(float(p), p + 0.5) for p in range(21, 31)])
    assert book.truncate(15) == ([], [])
    book.apply([(20.5, 1.0)], [])  # still a working book
    assert book.best_bid() == (20.5, 1.0) and len(book.bids) == 16
    assert book.truncate(2) == ([float(p) for p in range(6, 20)],
                                [float(p) for p in range(30, 22, -1)])
    assert book.top(100) == ([(20.5, 1.0), (20.0, 20.5)], [(21.0, 21.5), (22.0, 22.5)])
    assert (book.best_bid(), book.best_ask()) == ((20.5, 1.0), (21.0, 21.5))
    assert book.truncate(0) == ([20.0, 20.5], [22.0, 21.0])
    assert book.top(100) == ([], []) and book.best_bid() is None
    book.apply([(1.0, 1.0)], [])
    assert book.truncate(-3) == ([1.0], [])
    assert len(book.bids) == 0


def test_truncate_drops_the_same_prices_as_order_book() -> None:
    rng = np.random.default_rng(7)
    ours, theirs = ArrayBook(), OrderBook()
    for _ in range(300):
        bids, asks = random_levels(rng, 8), random_levels(rng, 8)
        depth = int(rng.integers(-1, 25))
        for book in (ours, theirs):
            book.apply(bids, asks)
        assert ours.truncate(depth) == theirs.truncate(depth)
        assert ours.top(100) == theirs.top(100)


def test_apply_reports_the_nearest_level_changed_and_best_prices_follow() -> None:
    book = ArrayBook(capacity=2)  # small: growth mid-apply must not lose the distance
    book.load([(float(p), 1.0) for p in range(1, 21)], [(float(p), 1.0) for p in range(21, 41)])
    assert book.apply([(5.0, 2.0)], []) == 15  # a size change deep in the bids
    assert book.apply([], [(21.5, 1.0)]) == 1  # an insert just behind the best ask
    assert book.apply([(4.5, 0.0)], []) == UNTOUCHED  # deleting a missing level
    assert book.apply([(3.0, 0.0)], [(40.5, 1.0)]) == 17  # the nearer of both sides
    assert book.apply([], []) == UNTOUCHED
    assert book.apply([(20.0, 0.0)], []) == 0
    rng = np.random.default_rng(11)
    ours, theirs = ArrayBook(), OrderBook()
    for _ in range(200):
        bids, asks = random_levels(rng, 6), random_levels(rng, 6)
        ours.apply(bids, asks)
        theirs.apply(bids, asks)
        depth = int(rng.integers(-1, 15))
        for is_bid, side in ((True, 0), (False, 1)):
            assert ours.best_prices(is_bid, depth) == theirs.best_prices(is_bid, depth)
            assert ours.best_prices(is_bid, depth) == [p for p, _ in ours.top(depth)[side]]


def test_empty_book_and_nan_edge_cases() -> None:
    book = ArrayBook()
    assert book.best_bid() is None and book.best_ask() is None
    assert book.top(5) == ([], []) and book.top(0) == ([], []) and book.top(-1) == ([], [])
    assert not book.is_crossed_or_locked()
    assert math.isnan(book.microprice())
    assert math.isnan(book.imbalance(5))
    assert book.depth_at(1.0, True) == 0.0
    assert book.cumulative_depth(5, True).shape == (0,)
    assert np.isnan(book.top_row()).all()
    result = book.apply_batch(np.array([], dtype=np.bool_), [], [], [0, 0])
    assert result.tops.shape == (1, 4) and np.isnan(result.tops).all()
    assert result.changed.tolist() == [False]
    assert book.apply_batch([], [], [], [0]).tops.shape == (0, 4)

    book.apply([(10.0, 2.0), (9.0, 1.0)], [])  # one side only
    assert math.isnan(book.microprice())
    assert book.imbalance(5) == 1.0
    assert math.isnan(book.imbalance(0)) and math.isnan(book.imbalance(-2))
    assert book.top_row()[:2].tolist() == [10.0, 2.0] and np.isnan(book.top_row()[2:]).all()
    assert book.cumulative_depth(5, True).tolist() == [2.0, 3.0]  # fewer levels than asked
    assert book.cumulative_depth(0, True).shape == (0,)
    assert book.cumulative_depth(5, False).shape == (0,)

    book.apply([], [(11.0, 3.0), (12.0, 4.0)])
    assert book.microprice() == pytest.approx((10.0 * 3.0 + 11.0 * 2.0) / 5.0)
    assert book.imbalance(1) == pytest.approx((2.0 - 3.0) / 5.0)
    assert book.imbalance(10) == pytest.approx((3.0 - 7.0) / 10.0)
    assert book.depth_at(12.0, False) == 4.0 and book.depth_at(12.0, True) == 0.0
    assert book.depth_at(math.nan, False) == 0.0

    book.apply([(math.nan, 5.0)], [(math.nan, 0.0)])  # NaN prices are ignored
    book.apply([(9.0, math.nan)], [(12.0, -1.0)])  # NaN and negative sizes delete
    assert book.top(10) == ([(10.0, 2.0)], [(11.0, 3.0)])
    book.load([(math.nan, 1.0), (5.0, 1.0), (6.0, 0.0)], [(7.0, math.nan)])
    assert book.top(10) == ([(5.0, 1.0)], [])


def test_crossed_and_locked_books_are_reported() -> None:
    book = ArrayBook()
    book.load([(10.0, 1.0)], [(11.0, 1.0)])
    assert not book.is_crossed_or_locked()
    book.apply([(11.0, 1.0)], [])
    assert book.is_crossed_or_locked()
    book.apply([(11.0, 0.0), (11.5, 1.0)], [])
    assert book.is_crossed_or_locked()


def test_load_dedupes_like_sequential_sets_and_accepts_any_iterable() -> None:
    book = ArrayBook()
    book.load(iter([(1.0, 1.0), (2.0, 1.0), (1.0, 3.0), (2.0, 0.0)]),
              ((float(p), 1.0) for p in (5, 4, 6)))
    assert book.top(10) == ([(1.0, 3.0)], [(4.0, 1.0), (5.0, 1.0), (6.0, 1.0)])
    with pytest.raises(ValueError, match="pairs"):
        book.load([(1.0, 2.0, 3.0)], [])  # type: ignore[list-item]


def test_bad_batch_arguments_raise_before_anything_is_applied() -> None:
    book = ArrayBook()
    book.load([(1.0, 1.0)], [(2.0, 1.0)])
    with pytest.raises(ValueError, match="offsets"):
        book.apply_batch([True, True], [1.5, 1.6], [1.0, 1.0], [0, 2, 1])
    with pytest.raises(ValueError, match="offsets"):
        book.apply_batch([True], [1.5], [1.0], [0, 2])
    with pytest.raises(ValueError, match="offsets"):
        book.apply_batch([True], [1.5], [1.0], [])
    with pytest.raises(ValueError, match="length"):
        book.apply_batch([True], [1.5, 1.6], [1.0], [0, 1])
    with pytest.raises(ValueError, match="length"):
        book.apply_arrays([True, False], [1.5], [1.0])
    assert book.top(10) == ([(1.0, 1.0)], [(2.0, 1.0)])


def test_side_views_and_counters_match_order_book() -> None:
    ours, theirs = ArrayBook(), OrderBook()
    for book in (ours, theirs):
        book.load([(3.0, 1.0), (2.0, 2.0)], [(4.0, 1.0)])
        book.apply([(2.5, 1.0)], [(4.0, 0.0), (5.0, 2.0)])
        book.sequence, book.ts_event = 7, 123
    assert ours.top(10) == theirs.top(10)
    assert (len(ours.bids), len(ours.asks)) == (len(theirs.bids), len(theirs.asks))
    assert (ours.updates, ours.sequence, ours.ts_event) == (theirs.updates, 7, 123)
    assert ours.bids.best() == (3.0, 1.0) and ours.asks.best() == (5.0, 2.0)
    assert isinstance(ours.best_bid()[0], float)  # type: ignore[index]
