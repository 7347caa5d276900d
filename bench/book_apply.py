"""L2 book updates: ArrayBook (numba arrays) against a SortedDict book and the current OrderBook.

1. Per message: the real Coinbase level2 capture (10 products, 9,719 l2updates of one level
   each), parsed once up front; each variant applies every message in capture order and reads
   the best bid and ask after each one, as the engine does.
2. Batched: all l2updates of the busiest product in one `apply_batch` call (per-message tops
   and change flags come back) against the SortedDict book applying them one by one.
3. Binance: parse (orjson included) + apply of real depthUpdate frames onto the REST snapshot.

Also reported: the kernels' compile time on a cold numba cache and their load time from a
warm one, each in a fresh interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import orjson
from sortedcontainers import SortedDict

from bench.common import REPO_ROOT, SHARED_DATA, report
from terminal.kernels.array_book import ArrayBook
from terminal.model.market import Level
from terminal.services.order_book import OrderBook

COINBASE = SHARED_DATA / "ws" / "cryptofeed__COINBASE.ws.28.0"
BINANCE_WS = SHARED_DATA / "ws" / "cryptofeed__BINANCE.ws.1.0"
BINANCE_REST = SHARED_DATA / "ws" / "cryptofeed__BINANCE.http.0.0"
BINANCE_SYMBOL = "NKNUSDT"


class Book(Protocol):
    def load(self, bids: Iterable[Level], asks: Iterable[Level]) -> None: ...
    def apply(self, bids: Iterable[Level], asks: Iterable[Level]) -> None: ...
    def best_bid(self) -> Level | None: ...
    def best_ask(self) -> Level | None: ...


class SortedDictBook:
    """The straightforward reference: a SortedDict per side, set or delete per level."""

    def __init__(self) -> None:
        self.bids: SortedDict[float, float] = SortedDict()
        self.asks: SortedDict[float, float] = SortedDict()

    def load(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        self.bids.clear()
        self.asks.clear()
        self.apply(bids, asks)

    def apply(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        for side, levels in ((self.bids, bids), (self.asks, asks)):
            for price, size in levels:
                if size > 0.0:
                    side[price] = size
                else:
                    side.pop(price, None)

    def best_bid(self) -> Level | None:
        return self.bids.peekitem(-1) if self.bids else None

    def best_ask(self) -> Level | None:
        return self.asks.peekitem(0) if self.asks else None

    def top(self, depth: int) -> tuple[list[Level], list[Level]]:
        bids = [self.bids.peekitem(-1 - i) for i in range(min(depth, len(self.bids)))]
        asks = [self.asks.peekitem(i) for i in range(min(depth, len(self.asks)))]
        return bids, asks


@dataclass
class Capture:
    """A level2 capture parsed to float levels: snapshots and, in capture order, messages."""

    snapshots: dict[str, tuple[list[Level], list[Level]]] = field(default_factory=dict)
    messages: list[tuple[str, list[Level], list[Level]]] = field(default_factory=list)


def _frames(path: Path) -> Iterable[dict[str, Any]]:
    with path.open("rb") as fh:
        fh.readline()  # the connection line
        for line in fh:
            ts, sep, body = line.partition(b": ")
            if sep and b" <- " not in ts:
                yield orjson.loads(body)


def load_coinbase(path: Path = COINBASE) -> Capture:
    cap = Capture()
    for frame in _frames(path):
        kind = frame.get("type")
        if kind == "snapshot":
            cap.snapshots[frame["product_id"]] = (
                [(float(p), float(s)) for p, s in frame["bids"]],
                [(float(p), float(s)) for p, s in frame["asks"]])
        elif kind == "l2update":
            bids: list[Level] = []
            asks: list[Level] = []
            for side, price, size in frame["changes"]:
                (bids if side == "buy" else asks).append((float(price), float(size)))
            cap.messages.append((frame["product_id"], bids, asks))
    return cap


def _loaded(factory: Callable[[], Book], cap: Capture) -> dict[str, Book]:
    books = {}
    for product, (bids, asks) in cap.snapshots.items():
        books[product] = book = factory()
        book.load(bids, asks)
    return books


def _replay(factory: Callable[[], Book], cap: Capture) -> float:
    books = _loaded(factory, cap)
    stream = [(books[product], bids, asks) for product, bids, asks in cap.messages]
    start = time.perf_counter()
    for book, bids, asks in stream:
        book.apply(bids, asks)
        book.best_bid()
        book.best_ask()
    return time.perf_counter() - start


def per_message(factories: dict[str, Callable[[], Book]], cap: Capture,
                repeats: int = 7) -> dict[str, float]:
    """Seconds for the fastest replay of every message, best bid and ask read after each;
    the variants take turns so a noisy neighbour slows them alike."""
    best = dict.fromkeys(factories, float("inf"))
    for _ in range(repeats):
        for name, factory in factories.items():
            best[name] = min(best[name], _replay(factory, cap))
    return best


def top_read_us(factory: Callable[[], Any], cap: Capture, product: str, depth: int = 10,
                calls: int = 200) -> float:
    """µs per `top(depth)` on the loaded book of `product` (a ladder reads it per frame)."""
    book = factory()
    book.load(*cap.snapshots[product])
    best = float("inf")
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(calls):
            book.top(depth)
        best = min(best, time.perf_counter() - start)
    return best / calls * 1e6


def flat_messages(messages: list[tuple[list[Level], list[Level]]]) -> tuple[np.ndarray, ...]:
    sides: list[bool] = []
    prices: list[float] = []
    sizes: list[float] = []
    offsets = [0]
    for bids, asks in messages:
        for is_bid, levels in ((True, bids), (False, asks)):
            for price, size in levels:
                sides.append(is_bid)
                prices.append(price)
                sizes.append(size)
        offsets.append(len(prices))
    return (np.array(sides, dtype=np.bool_), np.array(prices, dtype=np.float64),
            np.array(sizes, dtype=np.float64), np.array(offsets, dtype=np.int64))


def batched(cap: Capture, repeats: int = 7) -> tuple[str, int, float, float]:
    counts: dict[str, int] = {}
    for product, _, _ in cap.messages:
        counts[product] = counts.get(product, 0) + 1
    product = max(counts, key=lambda p: counts[p])
    messages = [(b, a) for p, b, a in cap.messages if p == product]
    arrays = flat_messages(messages)
    snap_bids, snap_asks = cap.snapshots[product]
    ours = ref = float("inf")
    for _ in range(repeats):
        book = ArrayBook()
        book.load(snap_bids, snap_asks)
        start = time.perf_counter()
        book.apply_batch(*arrays)
        ours = min(ours, time.perf_counter() - start)
        sorted_book = SortedDictBook()
        sorted_book.load(snap_bids, snap_asks)
        start = time.perf_counter()
        for bids, asks in messages:
            sorted_book.apply(bids, asks)
            sorted_book.best_bid()
            sorted_book.best_ask()
        ref = min(ref, time.perf_counter() - start)
    return product, len(messages), ours, ref


@dataclass
class BinanceStream:
    snapshot: tuple[list[Level], list[Level]]
    last_update_id: int
    frames: list[bytes]  # raw combined-stream frames, first applicable one first


def load_binance(symbol: str = BINANCE_SYMBOL) -> BinanceStream:
    last_update = 0
    snapshot: tuple[list[Level], list[Level]] = ([], [])
    for line in BINANCE_REST.read_bytes().splitlines():
        url, sep, rest = line.partition(b" -> ")
        if sep and f"symbol={symbol}&".encode() in url:
            body = orjson.loads(rest.partition(b": ")[2])
            last_update = body["lastUpdateId"]
            snapshot = ([(float(p), float(q)) for p, q in body["bids"]],
                        [(float(p), float(q)) for p, q in body["asks"]])
    frames = []
    with BINANCE_WS.open("rb") as fh:
        fh.readline()
        for line in fh:
            _, sep, body = line.partition(b": ")
            if not sep:
                continue
            data = orjson.loads(body)["data"]
            if data.get("e") == "depthUpdate" and data["s"] == symbol and \
                    data["u"] > last_update:
                frames.append(body)
    return BinanceStream(snapshot, last_update, frames)


def parse_tuples(frame: bytes) -> tuple[list[Level], list[Level]]:
    data = orjson.loads(frame)["data"]
    return ([(float(p), float(q)) for p, q in data["b"]],
            [(float(p), float(q)) for p, q in data["a"]])


def apply_tuples(book: Book, frame: bytes) -> None:
    bids, asks = parse_tuples(frame)
    book.apply(bids, asks)
    book.best_bid()
    book.best_ask()


def binance_us(factories: dict[str, Callable[[], Any]], stream: BinanceStream, *,
               single: bool, repeats: int) -> dict[str, float]:
    """µs per frame of parse + apply + best bid/ask: the first applicable frame on a fresh
    book, or the mean over the whole real sequence; fastest of `repeats`, variants in turn."""
    frames = stream.frames[:1] if single else stream.frames
    best = dict.fromkeys(factories, float("inf"))
    for _ in range(repeats):
        for name, factory in factories.items():
            book = factory()
            book.load(*stream.snapshot)
            start = time.perf_counter()
            for frame in frames:
                apply_tuples(book, frame)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: seconds / len(frames) * 1e6 for name, seconds in best.items()}


_COMPILE_PROBE = """
import time
import numba  # noqa: F401  (its own import is not the kernels' cost)
start = time.perf_counter()
from terminal.kernels.array_book import ArrayBook
book = ArrayBook()
book.apply([(1.0, 1.0)], [(2.0, 1.0)])
print(time.perf_counter() - start)
"""


def compile_seconds() -> tuple[float, float]:
    """Import + first apply in a fresh interpreter: on an empty cache, then on the filled one."""
    with tempfile.TemporaryDirectory() as cache_dir:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
        runs = [subprocess.run([sys.executable, "-c", _COMPILE_PROBE], env=env, cwd=REPO_ROOT,
                               check=True, capture_output=True, text=True)
                for _ in range(2)]
    cold, warm = (float(run.stdout.strip().splitlines()[-1]) for run in runs)
    return cold, warm


def main() -> None:
    print("== L2 book: ArrayBook (numba arrays) vs SortedDict book and current OrderBook ==")
    cold, warm = compile_seconds()
    print(f"{'kernels: compile on empty cache':44} {cold:6.2f} s   "
          f"(import + first apply; from warm cache {warm * 1e3:,.0f} ms)")

    books: dict[str, Callable[[], Any]] = {
        "SortedDict": SortedDictBook, "OrderBook": OrderBook, "ArrayBook": ArrayBook}
    if not COINBASE.is_file():
        print(f"{COINBASE.name}: missing, skipped")
    else:
        cap = load_coinbase()
        n = len(cap.messages)
        rate = {name: n / s for name, s in per_message(books, cap).items()}
        report("coinbase per message: OrderBook", rate["OrderBook"], rate["SortedDict"],
               "msg/s", "SortedDict")
        report("coinbase per message: ArrayBook", rate["ArrayBook"], rate["SortedDict"],
               "msg/s", "SortedDict", target=2.0)
        report("coinbase per message: ArrayBook vs OrderBook", rate["ArrayBook"],
               rate["OrderBook"], "msg/s", "OrderBook")
        product, count, batch_s, ref_s = batched(cap)
        report(f"coinbase apply_batch {product} ({count} msgs)", count / batch_s,
               count / ref_s, "msg/s", "SortedDict", target=20.0)
        deepest = max(cap.snapshots, key=lambda p: len(cap.snapshots[p][1]))
        ours_us = top_read_us(ArrayBook, cap, deepest)
        report(f"top(10) of {deepest}: ArrayBook vs OrderBook", 1e6 / ours_us,
               1e6 / top_read_us(OrderBook, cap, deepest), "reads/s", "OrderBook")

    if not (BINANCE_WS.is_file() and BINANCE_REST.is_file()):
        print("binance capture: missing, skipped")
        return
    stream = load_binance()
    first = parse_tuples(stream.frames[0])
    levels = len(first[0]) + len(first[1])
    for single, label, repeats in ((True, f"first frame ({levels} levels)", 2000),
                                   (False, f"mean of {len(stream.frames)} frames", 300)):
        us = binance_us(books, stream, single=single, repeats=repeats)
        print(f"binance {BINANCE_SYMBOL} orjson parse + apply, {label}: "
              + ", ".join(f"{name} {value:.2f} µs" for name, value in us.items()))
        for name in ("OrderBook", "ArrayBook"):
            report(f"  {name} per frame", 1e6 / us[name], 1e6 / us["SortedDict"],
                   "frames/s", "SortedDict")

if __name__ == "__main__":
    main()
