"""Kraken's checksum text kept as digit integers beside the book, and the compiled CRC32."""

from __future__ import annotations

import random
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terminal.kernels.array_book import ArrayBook
from terminal.kernels.book_runs import kraken_checksum
from terminal.model.ids import InstrumentId
from terminal.model.market import BookDelta, BookSnapshot
from terminal.services.book_sync import (
    KrakenChecksumSync,
    as_size_bits,
    digit_integer,
    size_bits,
)

IID = InstrumentId("KRAKEN", "XBT/USD")


def text_of(price: str, volume: str) -> str:
    return price.replace(".", "").lstrip("0") + volume.replace(".", "").lstrip("0")


def venue_checksum(asks: list[tuple[str, str]], bids: list[tuple[str, str]]) -> int:
    """Kraken's rule, written from its documentation: best 10 asks ascending, then best 10
    bids descending, each price and volume without the point and leading zeros."""
    best_asks = sorted(asks, key=lambda level: float(level[0]))[:10]
    best_bids = sorted(bids, key=lambda level: -float(level[0]))[:10]
    return zlib.crc32("".join(text_of(p, v) for p, v in best_asks + best_bids).encode())


def snapshot(asks: list[tuple[str, str]], bids: list[tuple[str, str]],
             depth: int = 25) -> BookSnapshot:
    texts = {"a": [list(level) for level in asks], "b": [list(level) for level in bids]}
    return BookSnapshot(IID, [(float(p), float(v)) for p, v in bids],
                        [(float(p), float(v)) for p, v in asks], 0, 1, 1, texts, depth)


@pytest.mark.parametrize("value", [0, 1, 43130, 2**53 + 1, 10**18 - 1])
def test_digit_integers_survive_as_text_book_sizes(value: int) -> None:
    size = as_size_bits(value)
    assert size > 0.0 and size == size and size < float("inf")  # kept as a level, not NaN
    assert size_bits(size) == value


@pytest.mark.parametrize("text, digits", [("0.043130", 43130), ("54264.61211976", 5426461211976),
                                          ("123", 123), ("99999997.00000000", 9999999700000000)])
def test_digit_integer_of_plain_decimals(text: str, digits: int) -> None:
    assert digit_integer(text) == digits == int(text_of(text, "") or "0")


@pytest.mark.parametrize("text", ["1e5", ".5", "5.", "-1", "1_0", "１", "1234567890123456789"])
def test_no_digit_integer_for_other_texts(text: str) -> None:
    assert digit_integer(text) is None


prices = st.integers(1, 10**9).map(lambda n: f"{n / 10**4:.4f}")
volumes = st.integers(1, 10**12).map(lambda n: f"{n / 10**8:.8f}")
sides = st.lists(st.tuples(prices, volumes), min_size=0, max_size=30,
                 unique_by=lambda level: float(level[0]))


@settings(max_examples=300, deadline=None)
@given(sides, sides)
def test_the_compiled_checksum_is_the_venue_rule(asks: list[tuple[str, str]],
                                                 bids: list[tuple[str, str]]) -> None:
    sync = KrakenChecksumSync(ArrayBook())
    sync.on_snapshot(snapshot(asks, bids, depth=0))
    prices_, volumes_ = sync.text_prices, sync.text_volumes
    assert kraken_checksum(prices_.data, prices_.head, volumes_.data, volumes_.head) == \
        sync.checksum() == venue_checksum(asks, bids)


def test_updates_deletes_and_the_depth_cut_keep_text_and_book_together() -> None:
    rng = random.Random(7)
    asks = {f"{100 + k / 100:.2f}": f"{rng.randint(1, 10**8) / 10**8:.8f}" for k in range(40)}
    bids = {f"{99 - k / 100:.2f}": f"{rng.randint(1, 10**8) / 10**8:.8f}" for k in range(40)}
    book = ArrayBook(4)  # it grows on the way
    sync = KrakenChecksumSync(book)
    sync.on_snapshot(snapshot(list(asks.items()), list(bids.items())))
    for step in range(400):
        side, levels = (("a", asks) if step % 2 else ("b", bids))
        base = 100 if side == "a" else 99
        price = f"{base + rng.randint(-30, 30) / 100 * (1 if side == 'a' else -1):.2f}"
        volume = "0.00000000" if rng.random() < 0.3 else f"{rng.randint(1, 10**9) / 10**8:.8f}"
        if float(volume) == 0.0:
            levels.pop(price, None)
        else:
            levels[price] = volume
        # the venue keeps only the best 25 per side (depth) and sends no delete beyond it
        kept = sorted(levels, key=float, reverse=side == "b")[:25]
        for gone in set(levels) - set(kept):
            del levels[gone]
        level = (float(price), float(volume))
        raw = {side: [[price, volume]]}
        delta = BookDelta(IID, [level] if side == "b" else [], [level] if side == "a" else [],
                          0, 0, 2 + step, 2 + step, venue_checksum(list(asks.items()),
                                                                   list(bids.items())), raw)
        result = sync.on_delta(delta)
        assert result.stale_reason is None, step
    assert sync.checksums_verified == 400
    for text_book in (sync.text_prices, sync.text_volumes):
        assert text_book.bids.prices().tolist() == book.bids.prices().tolist()
        assert text_book.asks.prices().tolist() == book.asks.prices().tolist()


def test_a_level_whose_text_is_not_plain_keeps_the_book_off_the_compiled_path() -> None:
    sync = KrakenChecksumSync(ArrayBook())
    asks = [("100.5", "1e-3"), ("101.0", "2.00000000")]  # float() takes "1e-3": the venue did not
    bids = [("99.0", "1.00000000")]
    sync.on_snapshot(snapshot(asks, bids))
    assert not sync.run_ready()
    assert sync.checksum() == zlib.crc32("".join(text_of(p, v) for p, v in asks + bids).encode())
    delta = BookDelta(IID, [], [(100.5, 0.0)], 0, 0, 2, 2, None, {"a": [["100.5", "0.0"]]})
    sync.on_delta(delta)
    assert sync.run_ready()  # the odd level is gone
