"""Venue sequencing rules: when a snapshot or diff may be applied, and when the book is stale.

Each policy keeps a book in step with the venue from snapshot + diffs. A gap, or a crossed or
locked book after an update, makes the book stale with a reason; a stale book is not used for
quotes, fills or signals until the next snapshot replaces it.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Iterable, Sized
from dataclasses import dataclass
from typing import Protocol

from terminal.kernels.book_runs import BINANCE_SPOT, GENERIC
from terminal.model.market import BookDelta, BookSnapshot, Level

MAX_BUFFERED_DIFFS = 10_000
CHECKSUM_LEVELS = 10  # Kraken's CRC32 covers the best 10 levels per side


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

    The checksum is computed over the venue's own text, so each level's price and volume
    strings are kept beside the book: for the 10 best asks (ascending) then the 10 best bids
    (descending), price and volume with the '.' removed and leading zeros stripped.
    """

    name = "kraken_crc32"
    run_policy = None

    def __init__(self, book: Book) -> None:
        super().__init__(book)
        self._depth = 0
        # per level: the venue's [price, volume] strings, replaced by that level's part of
        # the checksum text the first time a checksum needs it (most levels never do)
        self._text: dict[str, dict[float, str | list[str]]] = {"a": {}, "b": {}}
        # the checksum text of each side's best levels as they stand, None once an update may
        # have changed them, and the checksum over both
        self._part: dict[str, bytes | None] = {"a": None, "b": None}
        self._crc: int | None = None
        self.checksums_verified = 0

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
        raw = snap.raw or {}
        self._text = {
            side: {level[0]: strings for level, strings in zip(levels, raw.get(side, ()),
                                                                 strict=True)}
            for side, levels in (("a", snap.asks), ("b", snap.bids))}
        self._part = {"a": None, "b": None}
        self._crc = None
        return super().on_snapshot(snap)

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
        reached_top = nearest is None or nearest < CHECKSUM_LEVELS
        if reached_top:
            self._crc = None
        raw = delta.raw or {}
        part = self._part
        asks, bids = delta.asks, delta.bids
        if asks:
            if reached_top:
                part["a"] = None
            text = self._text["a"]
            for level, strings in zip(asks, raw.get("a", ()), strict=True):
                if level[1] > 0.0:
                    text[level[0]] = strings
                else:
                    text.pop(level[0], None)
        if bids:
            if reached_top:
                part["b"] = None
            text = self._text["b"]
            for level, strings in zip(bids, raw.get("b", ()), strict=True):
                if level[1] > 0.0:
                    text[level[0]] = strings
                else:
                    text.pop(level[0], None)
        depth = self._depth
        if depth:
            dropped_bids, dropped_asks = book.truncate(depth)
            if dropped_bids or dropped_asks:
                if depth < CHECKSUM_LEVELS:
                    self._crc = None
                    part = self._part = {"a": None, "b": None}
                for price in dropped_bids:
                    self._text["b"].pop(price, None)
                for price in dropped_asks:
                    self._text["a"].pop(price, None)
        checksum = delta.checksum
        if checksum is None:
            return None
        computed = self._crc
        if computed is None:
            ask_text = part["a"]
            if ask_text is None:
                ask_text = part["a"] = self._side_text("a")
            bid_text = part["b"]
            if bid_text is None:
                bid_text = part["b"] = self._side_text("b")
            computed = self._crc = zlib.crc32(bid_text, zlib.crc32(ask_text))
        if computed != checksum:
            return f"checksum mismatch: venue {checksum}, book {computed}"
        self.checksums_verified += 1
        return None

    def checksum(self) -> int:
        """The checksum of the book as it stands, computed afresh."""
        return zlib.crc32(self._side_text("a") + self._side_text("b"))

    def _side_text(self, side: str) -> bytes:
        """The checksum text of one side's best levels: asks ascending, bids descending."""
        text = self._text[side]
        prices = self.book.best_prices(side == "b", CHECKSUM_LEVELS)
        parts = [text[price] for price in prices]
        try:
            return "".join(parts).encode("ascii")  # type: ignore[arg-type]
        except TypeError:  # some levels are still their [price, volume] strings
            pass
        for k, price in enumerate(prices):
            part = parts[k]
            if type(part) is not str:
                part = parts[k] = text[price] = _checksum_text(part[0], part[1])
        return "".join(parts).encode("ascii")  # type: ignore[arg-type]


def _checksum_text(price: str, volume: str) -> str:
    return price.replace(".", "").lstrip("0") + volume.replace(".", "").lstrip("0")


POLICIES: dict[str, type[BookSync]] = {
    "BINANCE": BinanceSpotSync,
    "KRAKEN": KrakenChecksumSync,
}


def policy_for(venue: str) -> type[BookSync]:
    return POLICIES.get(venue.upper(), BookSync)
