"""Adversarial inputs for the scanned replay of cryptofeed websocket captures.

The scanned reading (compiled frame scan, book updates in MarketRuns) and the run kernel
must give exactly what the line-by-line reading and the per-event engine give. Each case
takes the real captures of ../shared/data/ws, perturbs some frames the way a hostile or
broken recorder could (numbers of many digits, leading zeros, exponents, whitespace, keys
in another order, escapes, unknown products, cut files, checksums, sequence gaps, crossed
books and quotes...), writes the result into tmp_path and checks that

- the events of `open_recording(path)` equal those of `open_recording(path, runs=True)`
  with the runs expanded (their `raw` too), and so do the report's counts and problems;
- the engine, playing the file at speed max with the scan off and on, ends with the same
  summary (timings left out), the same books, and published the same bus events at the
  same clock times.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import json
import math
import re
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from plugins.replay.formats import open_recording
from plugins.replay.formats.cryptofeed_kraken import KrakenDecoder
from plugins.replay.formats.timeparse import recv_bytes_to_ns
from terminal.app import Engine, EngineOptions
from terminal.core.topics import Kind
from terminal.kernels.array_book import ArrayBook
from terminal.model.market import BookDelta, BookSnapshot
from terminal.model.market_run import MarketRun
from terminal.services.book_sync import KrakenChecksumSync
from tests.data_paths import SHARED_DATA

WS = SHARED_DATA / "ws"
COINBASE = "cryptofeed__COINBASE.ws.28.0"
KRAKEN = "cryptofeed__KRAKEN.ws.50.0"
BINANCE = "cryptofeed__BINANCE.ws.1.0"
BINANCE_HTTP = "cryptofeed__BINANCE.http.0.0"
NEEDED = (COINBASE, KRAKEN, BINANCE, BINANCE_HTTP)

pytestmark = pytest.mark.skipif(not all((WS / name).is_file() for name in NEEDED),
                                reason=f"the websocket captures are not in {WS}")

# the captures are cut to this many lines (header included) to keep the engine runs short
KEEP_LINES = {COINBASE: 1500, KRAKEN: 800, BINANCE: 10_000}
TIMINGS = {"wall_seconds", "run_seconds", "events_per_second"}
KINDS = (Kind.QUOTE, Kind.BOOK_STATUS, Kind.QUALITY, Kind.TRADE, Kind.BAR)

Lines = list[bytes]  # the capture's lines after the header, without their b"\n"


# -- the captures, and editing their frames as text ------------------------------------

@cache
def _capture(name: str) -> tuple[bytes, tuple[bytes, ...]]:
    data = (WS / name).read_bytes()
    header, _, rest = data.partition(b"\n")
    lines = rest.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return header, tuple(lines[:KEEP_LINES[name] - 1])


def capture(name: str) -> tuple[bytes, Lines]:
    header, lines = _capture(name)
    return header, list(lines)


def stamp_of(line: bytes) -> bytes:
    return line.partition(b": ")[0]


def payload_of(line: bytes) -> bytes:
    return line.partition(b": ")[2]


def with_stamp(line: bytes, stamp: bytes) -> bytes:
    return stamp + b": " + payload_of(line)


def later(stamp: bytes, micros: int = 1) -> bytes:
    """A receive stamp `micros` µs after `stamp` (as text with 6 fraction digits)."""
    whole, _, frac = stamp.partition(b".")
    ns = int(whole) * 10**9 + int(frac.ljust(9, b"0")[:9]) + micros * 1000
    return b"%d.%06d" % (ns // 10**9, ns % 10**9 // 1000)


def indices(lines: Lines, *needles: bytes, start: int = 0) -> list[int]:
    return [i for i, line in enumerate(lines) if i >= start
            and all(needle in line for needle in needles)]


def first(lines: Lines, *needles: bytes, start: int = 0) -> int:
    return indices(lines, *needles, start=start)[0]


def sub(line: bytes, pattern: bytes, replace: bytes | Callable[[re.Match[bytes]], bytes],
        count: int = 1) -> bytes:
    out, n = re.subn(pattern, replace, line, count=count)
    assert n, (pattern, line[:200])
    return out


def edit(lines: Lines, where: list[int], change: Callable[[bytes], bytes]) -> Lines:
    for i in where:
        lines[i] = change(lines[i])
    return lines


# JSON strings holding numbers (prices, sizes, level times) in a frame's payload
NUMBER = rb'"(\d+(?:\.\d+)?)"'


def numbers(change: Callable[[bytes], bytes], count: int = 0) -> Callable[[bytes], bytes]:
    """Rewrite the number strings of a frame's payload (the first `count`, 0: all)."""
    def rewrite(line: bytes) -> bytes:
        stamp, _, payload = line.partition(b": ")
        payload = re.sub(NUMBER, lambda m: b'"' + change(m.group(1)) + b'"', payload,
                         count=count)
        return stamp + b": " + payload
    return rewrite


def write(tmp_path: Path, name: str, header: bytes, lines: Lines, *, gz: bool = False,
          newline_at_end: bool = True, cut: float | None = None,
          http_lines: Lines | None = None) -> Path:
    folder = tmp_path / "capture"
    folder.mkdir(exist_ok=True)
    data = header + b"\n" + b"\n".join(lines) + (b"\n" if newline_at_end else b"")
    path = folder / (name + (".gz" if gz else ""))
    if gz:
        data = gzip.compress(data)
        if cut is not None:
            data = data[:int(len(data) * cut)]
    path.write_bytes(data)
    if "BINANCE" in name:
        http = (WS / BINANCE_HTTP).read_bytes() if http_lines is None else \
            b"\n".join(http_lines) + b"\n"
        (folder / BINANCE_HTTP).write_bytes(http)
    return path


# -- the two readings, and the two engines ----------------------------------------------

