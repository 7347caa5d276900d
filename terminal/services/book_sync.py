"""Venue sequencing rules: when a snapshot or diff may be applied, and when the book is stale.

Each policy keeps a book in step with the venue from snapshot + diffs. A gap, or a crossed or
locked book after an update, makes the book stale with a reason; a stale book is not used for
quotes, fills or signals until the next snapshot replaces it.
"""

from __future__ import annotations

import struct
import zlib
from collections import deque
from collections.abc import Iterable, Sequence, Sized
from dataclasses import dataclass
from typing import Protocol

from terminal.kernels.array_book import ArrayBook
from terminal.kernels.book import ASK, BID
from terminal.kernels.book_runs import BINANCE_SPOT, GENERIC, KRAKEN, kraken_checksum
from terminal.model.market import BookDelta, BookSnapshot, Level
from terminal.model.market_run import DIGIT_BITS

MAX_BUFFERED_DIFFS = 10_000
CHECKSUM_LEVELS = 10  # Kraken's CRC32 covers the best 10 levels per side
MAX_DIGITS = 10**18  # digit integers up to 18 digits are kept in Kraken's text books


class Book(Protocol):
    """What a sync policy needs of a book (ArrayBook, or the pure-Python OrderBook)."""

    sequence: int
    ts_event: int

    @property
    def bids(self) -> Sized: ...
    @property
    def asks(self) -> Sized: ...
    def load(self, bids: Iterable[Level], asks: Iterable[Level]) -> None: ...
    def apply(self, bids: Iterable[Level], asks: Iterable[Level]) -> int | None:
        """None, or the smallest distance from the top of a level it changed."""
        ...
    def best_prices(self, is_bid: bool, depth: int) -> list[float]: ...
    def best_bid(self) -> Level | None: ...
    def best_ask(self) -> Level | None: ...
    def top(self, depth: int) -> tuple[list[Level], list[Level]]: ...
    def truncate(self, depth: int) -> tuple[list[float], list[float]]: ...


@dataclass(slots=True)
class SyncResult:
    applied: int = 0
    dropped: int = 0
    stale_reason: str | None = None
    best_bid: Level | None = None  # top of book after the update, while the book is usable
    best_ask: Level | None = None


class BookSync:
    """Generic rule: a snapshot replaces the book; a diff with a sequence must follow the
    previous one (first_sequence == previous + 1); diffs without sequence apply in order.
    Diffs before the first snapshot are buffered and applied after it when newer."""

    name = "sequence"
    run_policy: int | None = GENERIC  # the rule the run kernel keeps for it (None: none)

    def __init__(self, book: Book) -> None:
        self.book = book
        self.synced = False
        self.stale_reason: str | None = "no snapshot yet"
        self.buffer: deque[BookDelta] = deque(maxlen=MAX_BUFFERED_DIFFS)

    def on_snapshot(self, snap: BookSnapshot) -> SyncResult:
        columns = snap.columns
        if columns is not None:
            self.book.load(columns["b"][:, :2], columns["a"][:, :2])
        else:
            self.book.load(snap.bids, snap.asks)
        self.book.sequence = snap.sequence
        self.book.ts_event = snap.ts_event
        self.synced = True
        self.stale_reason = None
        result = SyncResult()
        pending = list(self.buffer)
        self.buffer.clear()
        for delta in pending:
            self._apply_checked(delta, result)
            if self.stale_reason:
                break
        self._check_crossed(result)
        return result

    def run_ready(self) -> bool:
        """The run kernel may apply the next update (it applies only `step`'s usual case)."""
        return self.synced

    def step(self, delta: BookDelta) -> tuple[Level | None, Level | None] | SyncResult:
        """`on_delta` for a usable book, cheaper in the usual case: the (best bid, best ask)
        after a diff that applied and left the book usable, else the SyncResult `on_delta`
        gives (dropped, gap, crossed). Same effect on the book and the sync state."""
        book = self.book
        sequence, first = delta.sequence, delta.first_sequence
        last = book.sequence
        if (sequence and sequence <= last) or (first and last and first != last + 1):
            return self.on_delta(delta)
        book.apply(delta.bids, delta.asks)
        if sequence:
            book.sequence = sequence
        book.ts_event = delta.ts_event
        bid, ask = book.best_bid(), book.best_ask()
        if bid is not None and ask is not None and bid[0] >= ask[0]:
            result = SyncResult(applied=1)
            self._check_crossed(result)
            return result
        return bid, ask

    def on_delta(self, delta: BookDelta) -> SyncResult:
        result = SyncResult()
        if not self.synced:
            self.buffer.append(delta)
            return result
        self._apply_checked(delta, result)
        if self.synced:  # _check_crossed, written out: this runs for every diff
            book = self.book
            bid, ask = book.best_bid(), book.best_ask()
            if bid is not None and ask is not None and bid[0] >= ask[0]:
                self._check_crossed(result)
            else:
                result.best_bid, result.best_ask = bid, ask
        return result

    def _apply_checked(self, delta: BookDelta, result: SyncResult) -> None:
        if delta.sequence and delta.sequence <= self.book.sequence:
            result.dropped += 1
            return
        if delta.first_sequence and self.book.sequence and \
                delta.first_sequence != self.book.sequence + 1:
            self._go_stale(result, f"gap: expected {self.book.sequence + 1}, "
                                   f"got {delta.first_sequence}")
            return
        self._apply(delta, result)

    def _apply(self, delta: BookDelta, result: SyncResult) -> None:
        self.book.apply(delta.bids, delta.asks)
        if delta.sequence:
            self.book.sequence = delta.sequence
        self.book.ts_event = delta.ts_event
        result.applied += 1

    def _check_crossed(self, result: SyncResult) -> None:
        if not self.synced:
            return
        bid, ask = self.book.best_bid(), self.book.best_ask()
        if bid is not None and ask is not None and bid[0] >= ask[0]:
            state = "locked" if bid[0] == ask[0] else "crossed"
            self._go_stale(result, f"{state}: bid {bid[0]} >= ask {ask[0]}")
            return
        result.best_bid, result.best_ask = bid, ask

    def _go_stale(self, result: SyncResult, reason: str) -> None:
        self.synced = False
        self.stale_reason = reason
        result.stale_reason = reason
        self.buffer.clear()


