"""Hardening of the recorded-file readers against hostile input.

The rule: a bad row/frame is skipped, counted and reported with its file, 1-based line and
field; every good row is kept; a reader raises nothing but DataError (whole-file problems).
Each case is a small file written into tmp_path from a real file of ../shared/data with one
or a few lines broken the way a tester broke them.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plugins.replay.formats import open_recording
from plugins.replay.formats.base import ReadReport, ReplayEvent
from plugins.replay.formats.timeparse import (
    MAX_NS,
    compact_to_ns,
    epoch_to_ns,
    interval_from_code,
    iso_to_ns,
    make_time_parser,
    recv_bytes_to_ns,
    slashed_to_ns,
    ymd_to_ns,
)
from terminal.core.errors import DataError
from terminal.model.instrument import Instrument
from terminal.model.market import Bar, BookDelta, BookSnapshot, Quote, Trade
from tests.data_paths import SHARED_DATA

pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(),
                                reason=f"shared data not found at {SHARED_DATA}")

YHOO = "ohlcv/backtrader__yhoo-2014.txt"  # Date,Open,...; 252 rows
TRUEFX = "ticks/nautilus__truefx_usdjpy-ticks.csv"  # timestamp,bid,ask; 1000 rows
KRAKEN_TRADES = "ticks/freqtrade__kraken_trades_BCHEUR.csv"  # headerless; 148 rows
KLINES = "ohlcv/nautilus__ADABTC-1m-2021-11-27.csv"  # headerless; 10 rows
HISTDATA = "ticks/nautilus__histdata_quote_tick_data.csv"  # headerless
ORDERFLOW = "ticks/freqtrade__orderflow_public_trades_list.csv"  # ,timestamp,id,...
CCXT_OHLCV = "ohlcv/freqtrade__UNITTEST_BTC-1m.json"
CCXT_TRADES = "ticks/freqtrade__XRP_ETH-trades.json.gz"
DEPTH_CSV = "l2/nautilus__binance_btcusdt-depth-update.csv"
TARDIS_TRADES = "ticks/nautilus__tardis_bitmex_trades_XBTUSD.csv"
BINANCE_WS = "ws/cryptofeed__BINANCE.ws.1.0"
BINANCE_HTTP = "ws/cryptofeed__BINANCE.http.0.0"
COINBASE_WS = "ws/cryptofeed__COINBASE.ws.28.0"
KRAKEN_WS = "ws/cryptofeed__KRAKEN.ws.50.0"

# lines of the real captures used below (1-based)
BINANCE_DEPTH, BINANCE_TRADE, BINANCE_KLINE = 102, 110, 111  # NKNUSDT, announced at line 2
COINBASE_L2, COINBASE_MATCH = 35, 56
KRAKEN_DELTA = 25  # XMR/USD, after its snapshot


# --------------------------------------------------------------------------- helpers


def read(path: Path) -> tuple[list[tuple[int, ReplayEvent]], ReadReport]:
    events, report = open_recording(path)
    return list(events), report


def data_of(events: list[tuple[int, ReplayEvent]]) -> list[ReplayEvent]:
    return [event for _, event in events if not isinstance(event, Instrument)]


def text_lines(relative: str) -> list[str]:
    return (SHARED_DATA / relative).read_text().splitlines()


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def edited(tmp_path: Path, relative: str, edits: dict[int, str], *, limit: int | None = None,
           name: str | None = None) -> Path:
    """A copy of a shared text file (its first `limit` lines) with 1-based lines replaced."""
    lines = text_lines(relative)[:limit]
    for lineno, text in edits.items():
        lines[lineno - 1] = text
    return write_lines(tmp_path / (name or Path(relative).name), lines)


def frame(line: str, **changes: Any) -> str:
    """A capture line with fields of its frame (of `data` when it has one) replaced."""
    stamp, _, payload = line.partition(": ")
    msg = json.loads(payload)
    target = msg.get("data", msg) if isinstance(msg, dict) else msg
    target.update(changes)
    return f"{stamp}: {json.dumps(msg, separators=(',', ':'))}"


def kline(line: str, **changes: Any) -> str:
    stamp, _, payload = line.partition(": ")
    msg = json.loads(payload)
    msg["data"]["k"].update(changes)
    return f"{stamp}: {json.dumps(msg, separators=(',', ':'))}"


def capture(tmp_path: Path, relative: str, limit: int,
            edits: dict[int, str | Callable[[str], str]]) -> Path:
    """The first `limit` lines of a shared capture with some lines replaced or edited."""
    lines = text_lines(relative)[:limit]
    for lineno, edit in edits.items():
        lines[lineno - 1] = edit(lines[lineno - 1]) if callable(edit) else edit
    return write_lines(tmp_path / Path(relative).name, lines)


def one_problem(report: ReadReport, line: int, field: str | None,
                reason: str | None = None) -> None:
    assert report.bad_rows == 1, report.problems
    (problem,) = report.problems
    assert (problem.source, problem.line, problem.field) == (report.source, line, field)
    if reason is not None:
        assert re.search(reason, problem.reason), problem.reason


@pytest.fixture(scope="module")
def clean_counts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """Data events of the unmodified capture prefixes used by the frame tests."""
    folder = tmp_path_factory.mktemp("clean")
    counts = {}
    for relative, limit in ((BINANCE_WS, 120), (COINBASE_WS, 60), (KRAKEN_WS, 30)):
        events, report = read(capture(folder, relative, limit, {}))
        assert report.bad_rows == 0
        counts[relative] = len(data_of(events))
    return counts


# --------------------------------------------------------------------------- 1. time window


def test_every_time_parser_refuses_times_outside_the_window() -> None:
    assert iso_to_ns("1970-01-01T00:00:00Z") == 0
    assert iso_to_ns("2261-12-31T23:59:59.999999999Z") == MAX_NS - 1
    outside = [
        lambda: epoch_to_ns("99999999999"),  # year 5138
        lambda: epoch_to_ns("16753296002140000000000", "ms"),
        lambda: epoch_to_ns("9" * 5000),  # more digits than int() takes
        lambda: recv_bytes_to_ns(b"99999999999999999999.5"),
        lambda: iso_to_ns("9999-12-31T23:59:59.999999Z"),
        lambda: iso_to_ns("2262-01-01"),
        lambda: iso_to_ns("2300-01-03"),
        lambda: iso_to_ns("0001-01-03"),
        lambda: iso_to_ns("1969-12-31T23:59:59Z"),
        lambda: iso_to_ns("2021-04-17T16:43:37.0756871234", -2 * MAX_NS),
        lambda: iso_to_ns("2261-12-31T23:00:00", 3_600 * 10**9),
        lambda: compact_to_ns("99991231 235959999"),
        lambda: ymd_to_ns("19691231"),
        lambda: slashed_to_ns("12/31/9999", day_first=False),
    ]
    for parse in outside:
        with pytest.raises(ValueError, match="outside 1970-01-01 <= t < 2262-01-01"):
            parse()


def test_absurd_epoch_text_and_zone_offsets_are_refused() -> None:
    for text in ("1e5", "-5", "1_633_998_512", "\uff11\uff16\uff13\uff13\uff19\uff19\uff18",
                 "12abc", "inf", "NaN", "0x10", " "):
        with pytest.raises(ValueError):
            epoch_to_ns(text)
    with pytest.raises(ValueError):
        recv_bytes_to_ns(b"1e5")
    assert iso_to_ns("2021-03-20T12:00:00+14:00") == iso_to_ns("2021-03-19T22:00:00Z")
    assert iso_to_ns("2021-03-20T12:00:00-14:00") == iso_to_ns("2021-03-21T02:00:00Z")
    for text in ("2021-03-20T12:00:00+14:30", "2021-03-20T12:00:00-15:00",
                 "2013-01-01 22:02:35.907000+99:00", "2013-01-01 22:02:35.9070001+20:00",
                 "2013-01-01 22:02:35+05:75"):
        with pytest.raises(ValueError, match=r"offset|ISO"):
            iso_to_ns(text)


def test_venue_intervals_are_bounded() -> None:
    assert interval_from_code("1w") == 7 * 86_400 * 10**9
    for code in ("99999999999999999999m", "0m", "1y", "60d", "1m ", "\uff11m"):
        with pytest.raises(ValueError):
            interval_from_code(code)


def test_csv_rows_outside_the_window_are_bad_rows_naming_the_field(tmp_path: Path) -> None:
    path = edited(tmp_path, YHOO, {
        3: "9999-01-03,40.16,40.44,39.82,40.12,40.12,15755200",
        4: "0001-01-06,40.05,40.30,39.75,39.93,39.93,12467500",
        5: "2300-01-07,40.08,41.20,40.08,40.92,40.92,14100000",
    })
    events, report = read(path)
    assert (report.rows, report.bad_rows) == (249, 3)
    assert [(p.line, p.field) for p in report.problems] == [(3, "Date"), (4, "Date"),
                                                             (5, "Date")]
    assert all(0 <= ts < MAX_NS for ts, _ in events)
    quotes = edited(tmp_path, TRUEFX, {3: "9999-12-31 23:59:59.999999+00:00,86.6,86.7",
                                       4: "2013-01-01 22:02:35.907000+99:00,86.6,86.7",
                                       5: "2013-01-01 22:02:36.907000+05:30,86.6,86.7"})
    events, report = read(quotes)
    assert (report.rows, report.bad_rows) == (998, 2)
    assert [(p.line, p.field) for p in report.problems] == [(3, "timestamp"), (4, "timestamp")]


@pytest.mark.parametrize(("relative", "lineno", "text", "field"), [
    (ORDERFLOW, 3, "1,16753296002140000000000,1206419188,,sell,1666.79,0.152,253.35,x",
     "timestamp"),
    (KLINES, 3, "9999999999999999,0.00002859,0.00002860,0.00002857,0.00002859,26547.3,"
                "9999999999999999,0.75867802,50,5425.9,0.15506127,0", "open_time"),
    (TARDIS_TRADES, 3, "bitmex,XBTUSD,9999999999999999999,1583020803336743,b4,sell,8531.5,1",
     "timestamp"),
    (DEPTH_CSV, 3, "BTCUSDT,99999999999999999,2098041693435,2098041696700,a,set,20472.9,0.0,"
                   "2098041693400", "timestamp"),
    (KRAKEN_TRADES, 3, "99999999999,90.36,0.286", "timestamp"),
    (HISTDATA, 3, "22631231 170010498,1.121170,1.121610,0", "datetime"),
])
def test_epoch_columns_outside_the_window_are_bad_rows(tmp_path: Path, relative: str,
                                                       lineno: int, text: str,
                                                       field: str) -> None:
    clean = len(text_lines(relative)) - (1 if relative in (ORDERFLOW, TARDIS_TRADES,
                                                            DEPTH_CSV) else 0)
    events, report = read(edited(tmp_path, relative, {lineno: text}))
    assert report.rows == clean - 1
    one_problem(report, lineno, field)
    assert all(0 <= ts < MAX_NS for ts, _ in events)


def test_ccxt_json_times_outside_the_window_are_bad_records(tmp_path: Path) -> None:
    records = json.loads((SHARED_DATA / CCXT_OHLCV).read_text())[:50]
    records[2][0] = 10**17
    records[3][0] = -5
    path = tmp_path / "src__ohlcv.json"
    path.write_text(json.dumps(records))
    _events, report = read(path)
    assert (report.rows, report.bad_rows) == (48, 2)
    assert [(p.line, p.field) for p in report.problems] == [(3, "timestamp"),
                                                             (4, "timestamp")]


@pytest.mark.parametrize(("relative", "lineno", "edit", "field"), [
    (BINANCE_WS, BINANCE_DEPTH,
     lambda line: "99999999999999999999.5: " + line.partition(": ")[2], "receive time"),
    (BINANCE_WS, BINANCE_DEPTH, lambda line: frame(line, E=10**17), "E"),
    (BINANCE_WS, BINANCE_TRADE, lambda line: frame(line, T=10**22), "T"),
    (BINANCE_WS, BINANCE_TRADE, lambda line: frame(line, T=-5), "T"),
    (BINANCE_WS, BINANCE_KLINE, lambda line: kline(line, t=10**17, x=True), "t"),
    (BINANCE_WS, BINANCE_KLINE, lambda line: kline(line, T=10**17), "T"),
    (COINBASE_WS, COINBASE_L2, lambda line: frame(line, time="9999-12-31T23:59:59.999999Z"),
     "time"),
    (COINBASE_WS, COINBASE_MATCH, lambda line: frame(line, time="1969-12-31T23:59:59Z"),
     "time"),
    (KRAKEN_WS, KRAKEN_DELTA, lambda line: line.replace("1618678133.365913", "99999999999.0"),
     "time"),
])
def test_capture_times_outside_the_window_make_the_frame_bad(
        tmp_path: Path, clean_counts: dict[str, int], relative: str, lineno: int,
        edit: Callable[[str], str], field: str) -> None:
    limit = {BINANCE_WS: 120, COINBASE_WS: 60, KRAKEN_WS: 30}[relative]
    events, report = read(capture(tmp_path, relative, limit, {lineno: edit}))
    one_problem(report, lineno, field)
    assert len(data_of(events)) == clean_counts[relative] - 1  # the replay went on
    for ts, event in events:
        assert 0 <= ts < MAX_NS
        assert all(0 <= getattr(event, name, 0) < MAX_NS for name in ("ts_event", "ts"))


def test_rest_snapshot_time_outside_the_window_is_a_bad_line(tmp_path: Path) -> None:
    lines = text_lines(BINANCE_HTTP)
    lines[0] = lines[0].replace("-> 1633998512.320639:", "-> 99999999999.5:")
    path = write_lines(tmp_path / "cryptofeed__BINANCE.http.0.0", lines)
    events, report = read(path)
    one_problem(report, 1, "receive time")
    assert sum(isinstance(e, BookSnapshot) for _, e in events) == 3


# --------------------------------------------------------------------------- 2. JSON types


BINANCE_TYPE_CASES = [
    (BINANCE_DEPTH, dict(E=[1, 2]), "E"),  # E * 1_000_000 would build a huge list
    (BINANCE_DEPTH, dict(E="1633998523673"), "E"),
    (BINANCE_DEPTH, dict(E=1633998523673.5), "E"),
    (BINANCE_DEPTH, dict(E=True), "E"),
    (BINANCE_DEPTH, dict(U="499869923"), "U"),
    (BINANCE_DEPTH, dict(u="499869925"), "u"),
    (BINANCE_DEPTH, dict(b="abc"), "b"),
    (BINANCE_DEPTH, dict(b=[["0.35", "100", "1"]]), "b"),
    (BINANCE_DEPTH, dict(b=[[0.35, 100.0]]), "b"),
    (BINANCE_DEPTH, dict(b=["12"]), "b"),  # a 2-character string is not a level
    (BINANCE_DEPTH, dict(b=[["NaN", "100"]]), "b"),
    (BINANCE_DEPTH, dict(a=[["0.3530", "Infinity"]]), "a"),
    (BINANCE_DEPTH, dict(s=12345), "s"),
    (BINANCE_DEPTH, dict(s=""), "s"),
    (BINANCE_TRADE, dict(T="abc"), "T"),
    (BINANCE_TRADE, dict(p="NaN"), "p"),
    (BINANCE_TRADE, dict(q=58.0), "q"),
    (BINANCE_TRADE, dict(m="false"), "m"),
    (BINANCE_TRADE, dict(a="15683430"), "a"),
]


@pytest.mark.parametrize(("lineno", "changes", "field"), BINANCE_TYPE_CASES,
                         ids=[f"{c[2]}={c[1][c[2]]!r}"[:40] for c in BINANCE_TYPE_CASES])
def test_binance_fields_of_the_wrong_json_type_make_the_frame_bad(
        tmp_path: Path, clean_counts: dict[str, int], lineno: int, changes: dict[str, Any],
        field: str) -> None:
    path = capture(tmp_path, BINANCE_WS, 120, {lineno: lambda line: frame(line, **changes)})
    events, report = read(path)
    one_problem(report, lineno, field)
    assert report.problems[0].reason.startswith("bad binance frame: ")
    assert len(data_of(events)) == clean_counts[BINANCE_WS] - 1


@pytest.mark.parametrize(("changes", "field"), [
    (dict(t="1633998480000"), "t"), (dict(n="30"), "n"), (dict(i=60), "i"),
    (dict(i="1y"), "i"), (dict(o=0.3527), "o"), (dict(x=1), "x"),
])
def test_binance_kline_fields_are_type_checked(tmp_path: Path, clean_counts: dict[str, int],
                                               changes: dict[str, Any], field: str) -> None:
    path = capture(tmp_path, BINANCE_WS, 120,
                   {BINANCE_KLINE: lambda line: kline(line, **changes)})
    events, report = read(path)
    one_problem(report, BINANCE_KLINE, field)
    assert len(data_of(events)) == clean_counts[BINANCE_WS] - 1


COINBASE_TYPE_CASES = [
    (COINBASE_L2, dict(type=["l2update"]), "type"),
    (COINBASE_L2, dict(product_id=None), "product_id"),
    (COINBASE_L2, dict(changes="abc"), "changes"),
    (COINBASE_L2, dict(changes=[["sell", "0.00001306", "660.5", "x"]]), "changes"),
    (COINBASE_L2, dict(changes=[["sell", 0.00001306, "660.5"]]), "changes"),
    (COINBASE_L2, dict(changes=[["bid", "0.00001306", "660.5"]]), "changes"),
    (COINBASE_L2, dict(time=12345), "time"),
    (COINBASE_MATCH, dict(trade_id={"a": 1}), "trade_id"),
    (COINBASE_MATCH, dict(trade_id="280232"), "trade_id"),
    (COINBASE_MATCH, dict(price="NaN"), "price"),
    (COINBASE_MATCH, dict(side="x"), "side"),
]


@pytest.mark.parametrize(("lineno", "changes", "field"), COINBASE_TYPE_CASES,
                         ids=[f"{c[2]}={next(iter(c[1].values()))!r}"[:40]
                              for c in COINBASE_TYPE_CASES])
def test_coinbase_fields_of_the_wrong_json_type_make_the_frame_bad(
        tmp_path: Path, clean_counts: dict[str, int], lineno: int, changes: dict[str, Any],
        field: str) -> None:
    path = capture(tmp_path, COINBASE_WS, 60, {lineno: lambda line: frame(line, **changes)})
    events, report = read(path)
    one_problem(report, lineno, field)
    assert len(data_of(events)) == clean_counts[COINBASE_WS] - 1


KRAKEN_FRAMES = [
    ('[992,{"b":[[354.15,5.0,"1618678133.365913"]],"c":"2583817756"},"book-1000","XMR/USD"]',
     "b"),  # numbers where Kraken sends strings broke the checksum code downstream
    ('[992,{"b":[["354.15000000","5.00000000"]],"c":"2583817756"},"book-1000","XMR/USD"]',
     "b"),
    ('[992,{"b":[["NaN","5.00000000","1618678133.365913"]],"c":"2583817756"},"book-1000",'
     '"XMR/USD"]', "b"),
    ('[992,{"b":[["354.15","5.0","NaN"]],"c":"2583817756"},"book-1000","XMR/USD"]', "b"),
    ('[992,{"b":[["354.15","5.0","1618678133.365913"]],"c":"abc"},"book-1000","XMR/USD"]',
     "c"),
    ('[992,{"b":[["354.15","5.0","1618678133.365913"]],"c":-1},"book-1000","XMR/USD"]', "c"),
    ('[992,{"b":[["354.15","5.0","1618678133.365913"]],"c":"99999999999999999999999"},'
     '"book-1000","XMR/USD"]', "c"),
    ('[992,{"b":[]},5,"XMR/USD"]', "channelName"),
    ('[992,{"b":[]},"book-1000",5]', "pair"),
    ('[992,[1,2],"book-1000","XMR/USD"]', "book"),
    ("[]", None),
    ("[1]", None),
]


@pytest.mark.parametrize(("payload", "field"), KRAKEN_FRAMES,
                         ids=[str(i) for i in range(len(KRAKEN_FRAMES))])
def test_kraken_frames_of_the_wrong_shape_are_bad(tmp_path: Path, clean_counts: dict[str, int],
                                                  payload: str, field: str | None) -> None:
    path = capture(tmp_path, KRAKEN_WS, 30, {KRAKEN_DELTA: f"1618678134.213106: {payload}"})
    events, report = read(path)
    one_problem(report, KRAKEN_DELTA, field)
    assert len(data_of(events)) == clean_counts[KRAKEN_WS] - 1
    for _, event in events:
        if isinstance(event, BookDelta | BookSnapshot):
            assert event.raw is not None
            assert all(type(text) is str for side in event.raw.values()
                       for level in side for text in level)


def test_bad_frames_never_raise_anything_but_data_error(tmp_path: Path) -> None:
    """Every frame shape the tester tried, in one capture per venue: all become bad rows."""
    odd = ["null", "[1,2,3]", '{"stream":"x","data":[1]}', "[" * 5000 + "]" * 5000, '"x"',
           "1e400", '{"data":{"e":5}}', '{"e":"depthUpdate","E":1,"s":"A","U":1,"u":1,'
           '"b":{"x":1},"a":[]}', '{"type":1}', '{"event":["heartbeat"]}']
    for relative, limit in ((BINANCE_WS, 20), (COINBASE_WS, 40), (KRAKEN_WS, 30)):
        lines = text_lines(relative)[:limit] + [f"1633998600.5: {text}" for text in odd]
        _events, report = read(write_lines(tmp_path / Path(relative).name, lines))
        assert report.bad_rows == len(odd), (relative, report.problems)


# --------------------------------------------------------------------------- 3. unknown types


def test_unknown_frames_are_bad_rows_and_control_frames_are_not(tmp_path: Path) -> None:
    binance = capture(tmp_path, BINANCE_WS, 20, {
        5: lambda line: frame(line, e="zz"),
        6: '1633998513.0638819: {"result":null,"id":1}',  # subscription reply: control
        7: '1633998513.264469: {"error":{"code":2,"msg":"Invalid request"},"id":2}',
        8: '1633998513.3663769: {"stream":"x","data":{"foo":1}}',
    })
    _, report = read(binance)
    assert [(p.line, p.field) for p in report.problems] == [(5, "e"), (7, "error"), (8, "e")]
    assert "unknown Binance event 'zz'" in report.problems[0].reason
    coinbase_lines = text_lines(COINBASE_WS)[:40]
    kinds = [json.loads(line.partition(": ")[2]).get("type") for line in coinbase_lines[1:]]
    assert {"subscriptions", "l2update"} <= set(kinds)
    coinbase_lines[COINBASE_L2 - 1] = '1618677817.118783: {"type":"received","order_id":"x"}'
    coinbase_lines.append('1618677817.2: {"type":"heartbeat","sequence":1}')
    coinbase_lines.append('1618677817.3: {"type":"status","products":[]}')
    _, report = read(write_lines(tmp_path / "cryptofeed__COINBASE.ws.28.0", coinbase_lines))
    one_problem(report, COINBASE_L2, "type", "unknown Coinbase message type 'received'")
    kraken = capture(tmp_path, KRAKEN_WS, 30, {
        KRAKEN_DELTA: '1618678134.213106: [992,{"x":1},"ohlc-1","XMR/USD"]',
        26: '1618678134.215185: {"event":"nonsense"}',
        27: '1618678134.216987: {"event":"pong"}',
    })
    _, report = read(kraken)
    assert [(p.line, p.field) for p in report.problems] == [(KRAKEN_DELTA, "channelName"),
                                                             (26, "event")]
    assert "unknown Kraken channel 'ohlc-1'" in report.problems[0].reason


def test_a_huge_unknown_frame_is_not_kept_in_its_problem(tmp_path: Path) -> None:
    big = "Z" * 5_000_000
    path = capture(tmp_path, BINANCE_WS, 20, {
        5: lambda line: line.partition(": ")[0] + ': {"stream":"x","data":{"e":"' + big + '"}}',
        6: lambda line: frame(line, b=[[big, "1"]]),
        7: lambda line: frame(line, E=big),
    })
    _, report = read(path)
    assert [p.line for p in report.problems] == [5, 6, 7]
    assert all(len(p.reason) <= 320 and len(p.field or "") <= 130 for p in report.problems)


# --------------------------------------------------------------------------- 4. CSV quotes


def test_a_stray_quote_costs_one_row_and_every_later_row_is_kept(tmp_path: Path) -> None:
    path = edited(tmp_path, YHOO, {
        3: '2014-01-03,"40.16,40.44",39.82,40.11,40.11,1',
        4: '"unterminated,1,2,3',
        7: '2014-01-09,40.1"6,40.44,39.82,40.11,40.11,1',
    })
    events, report = read(path)
    assert (report.rows, report.bad_rows) == (249, 3)
    assert [p.line for p in report.problems] == [3, 4, 7]
    bars = [e for e in data_of(events) if isinstance(e, Bar)]
    assert len(bars) == 249 and bars[-1].ts == iso_to_ns("2014-12-31")


def test_quoted_numeric_csv_still_reads(tmp_path: Path) -> None:
    lines = text_lines(YHOO)
    quoted = [",".join(f'"{cell}"' for cell in line.split(",")) for line in lines]
    events, report = read(write_lines(tmp_path / "src__quoted.csv", quoted))
    assert (report.format, report.rows, report.bad_rows) == ("yahoo-csv", 252, 0)
    first = data_of(events)[0]
    assert isinstance(first, Bar) and first.open == 40.369999


def test_a_stray_quote_in_a_headerless_file_costs_one_row(tmp_path: Path) -> None:
    path = edited(tmp_path, KRAKEN_TRADES, {5: '1672531700,"90.36,0.286'})
    _, report = read(path)
    assert (report.rows, report.bad_rows) == (147, 1)
    assert report.problems[0].line == 5


# --------------------------------------------------------------------------- 5. detection


@pytest.mark.parametrize(("relative", "fmt", "bad_first"), [
    (KRAKEN_TRADES, "kraken-trades-csv", "1672531436,abc,1.0"),
    (KLINES, "binance-kline-csv", "abc,0.00002853,0.00002854,0.00002851,0.00002854,1,1,1,1,1,1,0"),
    (HISTDATA, "histdata-ticks", "garbage,1.121200,1.121720,0"),
])
def test_headerless_files_are_detected_despite_a_bad_first_row(
        tmp_path: Path, relative: str, fmt: str, bad_first: str) -> None:
    rows = len(text_lines(relative))
    _events, report = read(edited(tmp_path, relative, {1: bad_first}))
    assert report.format == fmt
    assert (report.rows, report.bad_rows) == (rows - 1, 1)
    assert report.problems[0].line == 1


def test_kraken_trades_detected_when_half_of_the_first_rows_are_bad(tmp_path: Path) -> None:
    path = edited(tmp_path, KRAKEN_TRADES, {2: "1672531471,NaN,1.0", 3: "1672531647,x,1.0",
                                            4: "abc,90,1", 5: "1672531647,90",
                                            6: "99999999999999999999,90,1"})
    _, report = read(path)
    assert report.format == "kraken-trades-csv"
    assert [p.line for p in report.problems] == [2, 3, 4, 5, 6]


def test_ccxt_json_detected_despite_bad_first_records(tmp_path: Path) -> None:
    text = (SHARED_DATA / CCXT_OHLCV).read_text()
    text = (text.replace("[1509836520000,", "[null,", 1).replace("[1509836580000,", '["x",', 1)
            .replace("[1509836640000,", "[1e400,", 1))
    path = tmp_path / "src__ohlcv.json"
    path.write_text(text)
    _, report = read(path)
    assert (report.format, report.rows, report.bad_rows) == ("ccxt-ohlcv-json", 13678, 3)
    assert [p.line for p in report.problems] == [1, 2, 3]
    raw = gzip.decompress((SHARED_DATA / CCXT_TRADES).read_bytes()).decode()
    trades = tmp_path / "src__trades.json"
    trades.write_text(raw.replace("[1570752011620,", '["x",', 1))
    _, report = read(trades)
    assert (report.format, report.rows, report.bad_rows) == ("ccxt-trades-json", 12476, 1)


def test_time_layout_is_chosen_by_most_rows_not_the_first(tmp_path: Path) -> None:
    path = edited(tmp_path, ORDERFLOW, {2: "0,abc,1206419187,,buy,1666.8,26.062,43440.1,x"})
    _events, report = read(path)
    assert (report.rows, report.bad_rows) == (999, 1)
    assert (report.problems[0].line, report.problems[0].field) == (2, "timestamp")
    assert "epoch times in ms" in report.notes
    parse, note = make_time_parser(["garbage", "2014-01-02", "2014-01-03"])
    assert parse("2014-01-02") == iso_to_ns("2014-01-02") and note is None


def test_layout_with_an_unnamed_time_column_ignores_one_odd_first_row(tmp_path: Path) -> None:
    name = "ohlcv/backtrader__2006-01-02-volume-min-001.txt"
    lines = text_lines(name)[:30]
    lines[1] = "2006-01-02,3602.0,3603.0,3601.0,3602.0,10,0"  # the time of day missing
    _, report = read(write_lines(tmp_path / Path(name).name, lines))
    assert (report.rows, report.bad_rows) == (28, 1)
    assert report.problems[0].line == 2


# --------------------------------------------------------------------------- 6. truncation


def _cut_gzip(data: bytes, fraction: float) -> bytes:
    packed = gzip.compress(data)
    return packed[: int(len(packed) * fraction)]


def test_truncated_gzip_csv_keeps_the_rows_before_the_cut(tmp_path: Path) -> None:
    raw = (SHARED_DATA / YHOO).read_bytes()
    path = tmp_path / "src__yhoo.csv.gz"
    path.write_bytes(_cut_gzip(raw, 0.6))
    events, report = read(path)
    bars = [e for e in data_of(events) if isinstance(e, Bar)]
    (problem,) = report.problems
    assert problem.reason == "file is truncated" and report.bad_rows == 1
    # every complete line before the cut is kept, the cut line is not parsed
    assert len(bars) == report.rows == problem.line - 2
    complete = raw.decode().splitlines()[1:problem.line - 1]
    assert [b.close for b in bars] == [float(line.split(",")[4]) for line in complete]


def test_truncated_gzip_capture_keeps_the_frames_before_the_cut(tmp_path: Path) -> None:
    raw = (SHARED_DATA / KRAKEN_WS).read_bytes()
    path = tmp_path / "cryptofeed__KRAKEN.ws.50.0.gz"
    path.write_bytes(_cut_gzip(raw, 0.8))
    events, report = read(path)
    (problem,) = report.problems
    assert problem.reason == "file is truncated"
    # exactly what the complete lines before the cut give: the cut line is not parsed
    lines = raw.split(b"\n")
    assert 30 < problem.line < len(lines)
    prefix = tmp_path / "prefix" / "cryptofeed__KRAKEN.ws.50.0"
    prefix.parent.mkdir()
    prefix.write_bytes(b"\n".join(lines[:problem.line - 1]) + b"\n")
    expected, expected_report = read(prefix)
    assert (events, report.rows) == (expected, expected_report.rows)
    assert expected_report.bad_rows == 0


def test_truncated_gzip_json_keeps_the_records_before_the_cut(tmp_path: Path) -> None:
    raw = gzip.decompress((SHARED_DATA / CCXT_TRADES).read_bytes())
    path = tmp_path / "src__trades.json.gz"
    path.write_bytes(_cut_gzip(raw, 0.5))
    events, report = read(path)
    (problem,) = report.problems
    assert problem.reason == "file is truncated"
    assert 1000 < report.rows == problem.line - 1 < 12477
    assert len(data_of(events)) == report.rows


def test_truncated_rest_capture_and_plain_files_keep_their_good_rows(tmp_path: Path) -> None:
    raw = (SHARED_DATA / BINANCE_HTTP).read_bytes()
    path = tmp_path / "cryptofeed__BINANCE.http.0.0"
    path.write_bytes(_cut_gzip(raw, 0.9))
    events, report = read(path)
    assert [p.reason for p in report.problems] == ["file is truncated"]
    assert 1 <= sum(isinstance(e, BookSnapshot) for _, e in events) < 4
    plain = tmp_path / "src__yhoo.csv"
    plain.write_bytes((SHARED_DATA / YHOO).read_bytes()[:9000])
    _, report = read(plain)
    assert report.rows >= 100 and report.bad_rows <= 1


# --------------------------------------------------------------------------- 7. numbers


@pytest.mark.parametrize("value", ["4_0.16", "\uff14\uff10.16", "NaN", "inf", "-Infinity",
                                   "1e400", "0x10", "40.16\x00"])
def test_only_plain_ascii_numbers_are_numbers(tmp_path: Path, value: str) -> None:
    path = edited(tmp_path, YHOO, {3: f"2014-01-03,{value},40.44,39.82,40.11,40.11,1"})
    _, report = read(path)
    assert report.rows == 251
    one_problem(report, 3, "Open")


@pytest.mark.parametrize("value", ["1_0.16", "\uff11.5"])
def test_only_plain_ascii_numbers_in_venue_frames(tmp_path: Path, clean_counts: dict[str, int],
                                                  value: str) -> None:
    binance = capture(tmp_path, BINANCE_WS, 120, {
        BINANCE_DEPTH: lambda line: frame(line, b=[[value, "100"]]),
        BINANCE_TRADE: lambda line: frame(line, p=value)})
    _, report = read(binance)
    assert [(p.line, p.field) for p in report.problems] == [(BINANCE_DEPTH, "b"),
                                                             (BINANCE_TRADE, "p")]
    kraken = capture(tmp_path, KRAKEN_WS, 30, {
        KRAKEN_DELTA: '1618678134.213106: [992,{"b":[["' + value + '","5.0",'
                      '"1618678133.365913"]],"c":"2583817756"},"book-1000","XMR/USD"]'})
    _, report = read(kraken)
    one_problem(report, KRAKEN_DELTA, "b")
    coinbase = capture(tmp_path, COINBASE_WS, 60, {
        COINBASE_L2: lambda line: frame(line, changes=[["sell", value, "660.5"]])})
    _, report = read(coinbase)
    one_problem(report, COINBASE_L2, "changes")


def test_json_numbers_follow_the_same_rule(tmp_path: Path) -> None:
    records = json.loads((SHARED_DATA / CCXT_OHLCV).read_text())[:20]
    records[1][1] = "1_000"
    records[2][2] = "\uff11"
    records[3][3] = 10**400  # orjson refuses: the json module reads it, the row is bad
    path = tmp_path / "src__ohlcv.json"
    path.write_text(json.dumps(records))
    _, report = read(path)
    assert [(p.line, p.field) for p in report.problems] == [(2, "open"), (3, "high"),
                                                             (4, "low")]


# --------------------------------------------------------------------------- 8. sequences


@pytest.mark.parametrize(("changes", "field"), [
    (dict(u=-1), "u"), (dict(U=2**63, u=2**63 + 2), "U"), (dict(u=10**30), "u"),
    (dict(u=499869925.0), "u"), (dict(U=True, u=True), "U"), (dict(u="499869925"), "u"),
])
def test_bad_sequence_ids_make_the_frame_bad(tmp_path: Path, clean_counts: dict[str, int],
                                             changes: dict[str, Any], field: str) -> None:
    path = capture(tmp_path, BINANCE_WS, 120,
                   {BINANCE_DEPTH: lambda line: frame(line, **changes)})
    events, report = read(path)
    one_problem(report, BINANCE_DEPTH, field)
    deltas = [e for e in data_of(events) if isinstance(e, BookDelta)]
    assert all(type(d.sequence) is int and 0 <= d.first_sequence <= d.sequence < 2**63
               for d in deltas)


@pytest.mark.parametrize("value", ['"abc"', "-1", "99999999999999999999999", "499869752.0"])
def test_bad_rest_snapshot_ids_make_the_line_bad(tmp_path: Path, value: str) -> None:
    lines = text_lines(BINANCE_HTTP)
    lines[0] = lines[0].replace('"lastUpdateId":499869752', f'"lastUpdateId":{value}')
    events, report = read(write_lines(tmp_path / "cryptofeed__BINANCE.http.0.0", lines))
    one_problem(report, 1, "lastUpdateId")
    assert sum(isinstance(e, BookSnapshot) for _, e in events) == 3


@pytest.mark.parametrize(("column", "value"), [(2, "99999999999999999999"), (3, "-5"),
                                               (8, "9223372036854775807")])
def test_bad_depth_csv_ids_make_the_row_bad(tmp_path: Path, column: int, value: str) -> None:
    lines = text_lines(DEPTH_CSV)
    cells = lines[2].split(",")
    cells[column] = value
    lines[2] = ",".join(cells)
    _, report = read(write_lines(tmp_path / Path(DEPTH_CSV).name, lines))
    assert report.bad_rows == 1 and report.problems[0].line == 3
    assert report.problems[0].field == ["symbol", "timestamp", "first_update_id",
                                        "last_update_id", "side", "update_type", "price",
                                        "qty", "pu"][column]


# --------------------------------------------------------------------------- the contract


def test_forcing_any_format_on_hostile_files_raises_only_data_error(tmp_path: Path) -> None:
    from plugins.replay.formats import FORMATS
    files = [
        edited(tmp_path, YHOO, {3: '"' + "9" * 200_000 + ',1', 4: "\x00,\x00"}),
        edited(tmp_path, KRAKEN_TRADES, {2: "99999999999999999999999,1,1", 3: "1e400,1,1"},
               name="k.csv"),
        capture(tmp_path, KRAKEN_WS, 30, {26: '1618678134.2: [1,{"as":[["1","1","inf"]]},'
                                              '"book-10","X"]'}),
    ]
    for path in files:
        for name in FORMATS:
            try:
                events, _report = open_recording(path, name)
                for ts, event in events:
                    assert 0 <= ts < MAX_NS
                    if isinstance(event, Quote | Trade):
                        assert event.ts_event < MAX_NS
            except DataError:
                continue