def flatten(items: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    out: list[tuple[int, Any]] = []
    for ts, item in items:
        out.extend(item.events() if isinstance(item, MarketRun) else [(ts, item)])
    return out


def raw_of(event: Any) -> Any:
    raw = getattr(event, "raw", None)
    return None if raw is None else dict(raw)


def report_of(report: Any) -> tuple[Any, ...]:
    return (report.rows, report.events, report.bad_rows,
            [(p.line, p.reason, p.field) for p in report.problems])


def norm(value: Any) -> Any:
    """A NaN-safe form of nested values for == (NaN equals NaN; dicts by their items, keys
    as text: Kind.BOOK and "book" are one key)."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return sorted(((str(k), norm(v)) for k, v in value.items()), key=repr)
    if isinstance(value, list | tuple):
        return [norm(v) for v in value]
    return value


def read_both(path: Path) -> tuple[dict[str, Any], dict[str, Any], int]:
    lines, line_report = open_recording(path)
    scanned, scan_report = open_recording(path, runs=True)
    by_line = list(lines)
    items = list(scanned)
    flat = flatten(items)
    runs = sum(isinstance(item, MarketRun) for _, item in items)
    a = {"events": norm(by_line), "raw": [raw_of(e) for _, e in by_line],
         "report": report_of(line_report)}
    b = {"events": norm(flat), "raw": [raw_of(e) for _, e in flat],
         "report": report_of(scan_report)}
    return a, b, runs


def play(path: Path, scan: bool, data_dir: Path, watch_books: bool = False) -> dict[str, Any]:
    """The engine's end state and what it published; `watch_books`: someone also listens
    to every book update (the run kernel then stops at each one)."""
    async def scenario() -> dict[str, Any]:
        engine = Engine(EngineOptions(data_dir=data_dir, replay_paths=[path], speed="max"))
        create = engine.registry.create

        def create_with_scan(plugin_id: str, context: Any, settings: dict[str, Any]) -> Any:
            if plugin_id == "replay":
                settings = {**settings, "scan": scan}
            return create(plugin_id, context, settings)

        engine.registry.create = create_with_scan  # type: ignore[method-assign]
        seen: list[tuple[str, str, int]] = []
        for kind in KINDS + ((Kind.BOOK,) if watch_books else ()):
            engine.bus.subscribe_kind(kind, lambda topic, event: seen.append(
                (topic, repr(event), engine.clock.now_ns())))
        await engine.start()
        await engine.run()
        books = engine.books
        state: dict[str, Any] = {
            "levels": {str(i): books.levels(i, 1000) for i in books.instruments()},
            "heads": {str(i): (t.book.sequence, t.book.ts_event, t.book.updates,
                               getattr(t.sync, "checksums_verified", None), t.sync.synced,
                               t.sync.stale_reason)
                      for i, t in sorted(books._books.items())},
            "seen": seen,
            "freshness": list(engine.market_data.quality.freshness.items()),
            "published": dict(sorted(getattr(engine.bus, "published", {}).items())),
            "clock": engine.clock.now_ns(),
        }
        await engine.stop()
        summary = engine.summary()
        state["summary"] = {k: v for k, v in summary.items() if k not in TIMINGS}
        return state

    return asyncio.run(scenario())


def check(path: Path, tmp_path: Path, watch_books: bool = False) -> None:
    by_line, scanned, _ = read_both(path)
    for key in by_line:
        assert scanned[key] == by_line[key], f"the readings differ in {key}"
    one_by_one = play(path, False, tmp_path / "engine-lines", watch_books)
    in_runs = play(path, True, tmp_path / "engine-runs", watch_books)
    for key in one_by_one:
        assert norm(in_runs[key]) == norm(one_by_one[key]), f"the engines differ in {key}"


# -- the cases ---------------------------------------------------------------------------

Case = Callable[[Path], Path]
CASES: dict[str, Case] = {}


def case(fn: Case) -> Case:
    CASES[fn.__name__] = fn
    return fn


def json_of(line: bytes) -> Any:
    return json.loads(payload_of(line))


def resnap(lines: Lines, needle: bytes, times: int = 3) -> Lines:
    """Every snapshot (lines holding `needle`) again at `times` points later on, so books
    a perturbation left stale come back and the run path has more to do."""
    snapshots = [lines[i] for i in indices(lines, needle)]
    for k in range(times, 0, -1):
        at = len(lines) * k // (times + 1)
        stamp = stamp_of(lines[at])
        lines[at:at] = [with_stamp(line, stamp) for line in snapshots]
    return lines


# Coinbase: l2update lines of the capture (after the snapshots)

def cb_updates(lines: Lines, product: bytes | None = None) -> list[int]:
    needles = [b'"type":"l2update"'] + ([b'"product_id":"' + product + b'"'] if product else [])
    return indices(lines, *needles)


def cb_snapshot(lines: Lines, product: bytes) -> int:
    return first(lines, b'"type":"snapshot"', b'"product_id":"' + product + b'"')


def cb_update(stamp: bytes, product: bytes, changes: list[tuple[str, str, str]],
              time: str = "2021-04-17T16:43:37.500000Z") -> bytes:
    body = json.dumps({"type": "l2update", "product_id": product.decode(),
                       "changes": [list(c) for c in changes], "time": time},
                      separators=(",", ":"))
    return stamp + b": " + body.encode()


def coinbase(tmp_path: Path, change: Callable[[Lines], Lines], again: bool = False,
             **kw: Any) -> Path:
    header, lines = capture(COINBASE)
    lines = change(lines)
    if again:
        lines = resnap(lines, b'"type":"snapshot"', times=1)
    return write(tmp_path, COINBASE, header, lines, **kw)


def cb_numbers(rewrite: Callable[[bytes], bytes], every: int = 7,
               count: int = 0) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        return edit(lines, cb_updates(lines)[::every], numbers(rewrite, count))
    return change


def digits_to(k: int, tail: bytes = b"") -> Callable[[bytes], bytes]:
    """A number text padded with zeros after the point to k significant-ish digits, then
    `tail` (which changes the value in its last digits)."""
    def rewrite(text: bytes) -> bytes:
        if b"." not in text:
            text += b"."
        while len(text.replace(b".", b"")) < k:
            text += b"0"
        return text + tail if tail else text.rstrip(b".")
    return rewrite


@case
def cb_leading_zeros(tmp_path: Path) -> Path:
    return coinbase(tmp_path, cb_numbers(lambda t: b"000" + t, every=3))


@case
def cb_16_significant_digits(tmp_path: Path) -> Path:
    return coinbase(tmp_path, cb_numbers(digits_to(15, b"3"), every=3))


@case
def cb_17_to_19_digits(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        edit(lines, updates[0::9], numbers(digits_to(17)))
        edit(lines, updates[1::9], numbers(digits_to(18)))
        edit(lines, updates[2::9], numbers(digits_to(19)))
        edit(lines, updates[3::9], numbers(digits_to(16, b"7")))
        edit(lines, updates[4::9], numbers(digits_to(18, b"1")))
        edit(lines, updates[5::9], numbers(digits_to(30)))
        return lines
    return coinbase(tmp_path, change, again=True)


@case
def cb_integers_beyond_2_53(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        edit(lines, updates[0::11], numbers(lambda t: b"9007199254740993", count=1))
        edit(lines, updates[1::11], numbers(lambda t: b"9007199254740992.5", count=1))
        edit(lines, updates[2::11], numbers(lambda t: b"123456789012345678", count=1))
        edit(lines, updates[3::11], numbers(lambda t: b"1234567890123456789"))
        edit(lines, updates[4::11], numbers(lambda t: b"999999999999999999"))
        edit(lines, updates[5::11], numbers(lambda t: b"0.000000000000000000000001"))
        edit(lines, updates[6::11], numbers(lambda t: b"0.0000000000000000000001"))
        return lines
    return coinbase(tmp_path, change, again=True)


@case
def cb_zero_sizes_and_prices(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        size = rb'(\["(?:buy|sell)","[^"]*",")[^"]*(")'
        edit(lines, updates[0::10], lambda ln: sub(ln, size, rb"\g<1>0\g<2>"))
        edit(lines, updates[1::10], lambda ln: sub(ln, size, rb"\g<1>0.0\g<2>"))
        edit(lines, updates[2::10], lambda ln: sub(ln, size, rb"\g<1>0000.000\g<2>"))
        price = rb'(\["(?:buy|sell)",")[^"]*(")'
        edit(lines, updates[3::10], lambda ln: sub(ln, price, rb"\g<1>0\g<2>"))
        edit(lines, updates[4::10], lambda ln: sub(ln, price, rb"\g<1>0.0\g<2>"))
        return lines
    return coinbase(tmp_path, change, again=True)


@case
def cb_number_notations(tmp_path: Path) -> Path:
    forms: list[Callable[[bytes], bytes]] = [
        lambda t: t + b"e0", lambda t: t + b"E+00", lambda t: b"-" + t, lambda t: b"+" + t,
        lambda t: b" " + t, lambda t: t + b" ", lambda t: b"." + t.replace(b".", b""),
        lambda t: t.split(b".")[0] + b".", lambda t: b"nan", lambda t: b"inf",
        lambda t: b"1_0", lambda t: b"\\u0031" + t, lambda t: "１".encode() + t,
        lambda t: b"\\u0030" + t, lambda t: b"0x10", lambda t: b"",
    ]

    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        for k, form in enumerate(forms):
            edit(lines, updates[k::len(forms) * 3], numbers(form, count=1))
        return lines
    return coinbase(tmp_path, change, again=True)


@case
def cb_whitespace_and_key_order(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        for k, i in enumerate(updates[::5]):
            msg = json_of(lines[i])
            stamp = stamp_of(lines[i])
            if k % 4 == 0:
                body = json.dumps(msg).encode()
            elif k % 4 == 1:
                body = json.dumps(dict(reversed(list(msg.items()))),
                                  separators=(",", ":")).encode()
            elif k % 4 == 2:
                body = payload_of(lines[i]).replace(b'"changes":', b'"changes" :\t')
            else:
                body = b" " + payload_of(lines[i]) + b"  "
            lines[i] = stamp + b": " + body
        return lines
    return coinbase(tmp_path, change, again=True)


@case
def cb_duplicated_keys(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        edit(lines, updates[0::13], lambda ln: ln[:-1] + b',"product_id":"SKL-GBP"}')
        edit(lines, updates[1::13], lambda ln: ln[:-1] + b',"changes":[]}')
        edit(lines, updates[2::13], lambda ln: ln[:-1] + b',"time":"2021-04-17T16:43:38.000000Z"}')
        edit(lines, updates[3::13], lambda ln: ln.replace(b'{"type":"l2update",',
                                                        b'{"type":"match","type":"l2update",'))
        edit(lines, updates[4::13], lambda ln: ln[:-1] + b',"type":"heartbeat"}')
        return lines
    return coinbase(tmp_path, change, again=True)


@case
def cb_escapes_and_non_ascii(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        edit(lines, updates[0::9], lambda ln: ln.replace(b'"l2update"', b'"l2\\u0075pdate"'))
        edit(lines, updates[1::9],
             lambda ln: sub(ln, rb'"product_id":"(\w+)-', rb'"product_id":"\1\\u002d'))
        edit(lines, updates[2::9], lambda ln: ln.replace(b'["buy"', b'["b\\u0075y"'))
        edit(lines, updates[3::9], lambda ln: ln.replace(b'"time":"2021', b'"time":"\\u00321'))
        edit(lines, updates[4::9],
             lambda ln: ln.replace(b'"time":"2021', "\"time\":\"２021".encode()))
        edit(lines, updates[5::9], lambda ln: ln.replace(b'Z"}', b'Z", "note":"\xc3\xa9"}'))
        edit(lines, updates[6::9], lambda ln: ln.replace(b'Z"}', b'Z", "note":"\xff"}'))
        return lines
    return coinbase(tmp_path, change, again=True)


@case
def cb_unknown_and_lowercase_products(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        edit(lines, updates[0::8],
             lambda ln: sub(ln, rb'"product_id":"[^"]*"', b'"product_id":"FOO-BAR"'))
        product = rb'"product_id":"([^"]*)"'
        edit(lines, updates[1::8], lambda ln: sub(
            ln, product, lambda m: b'"product_id":"' + m.group(1).lower() + b'"'))
        edit(lines, updates[2::8], lambda ln: sub(
            ln, product, lambda m: b'"product_id":"' + m.group(1).title() + b'"'))
        edit(lines, updates[3::8], lambda ln: sub(ln, rb'"product_id":"[^"]*"', b'"product_id":""'))
        edit(lines, updates[4::8],
             lambda ln: sub(ln, rb'"product_id":"[^"]*"', b'"product_id":" "'))
        edit(lines, updates[5::8], lambda ln: sub(ln, rb'"product_id":"[^"]*"',
                                                 b'"product_id":"A-VERY-LONG-PRODUCT-NAME-OF-40-CHARS-X"'))
        return lines
    return coinbase(tmp_path, change, again=True)


@case
def cb_empty_and_odd_changes(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        changes = rb'"changes":\[.*\],"time"'
        edit(lines, updates[0::11], lambda ln: sub(ln, changes, b'"changes":[],"time"'))
        edit(lines, updates[1::11], lambda ln: sub(ln, changes, b'"changes":[[]],"time"'))
        edit(lines, updates[2::11],
             lambda ln: sub(ln, changes, b'"changes":[["buy","1.0"]],"time"'))
        edit(lines, updates[3::11],
             lambda ln: sub(ln, changes, b'"changes":[["buy","1.0","2","3"]],"time"'))
        edit(lines, updates[4::11],
             lambda ln: sub(ln, changes, b'"changes":[["BUY","1.0","2"]],"time"'))
        edit(lines, updates[5::11], lambda ln: sub(ln, changes, b'"changes":{},"time"'))
        edit(lines, updates[6::11],
             lambda ln: sub(ln, changes, b'"changes":[["buy",1.0,"2"]],"time"'))
        return lines
    return coinbase(tmp_path, change, again=True)


@case
def cb_huge_frames(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines, b"SKL-GBP")
        for k, i in enumerate(updates[5:40:7]):
            msg = json_of(lines[i])
            n = 17_000 if k == 0 else 3_000
            msg["changes"] = [["buy" if j % 2 else "sell",
                               f"{(0.30 if j % 2 else 0.90) + (-1) ** j * j * 1e-5:.5f}",
                               f"{j % 7}.5"] for j in range(n)]
            lines[i] = stamp_of(lines[i]) + b": " + json.dumps(
                msg, separators=(",", ":")).encode()
        return lines
    return coinbase(tmp_path, change)


@case
def cb_no_newline_at_end(tmp_path: Path) -> Path:
    return coinbase(tmp_path, lambda lines: lines[:cb_updates(lines)[-1] + 1],
                    newline_at_end=False)


@case
def cb_crlf_line_ends(tmp_path: Path) -> Path:
    return coinbase(tmp_path, lambda lines: edit(lines, list(range(0, len(lines), 4)),
                                                 lambda ln: ln + b"\r"))


@case
def cb_gzip(tmp_path: Path) -> Path:
    return coinbase(tmp_path, lambda lines: lines, gz=True)


@case
def cb_gzip_truncated(tmp_path: Path) -> Path:
    return coinbase(tmp_path, lambda lines: lines, gz=True, cut=0.6)


@case
def cb_gzip_cut_at_a_line_end(tmp_path: Path) -> Path:
    # a gzip stream without its end: it decompresses to whole lines up to the last "\n"
    # (left out), then reads as cut short
    header, lines = capture(COINBASE)
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    data = compressor.compress(header + b"\n" + b"\n".join(lines))
    data += compressor.flush(zlib.Z_SYNC_FLUSH)
    path = tmp_path / (COINBASE + ".gz")
    path.write_bytes(data)
    return path


@case
def cb_receive_stamps_of_many_digits(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        forms: list[Callable[[bytes], bytes]] = [
            lambda s: s.ljust(len(s.split(b".")[0]) + 11, b"1"),  # 10 fraction digits
            lambda s: s.ljust(len(s.split(b".")[0]) + 10, b"0"),  # 9, with zeros
            lambda s: s + b"0" * 12,  # 10+ digits, all zeros
            lambda s: s.split(b".")[0] + b".",  # no fraction digit
            lambda s: s.split(b".")[0],  # no point
            lambda s: b"0" + s,  # one leading zero
            lambda s: b"0" * 9 + s,  # 19 digits before the point
            lambda s: b"99999999999" + s,  # beyond 2262
            lambda s: b"1" + b"0" * 25,
        ]
        for k, form in enumerate(forms):
            edit(lines, updates[k::len(forms) * 2],
                 lambda ln, form=form: with_stamp(ln, form(stamp_of(ln))))
        return lines
    return coinbase(tmp_path, change, again=True)


@case
def cb_receive_stamps_with_21_digits_before_the_point(tmp_path: Path) -> Path:
    # leading zeros: 000000000001618677817.118783 is the same time, but 21 digits long
    return coinbase(tmp_path, lambda lines: edit(
        lines, cb_updates(lines)[::50], lambda ln: b"0" * 11 + ln))


@case
def cb_receive_stamps_going_backwards(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        for a, b in zip(updates[10::40], updates[30::40], strict=False):
            sa, sb = stamp_of(lines[a]), stamp_of(lines[b])
            lines[a], lines[b] = with_stamp(lines[a], sb), with_stamp(lines[b], sa)
        # a long jump back (an hour) and forward again, and a jump ahead by two minutes
        for i in updates[200:210]:
            lines[i] = with_stamp(lines[i], b"%d" % (int(stamp_of(lines[i]).split(b".")[0]) - 3600))
        for i in updates[400:403]:
            whole = int(stamp_of(lines[i]).split(b".")[0])
            lines[i] = with_stamp(lines[i], b"%d.5" % (whole + 120))
        return lines
    return coinbase(tmp_path, change)


@case
def cb_update_times(tmp_path: Path) -> Path:
    forms = [b"2021-04-17T16:43:37.123Z", b"2021-04-17T16:43:37.123456789Z",
             b"2021-04-17T16:43:37Z", b"2021-04-17T16:43:37.123456+00:00",
             b"2021-04-17T16:43:37.123456", b"2021-04-17 16:43:37.123456Z",
             b"2021-02-29T16:43:37.123456Z", b"2020-02-29T16:43:37.123456Z",
             b"2021-04-17T24:00:00.000000Z", b"2021-04-17T16:43:60.000000Z",
             b"1969-12-31T23:59:59.999999Z", b"2262-01-01T00:00:00.000000Z",
             b"2261-12-31T23:59:59.999999Z", b"0001-01-01T00:00:00.000000Z",
             b"9999-12-31T23:59:59.999999Z", b"2021-04-17T16:43:37.12345aZ",
             b"2021-04-17T16:43:37.123456z", b"2021-04-17t16:43:37.123456Z",
             b"1970-01-01T00:00:00.000000Z", b"2021-04-31T16:43:37.123456Z"]

    def change(lines: Lines) -> Lines:
        for k, form in enumerate(forms):
            edit(lines, cb_updates(lines)[3 + k::len(forms) * 2],
                 lambda ln, form=form: sub(ln, rb'"time":"[^"]*"', b'"time":"' + form + b'"'))
        return lines
    return coinbase(tmp_path, change, again=True)


def cb_best(lines: Lines, product: bytes) -> tuple[str, str]:
    """The best bid and ask price texts of a product's snapshot."""
    snap = json_of(lines[cb_snapshot(lines, product)])
    return (max(snap["bids"], key=lambda lv: float(lv[0]))[0],
            min(snap["asks"], key=lambda lv: float(lv[0]))[0])


def after_snapshot(lines: Lines, product: bytes, new: list[bytes]) -> Lines:
    """`new` frames inserted right after the product's snapshot, stamped like it."""
    at = cb_snapshot(lines, product)
    stamp = stamp_of(lines[at])
    lines[at + 1:at + 1] = [with_stamp(line, stamp) for line in new]
    return lines


@case
def cb_updates_that_cross_or_lock_the_book(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        for product in (b"SKL-GBP", b"SKL-USD", b"NU-GBP", b"CRV-EUR"):
            bid, ask = cb_best(lines, product)
            if product == b"SKL-GBP":  # buy at the best ask: locked
                change = [("buy", ask, "1.0")]
            elif product == b"SKL-USD":  # sell below the best bid: crossed
                change = [("sell", str(float(bid) / 2), "1.0")]
            elif product == b"NU-GBP":  # crossed, then uncrossed in the same frame
                change = [("buy", ask, "1.0"), ("buy", ask, "0")]
            else:  # the best ask deleted and a bid put there
                change = [("sell", ask, "0"), ("buy", ask, "3")]
            after_snapshot(lines, product, [cb_update(b"0", product, change)])
        # later, every product's snapshot again (the book comes back)
        snapshots = indices(lines, b'"type":"snapshot"')
        end = len(lines) // 2
        stamp = stamp_of(lines[end])
        lines[end:end] = [with_stamp(lines[i], stamp) for i in snapshots]
        return lines
    return coinbase(tmp_path, change)


@case
def cb_crossing_updates_in_the_middle(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines, b"SKL-GBP")
        for i in updates[20::60]:
            msg = json_of(lines[i])
            msg["changes"].append(["buy", "99999", "1"])
            lines[i] = stamp_of(lines[i]) + b": " + json.dumps(msg, separators=(",", ":")).encode()
            # and it is taken away right after (the book stays stale until a snapshot)
            lines.insert(i + 1, with_stamp(cb_update(b"0", b"SKL-GBP", [("buy", "99999", "0")]),
                                           stamp_of(lines[i])))
        return lines
    return coinbase(tmp_path, change)


@case
def cb_same_price_twice_in_a_frame(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        for k, i in enumerate(cb_updates(lines)[::6]):
            msg = json_of(lines[i])
            side, price, size = msg["changes"][0]
            extra = [[side, price, "0"]] if k % 2 else [[side, price, "7.5"], [side, price, size]]
            msg["changes"] = msg["changes"] + extra
            lines[i] = stamp_of(lines[i]) + b": " + json.dumps(msg, separators=(",", ":")).encode()
        return lines
    return coinbase(tmp_path, change)


@case
def cb_ticker_quotes_crossed_locked_zero(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        tickers = indices(lines, b'"type":"ticker"')
        forms = [(b"14.9", b"14.8"), (b"14.8", b"14.8"), (b"0", b"14.8"), (b"14.8", b"0"),
                 (b"0.0", b"0.0"), (b"-1", b"2"), (b"1e1", b"2e1")]
        for k, (bid, ask) in enumerate(forms):
            edit(lines, tickers[k::len(forms)], lambda ln, bid=bid, ask=ask: sub(
                sub(ln, rb'"best_bid":"[^"]*"', b'"best_bid":"' + bid + b'"'),
                rb'"best_ask":"[^"]*"', b'"best_ask":"' + ask + b'"'))
        return lines
    return coinbase(tmp_path, change)


@case
def cb_many_products(tmp_path: Path) -> Path:
    # 40 copies of two products (snapshot and updates), more than every table holds at
    # first; and copies named with 31, 32 and 33 characters (the scan reads names of 32)
    names = [b"S%02d-GBP" % k for k in range(40)] + [b"L" * n + b"-GBP" for n in (27, 28, 29)]

    def change(lines: Lines) -> Lines:
        out: Lines = []
        for line in lines:
            out.append(line)
            if b'"product_id":"SKL-GBP"' in line or b'"product_id":"NU-GBP"' in line:
                for name in names:
                    out.append(line.replace(b'"product_id":"SKL-GBP"',
                                            b'"product_id":"' + name + b'"')
                                   .replace(b'"product_id":"NU-GBP"',
                                            b'"product_id":"N' + name[1:] + b'"'))
        return out[:6000]
    return coinbase(tmp_path, change)


@case
def cb_repeated_lines(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        out: Lines = []
        for k, line in enumerate(lines):
            out.append(line)
            if k % 9 == 0:
                out.append(line)
        return out
    return coinbase(tmp_path, change)


@case
def cb_updates_before_any_snapshot(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        snapshots = indices(lines, b'"type":"snapshot"')
        moved = [lines[i] for i in snapshots]
        for i in reversed(snapshots):
            del lines[i]
        at = cb_updates(lines)[300]
        stamp = stamp_of(lines[at])
        lines[at:at] = [with_stamp(line, stamp) for line in moved]
        return lines
    return coinbase(tmp_path, change)


@case
def cb_blank_odd_and_control_lines(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        stamp = stamp_of(lines[updates[10]])
        extra = [b"", b"   ", b"\t", b"junk", stamp, stamp + b":", stamp + b": ",
                 stamp + b": {}", stamp + b": []", stamp + b": null",
                 stamp + b': {"type":"heartbeat"}', stamp + b': {"type":"l2update"}',
                 b"wss://ws-feed.pro.coinbase.com <- " + stamp + b": {}",
                 stamp + b':{"type":"heartbeat"}', stamp + b"  : {}", b"\xff\xfe"]
        for k, line in enumerate(extra):
            lines.insert(updates[10 + 3 * k] + k, line)
        return lines
    return coinbase(tmp_path, change)


# Kraken: book updates `[id,{"a"|"b":[[p,v,t],...],"c":"crc"},"book-1000","PAIR"]`

def kr_updates(lines: Lines, pair: bytes | None = None) -> list[int]:
    needles = [b'"c":"'] + ([b'"' + pair + b'"]'] if pair else [])
    return [i for i in indices(lines, *needles) if b'"as":' not in lines[i]]


def kr_snapshot(lines: Lines, pair: bytes) -> int:
    return first(lines, b'"as":', b'"' + pair + b'"]')


def fix_checksums(lines: Lines) -> Lines:
    """Every update's "c" made the CRC32 of the book it leaves (as the venue would send),
    with the books kept by the Python rules from the frames as they now are."""
    decoder = KrakenDecoder()
    syncs: dict[Any, KrakenChecksumSync] = {}
    for i, line in enumerate(lines):
        stamp, sep, payload = line.partition(b": ")
        if not sep or not line[:1].isdigit():
            continue
        try:
            events = decoder.decode(recv_bytes_to_ns(stamp), payload)
        except Exception:
            continue
        for event in events:
            if isinstance(event, BookSnapshot):
                sync = syncs[event.instrument_id] = KrakenChecksumSync(ArrayBook())
                sync.on_snapshot(event)
            elif isinstance(event, BookDelta) and event.instrument_id in syncs:
                sync = syncs[event.instrument_id]
                sync._update(dataclasses.replace(event, checksum=None))
                if event.checksum is not None:
                    lines[i] = re.sub(rb'"c":"\d+"', b'"c":"%d"' % sync.checksum(), line)
    return lines


def kraken(tmp_path: Path, change: Callable[[Lines], Lines], fix: bool = True,
           again: bool = False, **kw: Any) -> Path:
    header, lines = capture(KRAKEN)
    lines = change(lines)
    if again:
        lines = resnap(lines, b'"as":', times=2)
    return write(tmp_path, KRAKEN, header, fix_checksums(lines) if fix else lines, **kw)


LEVEL = rb'\["([^"]*)","([^"]*)","([^"]*)"\]'


def kr_levels(change: Callable[[re.Match[bytes]], bytes]) -> Callable[[bytes], bytes]:
    return lambda line: re.sub(LEVEL, change, line)


def level(price: bytes, volume: bytes, time: bytes, *more: bytes) -> bytes:
    return b"[" + b",".join(b'"' + x + b'"' for x in (price, volume, time, *more)) + b"]"


@case
def kr_republish_flags(tmp_path: Path) -> Path:
    return kraken(tmp_path, lambda lines: edit(
        lines, kr_updates(lines)[::3],
        kr_levels(lambda m: level(m[1], m[2], m[3], b"r"))))


@case
def kr_level_of_four_or_five_values(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = kr_updates(lines)
        forms = [b"x", b"R", b"r ", b"", b"rr"]
        for k, form in enumerate(forms):
            edit(lines, updates[k::12],
                 kr_levels(lambda m, form=form: level(m[1], m[2], m[3], form)))
        edit(lines, updates[6::12], kr_levels(lambda m: level(m[1], m[2], m[3], b"r", b"r")))
        edit(lines, updates[7::12], kr_levels(lambda m: m[0][:-1] + b',1]'))
        edit(lines, updates[8::12], kr_levels(lambda m: m[0][:-1] + b',null]'))
        edit(lines, updates[9::12], kr_levels(lambda m: b'["' + m[1] + b'","' + m[2] + b'"]'))
        return lines
    return kraken(tmp_path, change, again=True)


@case
def kr_two_and_three_payload_objects(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        out: Lines = []
        updates = set(kr_updates(lines))
        pending: dict[bytes, int] = {}
        k = 0
        for i, line in enumerate(lines):
            if i not in updates:
                out.append(line)
                continue
            pair = line.rsplit(b',"', 1)[1]
            if pair in pending:  # merge this update into the previous one of its pair
                j = pending.pop(pair)
                head, _, _ = out[j].rpartition(b',"c":"')
                body = line.split(b",", 1)[1].rsplit(b',"book-', 1)[0]
                forms = [head + b"}," + body,  # {a...},{b...,c}
                         head + b"," + body[1:],  # {a...,b...,c} one object
                         head + b"}," + body + b",{" + b'"c":"1"}',  # three objects
                         head + b',"c":"1"},' + body]  # a checksum in both
                merged = forms[k % len(forms)] + b',"book-' + line.rsplit(b',"book-', 1)[1]
                out[j] = merged
                k += 1
                continue
            if len(out) % 5 == 0:
                pending[pair] = len(out)
            out.append(line)
        return out
    return kraken(tmp_path, change)


@case
def kr_key_order_duplicates_and_whitespace(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = kr_updates(lines)
        edit(lines, updates[0::9],
             lambda ln: sub(ln, rb'\{("[ab]":\[.*\]),("c":"\d+")\}', rb'{\2,\1}'))
        edit(lines, updates[1::9], lambda ln: sub(ln, rb'\{("[ab]":\[.*\]),', rb'{\1,\1,'))
        edit(lines, updates[2::9], lambda ln: sub(ln, rb'("c":"\d+")', rb'\1,\1'))
        edit(lines, updates[3::9], lambda ln: ln.replace(b'","', b'", "'))
        edit(lines, updates[4::9], lambda ln: ln.replace(b',{', b', {', 1))
        edit(lines, updates[5::9], lambda ln: ln[:-1] + b' ]')
        edit(lines, updates[6::9], lambda ln: sub(ln, rb'("[ab]":)', rb'\1 '))
        edit(lines, updates[7::9], lambda ln: sub(ln, rb'("c":"\d+")', rb'\1,"x":1'))
        return lines
    return kraken(tmp_path, change, again=True)


@case
def kr_missing_and_bad_checksums(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        for pair, form in ((b"XMR/USD", None), (b"SC/EUR", b'"c":"1"'),
                           (b"WAVES/EUR", b'"c":""'), (b"GRT/ETH", b'"c":"4294967296"'),
                           (b"KSM/XBT", b'"c":"00000000001"'), (b"ETH/CHF", b'"c":1'),
                           (b"OCEAN/XBT", b'"c":"-1"')):
            for i in kr_updates(lines, pair)[10:14]:
                if form is None:
                    lines[i] = sub(lines[i], rb',"c":"\d+"', b"")
                else:
                    lines[i] = sub(lines[i], rb'"c":"\d+"', form)
        # and the snapshots again, later: the books come back
        snapshots = indices(lines, b'"as":')
        end = len(lines) * 2 // 3
        stamp = stamp_of(lines[end])
        lines[end:end] = [with_stamp(lines[i], stamp) for i in snapshots]
        return lines
    return kraken(tmp_path, change, fix=False)


@case
def kr_checksums_with_leading_zeros(tmp_path: Path) -> Path:
    header, lines = capture(KRAKEN)
    lines = fix_checksums(lines)
    edit(lines, kr_updates(lines)[::4], lambda ln: sub(ln, rb'"c":"(\d+)"',
                                                       lambda m: b'"c":"' + m[1].zfill(10) + b'"'))
    return write(tmp_path, KRAKEN, header, lines)


@case
def kr_price_and_volume_texts(tmp_path: Path) -> Path:
    """Texts the venue's checksum sees differently (leading/trailing zeros, many digits),
    with checksums made for them."""
    forms: list[Callable[[re.Match[bytes]], bytes]] = [
        lambda m: level(b"00" + m[1], m[2], m[3]),
        lambda m: level(m[1], b"000" + m[2], m[3]),
        lambda m: level(m[1] + b"0", m[2], m[3]),
        lambda m: level(m[1], digits_to(18)(m[2]), m[3]),
        lambda m: level(digits_to(17)(m[1]), m[2], m[3]),
        lambda m: level(m[1], digits_to(19)(m[2]), m[3]),
        lambda m: level(m[1], digits_to(15, b"3")(m[2]), m[3]),
        lambda m: (level(m[1].split(b".")[0], m[2], m[3])
                   if b"." in m[1] and int(m[1].split(b".")[0]) else m[0]),
        lambda m: level(m[1], b"0", m[3]),
        lambda m: level(m[1], b"0.0", m[3]),
        lambda m: level(m[1], m[2] + b"e0", m[3]),
        lambda m: level(m[1], b"0" + m[2], m[3], b"r"),
    ]

    def change(lines: Lines) -> Lines:
        for k, form in enumerate(forms):
            edit(lines, kr_updates(lines)[k::len(forms) + 1], kr_levels(form))
        return lines
    return kraken(tmp_path, change, again=True)


@case
def kr_level_times(tmp_path: Path) -> Path:
    forms: list[Callable[[bytes], bytes]] = [
        lambda t: t + b"1111",  # 10 fraction digits
        lambda t: t.split(b".")[0],  # whole seconds
        lambda t: t.split(b".")[0] + b".",
        lambda t: b"0",
        lambda t: b"0.000001",
        lambda t: t + b"e0",
        lambda t: b"-" + t,
        lambda t: b"00" + t,  # leading zeros, 12 digits before the point
        lambda t: b"9999999999.5",  # 2286: beyond the window
        lambda t: b"9214646399.999999",  # 2261-12-31T23:59:59.999999
        lambda t: b"9214646400",  # 2262-01-01: the end of the window
        lambda t: t[:-1],
    ]

    def change(lines: Lines) -> Lines:
        for k, form in enumerate(forms):
            edit(lines, kr_updates(lines)[k::len(forms) + 2],
                 kr_levels(lambda m, form=form: level(m[1], m[2], form(m[3]))))
        return lines
    return kraken(tmp_path, change, again=True)


@case
def kr_level_times_with_21_digits_before_the_point(tmp_path: Path) -> Path:
    # "0000000000001618678133.366461" is the time 1618678133.366461, in 22 digits
    return kraken(tmp_path, lambda lines: edit(
        lines, kr_updates(lines)[::25],
        kr_levels(lambda m: level(m[1], m[2], b"0" * 12 + m[3]))))


@case
def kr_unknown_and_lowercase_pairs(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = kr_updates(lines)
        edit(lines, updates[0::7], lambda ln: sub(ln, rb'"([A-Z/]+)"\]$', b'"FOO/BAR"]'))
        edit(lines, updates[1::7],
             lambda ln: sub(ln, rb'"([A-Z/]+)"\]$', lambda m: b'"' + m[1].lower() + b'"]'))
        edit(lines, updates[2::7], lambda ln: sub(ln, rb'"([A-Z/]+)"\]$', b'"XMR\\/USD"]'))
        edit(lines, updates[3::7], lambda ln: sub(ln, rb'"([A-Z/]+)"\]$', b'""]'))
        edit(lines, updates[4::7], lambda ln: sub(ln, rb'"([A-Z/]+)"\]$', b'"XMR/USD.d"]'))
        return lines
    return kraken(tmp_path, change, again=True)


@case
def kr_channel_names(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = kr_updates(lines)
        forms = [b'"book-10"', b'"book-"', b'"book"', b'"book-1234567"', b'"book-0"',
                 b'"book-01000"', b'"books-1000"', b'"spread"', b'"book-1000 "']
        for k, form in enumerate(forms):
            edit(lines, updates[k::len(forms) * 3],
                 lambda ln, form=form: sub(ln, rb'"book-1000"', form))
        return lines
    return kraken(tmp_path, change, again=True)


@case
def kr_shallow_subscriptions(tmp_path: Path) -> Path:
    """Books of depth 5, 10 and 25 (the snapshot kept whole or cut to the depth): updates
    push levels out of range, which the checksum then leaves out."""
    def change(lines: Lines) -> Lines:
        for pair, depth, cut in ((b"XMR/USD", 5, False), (b"SC/EUR", 10, True),
                                 (b"WAVES/EUR", 25, True), (b"GRT/ETH", 10, False),
                                 (b"KSM/XBT", 3, True)):
            name = b'"book-%d"' % depth
            at = kr_snapshot(lines, pair)
            if cut:
                snap = json.loads(payload_of(lines[at]))
                snap[1] = {"as": snap[1]["as"][:depth], "bs": snap[1]["bs"][:depth]}
                snap[2] = name.decode().strip('"')
                lines[at] = stamp_of(lines[at]) + b": " + json.dumps(
                    snap, separators=(",", ":")).encode()
            else:
                lines[at] = lines[at].replace(b'"book-1000"', name)
            edit(lines, kr_updates(lines, pair),
                 lambda ln, name=name: ln.replace(b'"book-1000"', name))
        return lines
    return kraken(tmp_path, change)


@case
def kr_crossing_updates_with_good_checksums(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        for k, pair in enumerate((b"XMR/USD", b"SC/EUR", b"WAVES/EUR")):
            at = kr_snapshot(lines, pair)
            snap = json.loads(payload_of(lines[at]))
            ask = snap[1]["as"][0]
            bid = snap[1]["bs"][0]
            side, lv = (("b", [ask[0], "1.00000000", ask[2]]) if k == 0 else
                        ("a", [bid[0], "2.00000000", bid[2]]) if k == 1 else
                        ("b", [str(float(ask[0]) * 2), "1.00000000", ask[2]]))
            frame = [snap[0], {side: [lv], "c": "0"}, "book-1000", pair.decode()]
            lines.insert(at + 1, stamp_of(lines[at]) + b": " + json.dumps(
                frame, separators=(",", ":")).encode())
            # it is taken back a little later (the book is stale until a snapshot)
            j = kr_updates(lines, pair)[5]
            frame[1] = {side: [[lv[0], "0.00000000", lv[2]]], "c": "0"}
            lines.insert(j, stamp_of(lines[j]) + b": " + json.dumps(
                frame, separators=(",", ":")).encode())
        snapshots = indices(lines, b'"as":')
        end = len(lines) // 2
        stamp = stamp_of(lines[end])
        lines[end:end] = [with_stamp(lines[i], stamp) for i in snapshots]
        return lines
    return kraken(tmp_path, change)


@case
def kr_deletes_of_missing_levels_and_empty_sides(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = kr_updates(lines)
        edit(lines, updates[0::8],
             kr_levels(lambda m: level(b"%.2f" % (float(m[1]) * 3 + 1), b"0.00000000", m[3])))
        edit(lines, updates[1::8], lambda ln: sub(ln, rb'\{"([ab])":\[', rb'{"\1":[],"\1":['))
        edit(lines, updates[2::8], lambda ln: sub(ln, rb'\{"a":\[', b'{"b":[],"a":[')
             if b'{"a":[' in ln else sub(ln, rb'\{"b":\[', b'{"a":[],"b":['))
        edit(lines, updates[3::8],
             lambda ln: sub(ln, rb'\{("[ab]":\[.*\]),"c"', rb'{"a":[],"b":[],"c"'))
        return lines
    return kraken(tmp_path, change, again=True)


@case
def kr_huge_frames(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = kr_updates(lines, b"XMR/USD")
        for k, i in enumerate(updates[3:24:7]):
            n = 17_000 if k == 0 else 2_000
            frame = json.loads(payload_of(lines[i]))
            # worst levels first (each insert lands at the top: no quadratic shifting),
            # except in the smaller frames
            order = (lambda j, n=n: n - j) if k == 0 else (lambda j: j)
            frame[1] = {"a": [[f"{400 + order(j) * 0.01:.2f}", f"{1 + j % 5}.00000000",
                               "1618678133.500000"] for j in range(n)],
                        "b": [[f"{300 - order(j) * 0.01:.2f}", "1.50000000",
                               "1618678133.400000"] for j in range(n)], "c": "0"}
            lines[i] = stamp_of(lines[i]) + b": " + json.dumps(
                frame, separators=(",", ":")).encode()
        return lines
    return kraken(tmp_path, change)


@case
def kr_receive_stamps_going_backwards(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = kr_updates(lines)
        for a, b in zip(updates[5::30], updates[25::30], strict=False):
            sa, sb = stamp_of(lines[a]), stamp_of(lines[b])
            lines[a], lines[b] = with_stamp(lines[a], sb), with_stamp(lines[b], sa)
        for i in updates[300:320]:
            lines[i] = with_stamp(lines[i], b"1618678100.5")
        return lines
    return kraken(tmp_path, change)


@case
def kr_gzip_truncated(tmp_path: Path) -> Path:
    return kraken(tmp_path, lambda lines: lines, gz=True, cut=0.97)


@case
def kr_no_newline_at_end(tmp_path: Path) -> Path:
    return kraken(tmp_path, lambda lines: lines[:kr_updates(lines)[-1] + 1],
                  newline_at_end=False)


# Binance: depthUpdate and bookTicker frames, with the REST snapshots beside the capture

def bn_depth(lines: Lines, symbol: bytes | None = None) -> list[int]:
    needles = [b'"e":"depthUpdate"'] + ([b'"s":"' + symbol + b'"'] if symbol else [])
    return indices(lines, *needles)


def bn_tickers(lines: Lines, symbol: bytes | None = None) -> list[int]:
    needles = [b'@bookTicker"'] + ([b'"s":"' + symbol + b'"'] if symbol else [])
    return indices(lines, *needles)


def rest_lines() -> Lines:
    return (WS / BINANCE_HTTP).read_bytes().rstrip(b"\n").split(b"\n")


def resync(lines: Lines, every: int = 12) -> Callable[[Lines], Lines]:
    """REST snapshots of NKNUSDT and LRCBTC taken again every `every` updates (before the
    frames are perturbed: each fits the update after it), so books come back."""
    extra: list[Callable[[Lines], Lines]] = []
    for symbol in (b"NKNUSDT", b"LRCBTC"):
        depth = bn_depth(lines, symbol)
        for k in range(every, len(depth) - 1, every):
            u = int(re.search(rb'"u":(\d+)', lines[depth[k]])[1])
            extra.append(rest_again(symbol, later(stamp_of(lines[depth[k + 1]]), -1), u))

    def change(http: Lines) -> Lines:
        for add in extra:
            http = add(http)
        return http
    return change


def binance(tmp_path: Path, change: Callable[[Lines], Lines],
            rest: Callable[[Lines], Lines] | None = None, again: bool = False,
            **kw: Any) -> Path:
    header, lines = capture(BINANCE)
    http = rest_lines() if rest is None else rest(rest_lines())
    if again:
        http = resync(lines)(http)
    return write(tmp_path, BINANCE, header, change(lines), http_lines=http, **kw)


def seq(field: bytes, change: Callable[[int], bytes]) -> Callable[[bytes], bytes]:
    return lambda line: sub(line, rb'"' + field + rb'":(\d+)', lambda m: b'"' + field + b'":'
                            + change(int(m[1])))


def rest_again(symbol: bytes, stamp: bytes, last_update: int | None = None
               ) -> Callable[[Lines], Lines]:
    """The REST snapshot of `symbol` taken again at `stamp` (its lastUpdateId changed)."""
    def change(http: Lines) -> Lines:
        line = next(x for x in http if b"symbol=" + symbol + b"&" in x)
        url, _, rest = line.partition(b" -> ")
        _, _, body = rest.partition(b": ")
        if last_update is not None:
            body = sub(body, rb'"lastUpdateId":\d+', b'"lastUpdateId":%d' % last_update)
        return [*http, url + b" -> " + stamp + b": " + body]
    return change


@case
def bn_sequence_gap_then_a_new_snapshot(tmp_path: Path) -> Path:
    header, lines = capture(BINANCE)
    depth = bn_depth(lines, b"NKNUSDT")
    gap = depth[40]
    lines[gap] = seq(b"U", lambda v: b"%d" % (v + 2))(lines[gap])
    # the REST snapshot again, 20 updates later, at the u of the 10th update after it
    again = depth[60]
    u = int(re.search(rb'"u":(\d+)', lines[depth[70]])[1])
    rest = rest_again(b"NKNUSDT", later(stamp_of(lines[again]), -1), u)
    return write(tmp_path, BINANCE, header, lines, http_lines=rest(rest_lines()))


@case
def bn_stale_and_repeated_updates(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        out: Lines = []
        for k, i in enumerate(range(len(lines))):
            out.append(lines[i])
            if b"depthUpdate" in lines[i] and k % 7 == 0:
                out.append(lines[i])  # the same update twice: the second is dropped
        return out
    return binance(tmp_path, change)


@case
def bn_odd_sequence_numbers(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        depth = bn_depth(lines, b"NKNUSDT")
        forms = [(b"U", lambda v: b"%d" % (v + 10**18)), (b"u", lambda v: b"9223372036854775808"),
                 (b"u", lambda v: b"9223372036854775807"), (b"U", lambda v: b"0"),
                 (b"u", lambda v: b"%d" % (v - 5)), (b"U", lambda v: b"%d" % (v + 1)),
                 (b"u", lambda v: b"%d.0" % v), (b"U", lambda v: b"-1"),
                 (b"u", lambda v: b"%de0" % v), (b"U", lambda v: b'"%d"' % v),
                 (b"u", lambda v: b"1" + b"0" * 18), (b"U", lambda v: b"0%d" % v)]
        for k, (field, form) in enumerate(forms):
            edit(lines, depth[30 + 9 * k:31 + 9 * k], seq(field, form))
        return lines
    return binance(tmp_path, change, again=True)


@case
def bn_event_times(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        depth = bn_depth(lines)
        forms = [b"0", b"9214646399999", b"9214646400000", b"9223372036854775807",
                 b"-1633998512068", b"1633998512068.5", b'"1633998512068"', b"true",
                 b"1633998512e3", b"01633998512068", b"1" + b"0" * 19]
        for k, form in enumerate(forms):
            edit(lines, depth[20 + 11 * k:21 + 11 * k],
                 lambda ln, form=form: sub(ln, rb'"E":\d+', b'"E":' + form))
        return lines
    return binance(tmp_path, change, again=True)


@case
def bn_level_texts(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        depth = bn_depth(lines)
        forms: list[Callable[[bytes], bytes]] = [
            lambda t: b"00" + t, digits_to(17), digits_to(19), digits_to(16, b"9"),
            lambda t: t.rstrip(b"0").rstrip(b"."), lambda t: b"0", lambda t: t + b"e0",
            lambda t: b"-" + t, lambda t: b"\\u0030" + t, lambda t: "０".encode() + t,
            lambda t: b"1_000", lambda t: b" " + t]
        for k, form in enumerate(forms):
            edit(lines, depth[k::len(forms) + 1], numbers(form, count=2))
        return lines
    return binance(tmp_path, change, again=True)


@case
def bn_book_tickers(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        tickers = bn_tickers(lines, b"NKNUSDT")
        def quote(bid: bytes, bid_size: bytes, ask: bytes, ask_size: bytes
                  ) -> Callable[[bytes], bytes]:
            return lambda ln: sub(ln, rb'"b":"[^"]*","B":"[^"]*","a":"[^"]*","A":"[^"]*"',
                                 b'"b":"%s","B":"%s","a":"%s","A":"%s"'
                                 % (bid, bid_size, ask, ask_size))
        forms = [quote(b"0.35300000", b"1.0", b"0.35200000", b"2.0"),  # crossed
                 quote(b"0.35250000", b"1.0", b"0.35250000", b"2.0"),  # locked
                 quote(b"0", b"1.0", b"0.35250000", b"2.0"),  # zero bid
                 quote(b"0.35210000", b"0", b"0.35250000", b"0.00000000"),  # zero sizes
                 quote(b"0.35210000", b"-1", b"0.35250000", b"1"),  # negative size
                 quote(b"00.3521", b"672.000000000000000000", b"0.3525", b"1e3"),
                 lambda ln: sub(ln, rb'\{"u":(\d+),"s":"(\w+)",', rb'{"s":"\2","u":\1,'),
                 lambda ln: sub(ln, rb'"A":"([^"]*)"\}', rb'"A":"\1","E":1}'),
                 lambda ln: sub(ln, rb'"u":\d+,', b''),
                 lambda ln: ln.replace(b'","', b'", "'),
                 lambda ln: sub(ln, rb'"u":\d+', b'"u":99999999999999999999'),
                 lambda ln: sub(ln, rb'"s":"NKNUSDT"', b'"s":"nknusdt"')]
        for k, form in enumerate(forms):
            edit(lines, tickers[3 + 5 * k:4 + 5 * k], form)
        # and quotes received out of order
        for i in tickers[65:68]:
            lines[i] = with_stamp(lines[i], b"1633998500.5")
        return lines
    return binance(tmp_path, change, again=True)


@case
def bn_quotes_while_the_book_is_stale(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        depth = bn_depth(lines, b"NKNUSDT")
        lines[depth[20]] = seq(b"U", lambda v: b"%d" % (v + 3))(lines[depth[20]])
        return lines
    return binance(tmp_path, change, again=True)


@case
def bn_symbols_and_stream_names(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        depth = bn_depth(lines)
        edit(lines, depth[5::13], lambda ln: ln.replace(b'"s":"NKNUSDT"', b'"s":"nknusdt"'))
        edit(lines, depth[6::13], lambda ln: sub(ln, rb'"s":"\w+"', b'"s":"FOOBAR"'))
        edit(lines, depth[7::13], lambda ln: sub(ln, rb'"stream":"(\w+)@', rb'"stream":"\1\\/'))
        edit(lines, depth[8::13],
             lambda ln: sub(ln, rb'"stream":"(\w+)@', '"stream":"\\1é'.encode()))
        edit(lines, depth[9::13], lambda ln: sub(ln, rb'"s":"(\w+)"', rb'"s":"\1\\u0041"'))
        edit(lines, depth[10::13], lambda ln: sub(ln, rb'"stream":"[^"]*"', b'"stream":""'))
        edit(lines, depth[11::13], lambda ln: sub(ln, rb'"s":"\w+"', b'"s":""'))
        return lines
    return binance(tmp_path, change, again=True)


@case
def bn_layouts(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        depth = bn_depth(lines)
        forms: list[Callable[[bytes], bytes]] = [
            lambda ln: ln.replace(b'"b":[', b'"b": ['),
            lambda ln: stamp_of(ln) + b": " + json.dumps(json_of(ln)).encode(),
            lambda ln: sub(ln, rb'("b":\[.*\]),("a":\[.*\])\}\}', rb'\2,\1}}'),
            lambda ln: sub(ln, rb'\}\}$', b',"x":[1,2]}}'),
            lambda ln: sub(ln, rb'"a":\[.*\]\}\}$', b'"a":[]}}'),
            lambda ln: sub(ln, rb'"b":\[.*\],"a"', b'"b":[],"a"'),
            lambda ln: sub(ln, rb'"b":\[.*\]\}\}$', b'"b":[],"a":[]}}'),
            lambda ln: sub(ln, rb'^([^:]*): \{"stream":"[^"]*","data":', rb'\1: ')[:-1],
            lambda ln: sub(ln, rb'"e":"depthUpdate",', b'"e":"depthUpdate","e":"depthUpdate",'),
            lambda ln: ln + b"   ",
            lambda ln: sub(ln, rb'\[\["([^"]*)","([^"]*)"\]', rb'[["\1","\2","x"]'),
        ]
        for k, form in enumerate(forms):
            edit(lines, depth[2 + k::len(forms) + 2], form)
        return lines
    return binance(tmp_path, change, again=True)


@case
def bn_huge_frames(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        depth = bn_depth(lines, b"NKNUSDT")
        for k, i in enumerate(depth[10:40:10]):
            n = 17_000 if k == 0 else 3_000
            msg = json_of(lines[i])
            order = (lambda j, n=n: n - j) if k == 0 else (lambda j: j)
            msg["data"]["b"] = [[f"{0.30 - order(j) * 1e-6:.8f}", "5.00000000"]
                                for j in range(n)]
            msg["data"]["a"] = [[f"{0.40 + order(j) * 1e-6:.8f}", "5.00000000"]
                                for j in range(n)]
            lines[i] = stamp_of(lines[i]) + b": " + json.dumps(msg, separators=(",", ":")).encode()
        return lines
    return binance(tmp_path, change)


@case
def bn_receive_times_around_the_snapshots(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        snaps = [stamp_of(line.partition(b" -> ")[2]) for line in rest_lines()]
        depth = bn_depth(lines)
        for k, stamp in enumerate(snaps):
            i = next(j for j in depth if stamp_of(lines[j]) > stamp)
            # the next frames received at the snapshot's time, 1 µs before, and back in time
            lines[i] = with_stamp(lines[i], stamp)
            lines[i + 1] = with_stamp(lines[i + 1], later(stamp, -1))
            if k % 2:
                lines[i + 2] = with_stamp(lines[i + 2], later(stamp, -10**6))
        return lines
    return binance(tmp_path, change)


@case
def bn_rest_snapshot_texts(tmp_path: Path) -> Path:
    def rest(http: Lines) -> Lines:
        http[0] = http[0].replace(b'","', b'", "')
        http[1] = numbers(lambda t: b"0" + t, count=40)(http[1])
        http[2] = http[2].replace(b'{"lastUpdateId"', b'{"asks":[],"lastUpdateId"', 1)
        http[3] = numbers(digits_to(19), count=6)(http[3])
        return http
    return binance(tmp_path, lambda lines: lines, rest)


@case
def bn_gzip_and_no_newline(tmp_path: Path) -> Path:
    return binance(tmp_path, lambda lines: lines, gz=True, newline_at_end=False)


@case
def bn_gzip_truncated(tmp_path: Path) -> Path:
    return binance(tmp_path, lambda lines: lines, gz=True, cut=0.8)



@case
def bn_book_tickers_of_a_symbol_without_a_book(tmp_path: Path) -> Path:
    # quotes of a symbol that has no depth stream and no REST snapshot: no book
    return binance(tmp_path, lambda lines: edit(
        lines, bn_tickers(lines, b"NKNUSDT")[10:40],
        lambda ln: ln.replace(b'"s":"NKNUSDT"', b'"s":"ABCUSDT"')))


def shift_after(lines: Lines, at: int, seconds: int) -> Lines:
    """Every receive stamp from line `at` on moved `seconds` later (a silence)."""
    for i in range(at, len(lines)):
        line = lines[i]
        if line[:1].isdigit() and b": " in line:
            whole, _, frac = stamp_of(line).partition(b".")
            lines[i] = with_stamp(line, b"%d.%s" % (int(whole) + seconds, frac or b"0"))
    return lines


@case
def cb_long_silences(tmp_path: Path) -> Path:
    # the feed goes quiet for 90 s, then for 7 minutes: feeds flagged stale, bars closed
    # on time while updates arrive in runs
    return coinbase(tmp_path, lambda lines: shift_after(
        shift_after(lines, len(lines) // 3, 90), 2 * len(lines) // 3, 420))


@case
def kr_long_silences(tmp_path: Path) -> Path:
    return kraken(tmp_path, lambda lines: shift_after(
        shift_after(lines, len(lines) // 3, 75), 2 * len(lines) // 3, 300))


@case
def bn_long_silences(tmp_path: Path) -> Path:
    return binance(tmp_path, lambda lines: shift_after(
        shift_after(lines, len(lines) // 3, 65), 2 * len(lines) // 3, 200))


@case
def cb_trades_and_times_going_back_across_minutes(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        for k, i in enumerate(updates[100::120]):
            stamp = stamp_of(lines[i])
            minute = int(stamp.split(b".")[0]) // 60 * 60
            # a jump to the next minute and back, with a trade stamped in the future
            lines[i] = with_stamp(lines[i], b"%d.000001" % (minute + 60 + k))
            trade = (b': {"type":"match","trade_id":%d,"maker_order_id":"m",'
                     b'"taker_order_id":"t","side":"buy","size":"2","price":"0.5",'
                     b'"product_id":"SKL-GBP","sequence":1,'
                     b'"time":"2021-04-17T16:4%d:59.999999Z"}' % (5000 + k, 4 + k % 2))
            lines.insert(i + 1, stamp + trade)
        return lines
    return coinbase(tmp_path, change)


@case
def kr_snapshot_levels_the_text_books_cannot_hold(tmp_path: Path) -> Path:
    """Snapshot levels whose texts are no plain decimal of <= 18 digits (kept as text, the
    book then goes the Python way), later replaced by ordinary ones."""
    def change(lines: Lines) -> Lines:
        for pair, form in ((b"XMR/USD", lambda t: digits_to(19)(t)),
                           (b"SC/EUR", lambda t: t + b"e0"),
                           (b"WAVES/EUR", lambda t: b"0" * 20 + t)):
            at = kr_snapshot(lines, pair)
            frame = json.loads(payload_of(lines[at]))
            for side in ("as", "bs"):
                for j in (0, 3, 40):
                    level_ = frame[1][side][j]
                    level_[1] = form(level_[1].encode()).decode()
            lines[at] = stamp_of(lines[at]) + b": " + json.dumps(
                frame, separators=(",", ":")).encode()
            # and later those levels set again, plainly
            j = kr_updates(lines, pair)[30]
            again = [frame[0], {"a": [[lv[0], "1.00000000", "1618678140.000000"]
                                      for lv in frame[1]["as"][:4]],
                                "b": [[lv[0], "1.00000000", "1618678140.000000"]
                                      for lv in frame[1]["bs"][:4]], "c": "0"},
                     frame[2], frame[3]]
            lines.insert(j, stamp_of(lines[j]) + b": " + json.dumps(
                again, separators=(",", ":")).encode())
        return lines
    return kraken(tmp_path, change)


@case
def cb_lines_across_read_blocks(tmp_path: Path) -> Path:
    """The scanned reading reads 1 MiB blocks: big control frames put block ends 5 bytes
    into an update, right after an update's "\n" and right before it."""
    header, lines = capture(COINBASE)
    block = 1 << 20
    updates = cb_updates(lines)
    out = lines[:updates[50]]
    size = sum(len(line) + 1 for line in out)  # bytes after the header line so far
    rest = lines[updates[50]:]
    stamp = stamp_of(rest[0])
    head, tail = stamp + b': {"type":"subscriptions","channels":[],"pad":"', b'"}'
    for k in range(3):
        update = rest[0]
        end = (k + 1) * block  # where a block ends, counted after the header line
        pad_end = (end - 5, end - len(update) - 1, end - len(update))[k]
        out.append(head + b"x" * (pad_end - size - len(head) - len(tail) - 1) + tail)
        size = pad_end
        take, rest = rest[:40], rest[40:]
        out.extend(take)
        size += sum(len(line) + 1 for line in take)
    out.extend(rest)
    return write(tmp_path, COINBASE, header, out)


# Numbers whose 19 digits make an integer beyond 2**63 (an int64 digit accumulator wraps to
# a negative value there): "9.851000000000000000", "98510000000000000.00", ...
BEYOND_2_63 = [b"9.851000000000000000", b"98510000000000000.00", b"9851000000000000000",
               b"0.9999999999999999999", b"99999999999999999999"]


def beyond_2_63(k: int) -> Callable[[bytes], bytes]:
    return lambda text: BEYOND_2_63[k % len(BEYOND_2_63)]


@case
def cb_19_digit_numbers_beyond_2_63(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        for k, i in enumerate(cb_updates(lines)[::15]):
            lines[i] = numbers(beyond_2_63(k), count=1 + k % 2)(lines[i])
        return lines
    return coinbase(tmp_path, change, again=True)


@case
def kr_19_digit_volumes_beyond_2_63(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        for k, i in enumerate(kr_updates(lines)[::15]):
            lines[i] = kr_levels(lambda m, k=k: level(m[1], beyond_2_63(k)(m[2]), m[3]))(
                lines[i])
        return lines
    return kraken(tmp_path, change, again=True)


@case
def bn_19_digit_numbers_beyond_2_63(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        for k, i in enumerate(bn_depth(lines)[::9]):
            lines[i] = numbers(beyond_2_63(k), count=2)(lines[i])
        for k, i in enumerate(bn_tickers(lines)[::9]):
            lines[i] = numbers(beyond_2_63(k), count=2)(lines[i])
        return lines
    return binance(tmp_path, change, again=True)


# Late trades: a trade whose bar is already due when it arrives (a venue's last trade sent
# on subscribing, minutes old) makes the next update's time one at which bars close. When
# it arrives at the same receive time as the updates read before and after it, the
# per-event replay closes that bar at the next receive time (time is told once per
# receive time); the runs must do the same.

def late_trade_between(lines: Lines, updates: list[int], trade: Callable[[bytes], bytes],
                       at: int = 200) -> Lines:
    """`trade(stamp)` inserted after an update that follows another update of a different
    receive time, and followed by a copy of the next update, both at that update's time."""
    chosen = set(updates)
    i = next(i for i in updates[at:] if i - 1 in chosen and i + 1 in chosen
             and stamp_of(lines[i - 1]) != stamp_of(lines[i]))
    stamp = stamp_of(lines[i])
    lines[i + 1:i + 1] = [trade(stamp), with_stamp(lines[i + 1], stamp)]
    return lines


@case
def cb_late_trade_at_the_time_of_the_updates_around_it(tmp_path: Path) -> Path:
    def trade(stamp: bytes) -> bytes:
        return stamp + (b': {"type":"last_match","trade_id":999999,"maker_order_id":"m",'
                        b'"taker_order_id":"t","side":"sell","size":"1.5","price":"0.01",'
                        b'"product_id":"NEW-USD","sequence":1,'
                        b'"time":"2021-04-17T16:38:37.089723Z"}')
    return coinbase(tmp_path, lambda lines: late_trade_between(lines, cb_updates(lines), trade))


@case
def kr_late_trade_at_the_time_of_the_updates_around_it(tmp_path: Path) -> Path:
    def trade(stamp: bytes) -> bytes:
        return stamp + (b': [993,[["354.11000000","0.89594024","1618677842.557535","s","l",'
                        b'""]],"trade","XMR/USD"]')
    return kraken(tmp_path, lambda lines: late_trade_between(lines, kr_updates(lines), trade))


@case
def bn_late_trade_at_the_time_of_the_updates_around_it(tmp_path: Path) -> Path:
    def trade(stamp: bytes) -> bytes:
        return stamp + (b': {"stream":"blzeth@aggTrade","data":{"e":"aggTrade",'
                        b'"E":1633998223963,"s":"BLZETH","a":15683430,"p":"0.00006550",'
                        b'"q":"58.00000000","f":19862790,"l":19862790,"T":1633998223963,'
                        b'"m":false,"M":true}}')
    return binance(tmp_path, lambda lines: late_trade_between(
        lines, bn_depth(lines, b"NKNUSDT"), trade, at=90))

@pytest.mark.parametrize("name", sorted(CASES))
def test_scanned_replay_equals_line_replay(name: str, tmp_path: Path) -> None:
    path = CASES[name](tmp_path)
    check(path, tmp_path)


WATCHED = ["cb_updates_that_cross_or_lock_the_book", "cb_long_silences", "kr_republish_flags",
           "kr_crossing_updates_with_good_checksums", "kr_shallow_subscriptions",
           "bn_book_tickers", "bn_sequence_gap_then_a_new_snapshot"]


@pytest.mark.parametrize("name", WATCHED)
def test_scanned_replay_equals_line_replay_with_every_book_update_heard(
        name: str, tmp_path: Path) -> None:
    check(CASES[name](tmp_path), tmp_path, watch_books=True)