class BinanceSpotSync(BookSync):
    """Binance spot: drop diffs with u <= lastUpdateId; the first applied diff must straddle
    lastUpdateId + 1 (U <= lastUpdateId + 1 <= u); after that U == previous u + 1."""

    name = "binance_spot"
    run_policy = BINANCE_SPOT

    def __init__(self, book: Book) -> None:
        super().__init__(book)
        self._first_after_snapshot = False

    def run_ready(self) -> bool:
        return self.synced and not self._first_after_snapshot

    def on_snapshot(self, snap: BookSnapshot) -> SyncResult:
        self._first_after_snapshot = True
        return super().on_snapshot(snap)

    def step(self, delta: BookDelta) -> tuple[Level | None, Level | None] | SyncResult:
        book = self.book
        last = book.sequence
        if self._first_after_snapshot or delta.first_sequence != last + 1 or \
                delta.sequence <= last:
            return self.on_delta(delta)
        book.apply(delta.bids, delta.asks)
        book.sequence = delta.sequence  # > last >= 0
        book.ts_event = delta.ts_event
        bid, ask = book.best_bid(), book.best_ask()
        if bid is not None and ask is not None and bid[0] >= ask[0]:
            result = SyncResult(applied=1)
            self._check_crossed(result)
            return result
        return bid, ask

    def _apply_checked(self, delta: BookDelta, result: SyncResult) -> None:
        last = self.book.sequence
        if delta.sequence <= last:
            result.dropped += 1
            return
        if self._first_after_snapshot:
            if not delta.first_sequence <= last + 1 <= delta.sequence:
                self._go_stale(result, f"gap: first diff after snapshot {last} covers "
                                       f"{delta.first_sequence}..{delta.sequence}")
                return
            self._first_after_snapshot = False
        elif delta.first_sequence != last + 1:
            self._go_stale(result, f"gap: expected {last + 1}, got {delta.first_sequence}")
            return
        self._apply(delta, result)


