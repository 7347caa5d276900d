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
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from plugins.replay.formats import open_recording
from plugins.replay.formats.cryptofeed_kraken import KrakenDecoder
from plugins.replay.formats.timeparse import recv_bytes_to_ns
from terminal.kernels.array_book import ArrayBook
from terminal.app import Engine, EngineOptions
from terminal.core.topics import Kind
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
KEEP_LINES = {COINBASE: 2500, KRAKEN: 1200, BINANCE: 10_000}
TIMINGS = {"wall_seconds", "run_seconds", "events_per_second"}
KINDS = (Kind.QUOTE, Kind.BOOK_STATUS, Kind.QUALITY, Kind.TRADE, Kind.BAR)

Lines = list[bytes]  # the capture's lines after the header, without their b"\n"


# -- the captures, and editing their frames as text ------------------------------------

@lru_cache(maxsize=None)
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
    """NaN-safe, order-keeping form of nested values for ==."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return [(norm(k), norm(v)) for k, v in value.items()]
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
    a = {"events": norm(by_line), "raw": norm([raw_of(e) for _, e in by_line]),
         "report": norm(report_of(line_report))}
    b = {"events": norm(flat), "raw": norm([raw_of(e) for _, e in flat]),
         "report": norm(report_of(scan_report))}
    return a, b, runs


def play(path: Path, scan: bool, data_dir: Path) -> dict[str, Any]:
    async def scenario() -> dict[str, Any]:
        engine = Engine(EngineOptions(data_dir=data_dir, replay_paths=[path], speed="max"))
        create = engine.registry.create

        def create_with_scan(plugin_id: str, context: Any, settings: dict[str, Any]) -> Any:
            if plugin_id == "replay":
                settings = {**settings, "scan": scan}
            return create(plugin_id, context, settings)

        engine.registry.create = create_with_scan  # type: ignore[method-assign]
        seen: list[tuple[str, str, int]] = []
        for kind in KINDS:
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
            "clock": engine.clock.now_ns(),
        }
        await engine.stop()
        summary = engine.summary()
        state["summary"] = {k: v for k, v in summary.items() if k not in TIMINGS}
        return state

    return asyncio.run(scenario())


def check(path: Path, tmp_path: Path) -> None:
    by_line, scanned, _ = read_both(path)
    for key in by_line:
        assert scanned[key] == by_line[key], f"the readings differ in {key}"
    one_by_one = play(path, False, tmp_path / "engine-lines")
    in_runs = play(path, True, tmp_path / "engine-runs")
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


def coinbase(tmp_path: Path, change: Callable[[Lines], Lines], **kw: Any) -> Path:
    header, lines = capture(COINBASE)
    return write(tmp_path, COINBASE, header, change(lines), **kw)


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
        return (text + tail).rstrip(b".") if not tail else text + tail
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
    return coinbase(tmp_path, change)


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
    return coinbase(tmp_path, change)


@case
def cb_zero_sizes_and_prices(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        size = rb'(\["(?:buy|sell)","[^"]*",")[^"]*(")'
        edit(lines, updates[0::10], lambda l: sub(l, size, rb"\g<1>0\g<2>"))
        edit(lines, updates[1::10], lambda l: sub(l, size, rb"\g<1>0.0\g<2>"))
        edit(lines, updates[2::10], lambda l: sub(l, size, rb"\g<1>0000.000\g<2>"))
        price = rb'(\["(?:buy|sell)",")[^"]*(")'
        edit(lines, updates[3::10], lambda l: sub(l, price, rb"\g<1>0\g<2>"))
        edit(lines, updates[4::10], lambda l: sub(l, price, rb"\g<1>0.0\g<2>"))
        return lines
    return coinbase(tmp_path, change)


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
    return coinbase(tmp_path, change)


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
    return coinbase(tmp_path, change)


@case
def cb_duplicated_keys(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        edit(lines, updates[0::13], lambda l: l[:-1] + b',"product_id":"SKL-GBP"}')
        edit(lines, updates[1::13], lambda l: l[:-1] + b',"changes":[]}')
        edit(lines, updates[2::13], lambda l: l[:-1] + b',"time":"2021-04-17T16:43:38.000000Z"}')
        edit(lines, updates[3::13], lambda l: l.replace(b'{"type":"l2update",',
                                                        b'{"type":"match","type":"l2update",'))
        edit(lines, updates[4::13], lambda l: l[:-1] + b',"type":"heartbeat"}')
        return lines
    return coinbase(tmp_path, change)


@case
def cb_escapes_and_non_ascii(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        edit(lines, updates[0::9], lambda l: l.replace(b'"l2update"', b'"l2\\u0075pdate"'))
        edit(lines, updates[1::9], lambda l: sub(l, rb'"product_id":"(\w+)-', rb'"product_id":"\1\\u002d'))
        edit(lines, updates[2::9], lambda l: l.replace(b'["buy"', b'["b\\u0075y"'))
        edit(lines, updates[3::9], lambda l: l.replace(b'"time":"2021', b'"time":"\\u00321'))
        edit(lines, updates[4::9], lambda l: l.replace(b'"time":"2021', "\"time\":\"２021".encode()))
        edit(lines, updates[5::9], lambda l: l.replace(b'Z"}', b'Z", "note":"\xc3\xa9"}'))
        edit(lines, updates[6::9], lambda l: l.replace(b'Z"}', b'Z", "note":"\xff"}'))
        return lines
    return coinbase(tmp_path, change)


@case
def cb_unknown_and_lowercase_products(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        edit(lines, updates[0::8], lambda l: sub(l, rb'"product_id":"[^"]*"', b'"product_id":"FOO-BAR"'))
        edit(lines, updates[1::8], lambda l: sub(l, rb'"product_id":"([^"]*)"',
                                                 lambda m: b'"product_id":"' + m.group(1).lower() + b'"'))
        edit(lines, updates[2::8], lambda l: sub(l, rb'"product_id":"([^"]*)"',
                                                 lambda m: b'"product_id":"' + m.group(1).title() + b'"'))
        edit(lines, updates[3::8], lambda l: sub(l, rb'"product_id":"[^"]*"', b'"product_id":""'))
        edit(lines, updates[4::8], lambda l: sub(l, rb'"product_id":"[^"]*"', b'"product_id":" "'))
        edit(lines, updates[5::8], lambda l: sub(l, rb'"product_id":"[^"]*"',
                                                 b'"product_id":"A-VERY-LONG-PRODUCT-NAME-OF-40-CHARS-X"'))
        return lines
    return coinbase(tmp_path, change)


@case
def cb_empty_and_odd_changes(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines)
        changes = rb'"changes":\[.*\],"time"'
        edit(lines, updates[0::11], lambda l: sub(l, changes, b'"changes":[],"time"'))
        edit(lines, updates[1::11], lambda l: sub(l, changes, b'"changes":[[]],"time"'))
        edit(lines, updates[2::11], lambda l: sub(l, changes, b'"changes":[["buy","1.0"]],"time"'))
        edit(lines, updates[3::11], lambda l: sub(l, changes, b'"changes":[["buy","1.0","2","3"]],"time"'))
        edit(lines, updates[4::11], lambda l: sub(l, changes, b'"changes":[["BUY","1.0","2"]],"time"'))
        edit(lines, updates[5::11], lambda l: sub(l, changes, b'"changes":{},"time"'))
        edit(lines, updates[6::11], lambda l: sub(l, changes, b'"changes":[["buy",1.0,"2"]],"time"'))
        return lines
    return coinbase(tmp_path, change)


@case
def cb_huge_frames(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = cb_updates(lines, b"SKL-GBP")
        for k, i in enumerate(updates[5:40:5]):
            msg = json_of(lines[i])
            n = 20_000 if k == 0 else 3_000
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
                                                 lambda l: l + b"\r"))


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
            edit(lines, updates[k::len(forms) * 2], lambda l: with_stamp(l, form(stamp_of(l))))
        return lines
    return coinbase(tmp_path, change)


@case
def cb_receive_stamps_with_21_digits_before_the_point(tmp_path: Path) -> Path:
    # leading zeros: 000000000001618677817.118783 is the same time, but 21 digits long
    return coinbase(tmp_path, lambda lines: edit(
        lines, cb_updates(lines)[::50], lambda l: b"0" * 11 + l))


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
            lines[i] = with_stamp(lines[i], b"%d.5" % (int(stamp_of(lines[i]).split(b".")[0]) + 120))
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
                 lambda l: sub(l, rb'"time":"[^"]*"', b'"time":"' + form + b'"'))
        return lines
    return coinbase(tmp_path, change)


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
            kind = product[:3]
            if product == b"SKL-GBP":  # buy at the best ask: locked
                change = [("buy", ask, "1.0")]
            elif product == b"SKL-USD":  # sell below the best bid: crossed
                change = [("sell", str(float(bid) / 2), "1.0")]
            elif product == b"NU-GBP":  # crossed, then uncrossed in the same frame
                change = [("buy", ask, "1.0"), ("buy", ask, "0")]
            else:  # the best ask deleted and a bid put there
                change = [("sell", ask, "0"), ("buy", ask, "3")]
            assert kind
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
            edit(lines, tickers[k::len(forms)], lambda l: sub(
                sub(l, rb'"best_bid":"[^"]*"', b'"best_bid":"' + bid + b'"'),
                rb'"best_ask":"[^"]*"', b'"best_ask":"' + ask + b'"'))
        return lines
    return coinbase(tmp_path, change)


@case
def cb_many_products(tmp_path: Path) -> Path:
    # 40 copies of two products (snapshot and updates), more than every table holds at first
    def change(lines: Lines) -> Lines:
        out: Lines = []
        for line in lines:
            out.append(line)
            if b'"product_id":"SKL-GBP"' in line or b'"product_id":"NU-GBP"' in line:
                for k in range(40):
                    out.append(line.replace(b'"product_id":"SKL-GBP"',
                                            b'"product_id":"S%02d-GBP"' % k)
                                   .replace(b'"product_id":"NU-GBP"',
                                            b'"product_id":"N%02d-GBP"' % k))
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
                 stamp + b": {}", stamp + b": []", stamp + b": null", stamp + b": {\"type\":\"heartbeat\"}",
                 stamp + b": {\"type\":\"l2update\"}", b"wss://ws-feed.pro.coinbase.com <- " + stamp + b": {}",
                 stamp + b":{\"type\":\"heartbeat\"}", stamp + b"  : {}", b"\xff\xfe"]
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
           **kw: Any) -> Path:
    header, lines = capture(KRAKEN)
    lines = change(lines)
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
            edit(lines, updates[k::12], kr_levels(lambda m: level(m[1], m[2], m[3], form)))
        edit(lines, updates[6::12], kr_levels(lambda m: level(m[1], m[2], m[3], b"r", b"r")))
        edit(lines, updates[7::12], kr_levels(lambda m: m[0][:-1] + b',1]'))
        edit(lines, updates[8::12], kr_levels(lambda m: m[0][:-1] + b',null]'))
        edit(lines, updates[9::12], kr_levels(lambda m: b'["' + m[1] + b'","' + m[2] + b'"]'))
        return lines
    return kraken(tmp_path, change)


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
        edit(lines, updates[0::9], lambda l: sub(l, rb'\{("[ab]":\[.*\]),("c":"\d+")\}', rb'{\2,\1}'))
        edit(lines, updates[1::9], lambda l: sub(l, rb'\{("[ab]":\[.*\]),', rb'{\1,\1,'))
        edit(lines, updates[2::9], lambda l: sub(l, rb'("c":"\d+")', rb'\1,\1'))
        edit(lines, updates[3::9], lambda l: l.replace(b'","', b'", "'))
        edit(lines, updates[4::9], lambda l: l.replace(b',{', b', {', 1))
        edit(lines, updates[5::9], lambda l: l[:-1] + b' ]')
        edit(lines, updates[6::9], lambda l: sub(l, rb'("[ab]":)', rb'\1 '))
        edit(lines, updates[7::9], lambda l: sub(l, rb'("c":"\d+")', rb'\1,"x":1'))
        return lines
    return kraken(tmp_path, change)


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
    def change(lines: Lines) -> Lines:
        return lines
    header, lines = capture(KRAKEN)
    lines = fix_checksums(lines)
    edit(lines, kr_updates(lines)[::4], lambda l: sub(l, rb'"c":"(\d+)"',
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
        lambda m: level(m[1].split(b".")[0], m[2], m[3]) if b"." in m[1] and int(m[1].split(b".")[0]) else m[0],
        lambda m: level(m[1], b"0", m[3]),
        lambda m: level(m[1], b"0.0", m[3]),
        lambda m: level(m[1], m[2] + b"e0", m[3]),
        lambda m: level(m[1], b"0" + m[2], m[3], b"r"),
    ]

    def change(lines: Lines) -> Lines:
        for k, form in enumerate(forms):
            edit(lines, kr_updates(lines)[k::len(forms) + 1], kr_levels(form))
        return lines
    return kraken(tmp_path, change)


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
                 kr_levels(lambda m: level(m[1], m[2], form(m[3]))))
        return lines
    return kraken(tmp_path, change)


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
        edit(lines, updates[0::7], lambda l: sub(l, rb'"([A-Z/]+)"\]$', b'"FOO/BAR"]'))
        edit(lines, updates[1::7], lambda l: sub(l, rb'"([A-Z/]+)"\]$', lambda m: b'"' + m[1].lower() + b'"]'))
        edit(lines, updates[2::7], lambda l: sub(l, rb'"([A-Z/]+)"\]$', b'"XMR\\/USD"]'))
        edit(lines, updates[3::7], lambda l: sub(l, rb'"([A-Z/]+)"\]$', b'""]'))
        edit(lines, updates[4::7], lambda l: sub(l, rb'"([A-Z/]+)"\]$', b'"XMR/USD.d"]'))
        return lines
    return kraken(tmp_path, change, fix=False)


@case
def kr_channel_names(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = kr_updates(lines)
        forms = [b'"book-10"', b'"book-"', b'"book"', b'"book-1234567"', b'"book-0"',
                 b'"book-01000"', b'"books-1000"', b'"spread"', b'"book-1000 "']
        for k, form in enumerate(forms):
            edit(lines, updates[k::len(forms) * 3], lambda l: sub(l, rb'"book-1000"', form))
        return lines
    return kraken(tmp_path, change)


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
            edit(lines, kr_updates(lines, pair), lambda l: l.replace(b'"book-1000"', name))
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
        edit(lines, updates[0::8], kr_levels(lambda m: level(b"%.2f" % (float(m[1]) * 3 + 1), b"0.00000000", m[3])))
        edit(lines, updates[1::8], lambda l: sub(l, rb'\{"([ab])":\[', rb'{"\1":[],"\1":['))
        edit(lines, updates[2::8], lambda l: sub(l, rb'\{"([ab])":\[', rb'{"\1":[')
             .replace(b',"c":', b'],"c":', 0))
        edit(lines, updates[3::8], lambda l: sub(l, rb'\{("[ab]":\[.*\]),"c"', rb'{"a":[],"b":[],"c"'))
        return lines
    return kraken(tmp_path, change)


@case
def kr_huge_frames(tmp_path: Path) -> Path:
    def change(lines: Lines) -> Lines:
        updates = kr_updates(lines, b"XMR/USD")
        for k, i in enumerate(updates[3:30:4]):
            n = 20_000 if k == 0 else 2_500
            frame = json.loads(payload_of(lines[i]))
            frame[1] = {"a": [[f"{400 + j * 0.01:.2f}", f"{1 + j % 5}.00000000",
                               "1618678133.500000"] for j in range(n)],
                        "b": [[f"{300 - j * 0.01:.2f}", "1.50000000", "1618678133.400000"]
                              for j in range(n // 2)], "c": "0"}
            lines[i] = stamp_of(lines[i]) + b": " + json.dumps(frame, separators=(",", ":")).encode()
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
    return kraken(tmp_path, lambda lines: lines, gz=True, cut=0.7)


@case
def kr_no_newline_at_end(tmp_path: Path) -> Path:
    return kraken(tmp_path, lambda lines: lines[:kr_updates(lines)[-1] + 1],
                  newline_at_end=False)

@pytest.mark.parametrize("name", sorted(CASES))
def test_scanned_replay_equals_line_replay(name: str, tmp_path: Path) -> None:
    path = CASES[name](tmp_path)
    check(path, tmp_path)