class KrakenChecksumSync(BookSync):
    """Kraken v1: a snapshot, then updates whose levels replace or (volume 0) delete; after
    each update the book is cut to the subscribed depth (Kraken sends no deletes for levels
    that fall out of range) and the CRC32 in `c` is checked over the top 10 levels.

    The checksum is computed over the venue's own text: for the 10 best asks (ascending)
    then the 10 best bids (descending), price and volume with the '.' removed and leading
    zeros stripped, which for a plain decimal is the integer of all its digits. Those
    integers are kept in two text books beside the book (the same prices; instead of sizes,
    the digit integers of the price and of the volume, as size bits: see
    terminal.kernels.book_runs), changed and cut with it, so the run kernel and this class
    keep and check the same state. A level whose text is not a plain decimal of at most 18
    digits keeps its text here instead (the text books hold ODD for it) and the book is then
    kept by this class alone.
    """

    name = "kraken_crc32"
    run_policy = KRAKEN

    def __init__(self, book: Book) -> None:
        super().__init__(book)
        self._depth = 0
        self.text_prices = ArrayBook()
        self.text_volumes = ArrayBook()
        self._odd: dict[int, dict[float, str]] = {BID: {}, ASK: {}}  # side -> price -> text
        self._crc: int | None = None
        self.checksums_verified = 0

    @property
    def depth(self) -> int:
        return self._depth

    def run_ready(self) -> bool:
        return self.synced and not (self._odd[BID] or self._odd[ASK])

    def forget_checksum(self) -> None:
        """The cached checksum may be out of date (the run kernel changed the book)."""
        self._crc = None

    def step(self, delta: BookDelta) -> tuple[Level | None, Level | None] | SyncResult:
        if delta.sequence or delta.first_sequence:  # Kraken v1 sends none: the generic rules
            result = self.on_delta(delta)
            if result.stale_reason or not result.applied:
                return result
            return result.best_bid, result.best_ask
        reason = self._update(delta)
        if reason is not None:
            result = SyncResult(applied=1)
            self._go_stale(result, reason)
            return result
        book = self.book
        bid, ask = book.best_bid(), book.best_ask()
        if bid is not None and ask is not None and bid[0] >= ask[0]:
            result = SyncResult(applied=1)
            self._check_crossed(result)
            return result
        return bid, ask

    def on_snapshot(self, snap: BookSnapshot) -> SyncResult:
        self._depth = snap.depth
        self._odd = {BID: {}, ASK: {}}
        columns = snap.columns
        if columns is not None:  # the digits already as text-book sizes
            bids, asks = columns["b"], columns["a"]
            self.text_prices.load(bids[:, [0, 2]], asks[:, [0, 2]])
            self.text_volumes.load(bids[:, [0, 3]], asks[:, [0, 3]])
        else:
            raw = snap.raw or {}
            texts = []
            for side, levels, key in ((BID, snap.bids, "b"), (ASK, snap.asks, "a")):
                strings = raw.get(key, ())
                if len(strings) != len(levels):
                    raise ValueError(f"snapshot {key!r} levels and their text differ in number")
                texts.append(self._digit_levels(side, levels, strings))
            (bid_p, bid_v), (ask_p, ask_v) = texts
            self.text_prices.load(bid_p, ask_p)
            self.text_volumes.load(bid_v, ask_v)
        self._crc = None
        return super().on_snapshot(snap)

    def _digit_levels(self, side: int, levels: Sequence[Level], strings: Sequence[list[str]]
                      ) -> tuple[list[Level], list[Level]]:
        """(price, price digits) and (price, volume digits) rows of one side."""
        by_price: list[Level] = []
        by_volume: list[Level] = []
        for level, (price_text, volume_text) in zip(levels, strings, strict=True):
            if level[1] > 0.0:  # a size <= 0 leaves no level in the book: none here either
                p, v = self._digits(side, level[0], price_text, volume_text)
            else:
                p = v = 0.0
            by_price.append((level[0], p))
            by_volume.append((level[0], v))
        return by_price, by_volume

    def _digits(self, side: int, price: float, price_text: str,
                volume_text: str) -> tuple[float, float]:
        """The digit integers of a level's two texts, or ODD (keeping the text)."""
        p, v = digit_integer(price_text), digit_integer(volume_text)
        if p is None or v is None or not (p and v):
            self._odd[side][price] = _checksum_text(price_text, volume_text)
            return ODD, ODD
        return as_size_bits(p), as_size_bits(v)

    def _apply(self, delta: BookDelta, result: SyncResult) -> None:
        result.applied += 1
        reason = self._update(delta)
        if reason is not None:
            self._go_stale(result, reason)

    def _update(self, delta: BookDelta) -> str | None:
        """Apply one update, cut the book to depth and check the checksum: None, or why the
        book is now stale."""
        book = self.book
        nearest = book.apply(delta.bids, delta.asks)
        if delta.sequence:
            book.sequence = delta.sequence
        book.ts_event = delta.ts_event
        if nearest is None or nearest < CHECKSUM_LEVELS:
            self._crc = None
        raw = delta.raw or {}
        texts = []
        for side, levels, key in ((BID, delta.bids, "b"), (ASK, delta.asks, "a")):
            by_price: list[Level] = []
            by_volume: list[Level] = []
            odd = self._odd[side]
            for level, strings in zip(levels, raw.get(key, ()), strict=True):
                price = level[0]
                if odd:
                    odd.pop(price, None)
                if level[1] > 0.0:
                    p, v = self._digits(side, price, strings[0], strings[1])
                else:
                    p = v = 0.0
                by_price.append((price, p))
                by_volume.append((price, v))
            texts.append((by_price, by_volume))
        (bid_p, bid_v), (ask_p, ask_v) = texts
        self.text_prices.apply(bid_p, ask_p)
        self.text_volumes.apply(bid_v, ask_v)
        depth = self._depth
        if depth:
            dropped_bids, dropped_asks = book.truncate(depth)
            if dropped_bids or dropped_asks:
                self.text_prices.truncate(depth)
                self.text_volumes.truncate(depth)
                if depth < CHECKSUM_LEVELS:
                    self._crc = None
                for side, dropped in ((BID, dropped_bids), (ASK, dropped_asks)):
                    if self._odd[side]:
                        for price in dropped:
                            self._odd[side].pop(price, None)
        checksum = delta.checksum
        if checksum is None:
            return None
        computed = self._crc
        if computed is None:
            computed = self._crc = self.checksum()
        if computed != checksum:
            return f"checksum mismatch: venue {checksum}, book {computed}"
        self.checksums_verified += 1
        return None

    def checksum(self) -> int:
        """The checksum of the book as it stands, computed afresh."""
        prices, volumes = self.text_prices, self.text_volumes
        if not (self._odd[BID] or self._odd[ASK]):
            return int(kraken_checksum(prices.data, prices.head, volumes.data, volumes.head))
        parts = []
        for side, is_bid in ((ASK, False), (BID, True)):
            best = prices.best_prices(is_bid, CHECKSUM_LEVELS)
            side_p = (prices.bids if is_bid else prices.asks).sizes()
            side_v = (volumes.bids if is_bid else volumes.asks).sizes()
            for k, price in enumerate(best):
                text = self._odd[side].get(price)
                parts.append(text if text is not None else
                             f"{size_bits(side_p[k])}{size_bits(side_v[k])}")
        return zlib.crc32("".join(parts).encode("ascii"))


def digit_integer(text: str) -> int | None:
    """The integer of a plain decimal's digits ("0.04310" -> 4310), when below 10**18."""
    whole, point, fraction = text.partition(".")
    digits = whole + fraction
    if not (digits.isascii() and digits.isdigit() and whole and (fraction or not point)):
        return None
    value = int(digits)
    return value if value < MAX_DIGITS else None


def as_size_bits(value: int) -> float:
    """A digit integer 0 <= value < 10**18 as a text-book size (book_runs.DIGIT_BITS)."""
    as_float: float = _BITS.unpack(_INT.pack(DIGIT_BITS + value))[0]
    return as_float


def size_bits(size: float) -> int:
    """The digit integer a text-book size holds."""
    value: int = _INT.unpack(_BITS.pack(size))[0] - DIGIT_BITS
    return value


_INT, _BITS = struct.Struct("<q"), struct.Struct("<d")
ODD = as_size_bits(MAX_DIGITS)  # the text books' digits of a level kept as text


def _checksum_text(price: str, volume: str) -> str:
    return price.replace(".", "").lstrip("0") + volume.replace(".", "").lstrip("0")


POLICIES: dict[str, type[BookSync]] = {
    "BINANCE": BinanceSpotSync,
    "KRAKEN": KrakenChecksumSync,
}


def policy_for(venue: str) -> type[BookSync]:
    return POLICIES.get(venue.upper(), BookSync)
