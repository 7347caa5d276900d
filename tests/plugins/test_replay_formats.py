"""Readers of recorded files for the replay plugin, checked against the real files in
../shared/data (values from its PROVENANCE.md) and against small synthetic bad files."""

from __future__ import annotations

import gzip
import heapq
import math
import re
import zlib
from collections import Counter
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from plugins.replay.formats import FORMATS, detect_format, open_recording
from plugins.replay.formats.base import MAX_PROBLEMS_KEPT, ReadReport, ReplayEvent
from plugins.replay.formats.common import default_instrument_id
from plugins.replay.formats.timeparse import (
    epoch_to_ns,
    infer_interval_ns,
    interval_from_code,
    iso_to_ns,
    recv_bytes_to_ns,
)
from terminal.core.errors import DataError
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument, generic_instrument
from terminal.model.market import Aggressor, Bar, BookDelta, BookSnapshot, Quote, Trade
from tests.data_paths import SHARED_DATA

MINUTE = 60_000_000_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR

needs_data = pytest.mark.skipif(not SHARED_DATA.is_dir(),
                                reason=f"shared data not found at {SHARED_DATA}")


def utc(text: str) -> int:
    """ns UTC of a naive ISO string read as UTC (test helper; microsecond precision)."""
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return (int(moment.timestamp()) * 1_000_000 + moment.microsecond) * 1_000


@cache
def load(relative: str) -> tuple[list[tuple[int, ReplayEvent]], ReadReport]:
    """Every event of a shared file (cached: several tests look at the same file)."""
    events, report = open_recording(SHARED_DATA / relative)
    return list(events), report


def data_events(relative: str) -> list[ReplayEvent]:
    return [event for _, event in load(relative)[0] if not isinstance(event, Instrument)]


def kinds(relative: str) -> Counter[str]:
    return Counter(type(event).__name__ for _, event in load(relative)[0])


# --------------------------------------------------------------------------- time parsing


def test_epoch_seconds_text_converts_exactly() -> None:
    assert epoch_to_ns("1633998512.0633569") == 1633998512063356900
    assert recv_bytes_to_ns(b"1633998512.0633569") == 1633998512063356900
    assert epoch_to_ns("1618678145.9513211") == 1618678145951321100
    assert epoch_to_ns("1672531436") == 1672531436 * 10**9
    assert epoch_to_ns("1675329600138", "ms") == 1675329600138000000
    assert epoch_to_ns("1583020803145000", "us") == 1583020803145000000
    # finer than 1 ns: rounded half-even, still without floats
    assert epoch_to_ns("1.0000000005") == 1_000_000_000
    assert epoch_to_ns("1.0000000015") == 1_000_000_002
    assert recv_bytes_to_ns(b"1.12345678951") == 1_123_456_790
    with pytest.raises(ValueError):
        epoch_to_ns("12:30")


def test_iso_times_mixed_fractions_zones_and_naive() -> None:
    assert iso_to_ns("2013-01-01 22:09:27+00:00") == utc("2013-01-01T22:09:27")
    assert iso_to_ns("2013-01-01 22:09:27.001000+00:00") == utc("2013-01-01T22:09:27") + 10**6
    assert iso_to_ns("2021-04-17T16:43:37.075687Z") == utc("2021-04-17T16:43:37.075687")
    assert iso_to_ns("2021-04-17T16:43:37.075687123Z") == utc("2021-04-17T16:43:37") + 75687123
    assert iso_to_ns("2021-03-20T12:00:00+02:00") == utc("2021-03-20T10:00:00")
    assert iso_to_ns("2021-03-20 10:00") == utc("2021-03-20T10:00:00")
    assert iso_to_ns("2014-12-31") == utc("2014-12-31T00:00:00")
    for bad in ("2014-13-01", "2014-02-30", "2014-01-01 24:00:00", "yesterday", ""):
        with pytest.raises(ValueError):
            iso_to_ns(bad)


def test_interval_helpers() -> None:
    assert interval_from_code("1m") == MINUTE
    assert interval_from_code("4h") == 4 * HOUR
    assert interval_from_code("1M") == 0
    assert infer_interval_ns([0, MINUTE, 2 * MINUTE, 5 * MINUTE, 6 * MINUTE]) == MINUTE
    assert infer_interval_ns([0, 31 * DAY, 59 * DAY, 90 * DAY]) == 0
    assert infer_interval_ns([5]) == 0


def test_default_instrument_ids_from_file_names() -> None:
    assert default_instrument_id(Path("backtrader__orcl-1995-2014.txt")) == InstrumentId(
        "REPLAY", "ORCL-1995-2014")
    assert default_instrument_id(Path("backtesting.py__EURUSD.csv")).symbol == "EURUSD"
    assert default_instrument_id(Path("freqtrade__XRP_ETH-trades.json.gz")).symbol == (
        "XRP_ETH-TRADES")
    assert default_instrument_id(Path("my ticks.v2.csv")).symbol == "MY-TICKS-V2"


# --------------------------------------------------------------------------- OHLCV files

OHLCV = [
    # file, format, rows, first bar open, last bar open, interval
    ("backtrader__orcl-1995-2014.txt", "yahoo-csv", 5036, "1995-01-03", "2014-12-31", DAY),
    ("backtrader__yhoo-2014.txt", "yahoo-csv", 252, "2014-01-02", "2014-12-31", DAY),
    ("backtrader__2006-day-001.txt", "backtrader-csv", 255, "2006-01-02", "2006-12-29", DAY),
    # bar-END stamps 09:05 -> 17:30 become open times 09:00 -> 17:25
    ("backtrader__2006-min-005.txt", "backtrader-csv", 2142, "2006-01-02T09:00",
     "2006-01-30T17:25", 5 * MINUTE),
    ("backtrader__2006-01-02-volume-min-001.txt", "backtrader-csv", 30889, "2006-01-02T09:00",
     "2006-02-27T21:59", MINUTE),
    ("backtesting.py__EURUSD.csv", "pandas-ohlcv-csv", 5000, "2017-04-19T09:00",
     "2018-02-07T15:00", HOUR),
    ("backtesting.py__GOOG.csv", "pandas-ohlcv-csv", 2148, "2004-08-19", "2013-03-01", DAY),
    # monthly bars keep their month-end label; calendar months have no fixed interval
    ("backtesting.py__BTCUSD.csv", "pandas-ohlcv-csv", 156, "2012-01-31", "2024-12-31", 0),
    ("nautilus__ADABTC-1m-2021-11-27.csv", "binance-kline-csv", 10, "2021-11-27T00:00",
     "2021-11-27T00:09", MINUTE),
    ("nautilus__ADABTC-1m-2021-11-28.csv", "binance-kline-csv", 11, "2021-11-28T00:00",
     "2021-11-28T00:10", MINUTE),
    ("nautilus__fxcm_usdjpy-m1-bid-2013.csv", "ohlc-csv", 28761, "2013-02-01T00:00",
     "2013-03-01T00:00", MINUTE),
    ("freqtrade__UNITTEST_BTC-1m.json", "ccxt-ohlcv-json", 13681, "2017-11-04T23:02",
     "2017-11-14T22:59", MINUTE),
]


@needs_data
@pytest.mark.parametrize(("name", "fmt", "rows", "first", "last", "interval"), OHLCV,
                         ids=[row[0] for row in OHLCV])
def test_ohlcv_file_loads_completely(name: str, fmt: str, rows: int, first: str, last: str,
                                     interval: int) -> None:
    events, report = load(f"ohlcv/{name}")
    bars = [event for _, event in events if isinstance(event, Bar)]
    assert report.format == fmt
    assert (report.rows, report.bad_rows, report.problems) == (rows, 0, [])
    assert len(bars) == rows
    assert report.events == rows + 1  # plus the Instrument
    assert isinstance(events[0][1], Instrument)
    assert bars[0].ts == utc(first)
    assert bars[-1].ts == utc(last)
    assert all(bar.interval_ns == interval and bar.closed for bar in bars)
    # replayed at the bar's close, in order
    assert all(isinstance(bar, Bar) and ts == bar.ts + bar.interval_ns for ts, bar in events[1:])
    stamps = [ts for ts, _ in events]
    assert stamps == sorted(stamps)


@needs_data
def test_header_missing_time_column_does_not_shift_columns() -> None:
    name = "ohlcv/backtrader__2006-01-02-volume-min-001.txt"
    raw = (SHARED_DATA / name).read_text().splitlines()
    assert raw[0].count(",") == 6 and raw[1].count(",") == 7  # 7 names, 8 fields
    date, time, o, h, low, c, v, _oi = raw[1].strip().split(",")
    bar = data_events(name)[0]
    assert isinstance(bar, Bar)
    assert bar.ts == utc(f"{date}T{time}") - MINUTE  # bar-end stamp
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (
        float(o), float(h), float(low), float(c), float(v))
    assert (bar.open, bar.close, bar.volume) == (3602.0, 3599.0, 5699.0)
    flat = sum(1 for e in data_events(name) if isinstance(e, Bar) and e.is_flat)
    assert flat == 5736


@needs_data
def test_volume_rules() -> None:
    fxcm = data_events("ohlcv/nautilus__fxcm_usdjpy-m1-bid-2013.csv")
    assert all(isinstance(b, Bar) and math.isnan(b.volume) for b in fxcm)  # no volume column
    day = data_events("ohlcv/backtrader__2006-day-001.txt")
    assert all(isinstance(b, Bar) and b.volume == 0.0 for b in day)  # zero volume is valid
    kline = data_events("ohlcv/nautilus__ADABTC-1m-2021-11-27.csv")[0]
    assert isinstance(kline, Bar)
    assert (kline.open, kline.volume, kline.trades) == (0.00002853, 36304.2, 79)


@needs_data
def test_instrument_override_for_files_without_symbol() -> None:
    iid = InstrumentId("NYSE", "ORCL")
    events, _ = open_recording(SHARED_DATA / "ohlcv/backtrader__yhoo-2014.txt",
                               instrument_id=iid)
    first = [event for _, event in events][:2]
    assert isinstance(first[0], Instrument) and first[0].id == iid
    assert isinstance(first[1], Bar) and first[1].instrument_id == iid
    assert load("ohlcv/backtrader__orcl-1995-2014.txt")[0][0][1] == generic_instrument(
        InstrumentId("REPLAY", "ORCL-1995-2014"))


# --------------------------------------------------------------------------- tick files

TICKS = [
    # file, format, rows, event type, first ts_recv, last ts_recv
    ("backtrader__ticksample.csv", "backtrader-ticks", 135, Trade,
     utc("2015-09-23T20:57:42.146"), utc("2015-09-23T21:00:00.238")),
    ("backtrader__bidask.csv", "quotes-csv", 10, Quote,
     utc("2010-02-03T16:53:50"), utc("2010-02-03T16:53:59")),
    ("nautilus__truefx_usdjpy-ticks.csv", "quotes-csv", 1000, Quote,
     utc("2013-01-01T22:00:00.295"), utc("2013-01-01T22:35:13.494")),
    ("nautilus__histdata_quote_tick_data.csv", "histdata-ticks", 9500, Quote,
     utc("2020-01-01T22:00:00.065"), utc("2020-01-02T04:00:52.125")),
    ("nautilus__tardis_bitmex_trades_XBTUSD.csv", "tardis-trades", 10, Trade,
     1583020803307160000, 1583020803336743000),
    ("nautilus__tardis_huobi-dm-swap_quotes_BTC-USD.csv", "tardis-quotes", 10, Quote,
     1588291201234268000, 1588291201927888000),
    ("freqtrade__XRP_ETH-trades.json.gz", "ccxt-trades-json", 12477, Trade,
     1570752011620000000, 1570965568844000000),
    ("freqtrade__kraken_trades_BCHEUR.csv", "kraken-trades-csv", 148, Trade,
     1672531436000000000, 1672615187000000000),
    ("freqtrade__orderflow_public_trades_list.csv", "trades-csv", 1000, Trade,
     1675329600138000000, 1675329807493000000),
]


@needs_data
@pytest.mark.parametrize(("name", "fmt", "rows", "kind", "first", "last"), TICKS,
                         ids=[row[0] for row in TICKS])
def test_tick_file_loads_completely(name: str, fmt: str, rows: int, kind: type, first: int,
                                    last: int) -> None:
    events, report = load(f"ticks/{name}")
    assert report.format == fmt
    assert (report.rows, report.bad_rows) == (rows, 0)
    data = [event for _, event in events if not isinstance(event, Instrument)]
    assert len(data) == rows and all(type(event) is kind for event in data)
    stamps = [ts for ts, event in events if not isinstance(event, Instrument)]
    assert (stamps[0], stamps[-1]) == (first, last)
    assert stamps == sorted(stamps)


@needs_data
def test_ambiguous_bidask_dates_are_month_first_and_noted() -> None:
    quotes, report = load("ticks/backtrader__bidask.csv")
    assert any("mm/dd/yyyy" in note and "ambiguous" in note for note in report.notes)
    first = quotes[1][1]
    assert isinstance(first, Quote)
    assert (first.bid, first.ask, first.ts_event) == (0.5346, 0.5347, utc("2010-02-03T16:53:50"))
    assert math.isnan(first.bid_size) and math.isnan(first.ask_size)


@needs_data
def test_truefx_row_without_fraction_parses() -> None:
    quotes = data_events("ticks/nautilus__truefx_usdjpy-ticks.csv")
    row = quotes[115]  # file line 117: "2013-01-01 22:09:27+00:00,86.727,86.760"
    assert isinstance(row, Quote)
    assert (row.ts_event, row.bid, row.ask) == (utc("2013-01-01T22:09:27"), 86.727, 86.760)
    assert isinstance(quotes[116], Quote) and quotes[116].ts_event == row.ts_event + 10**6


@needs_data
def test_tardis_columns_are_read_by_name() -> None:
    quote = data_events("ticks/nautilus__tardis_huobi-dm-swap_quotes_BTC-USD.csv")[0]
    assert quote == Quote(InstrumentId("HUOBI-DM-SWAP", "BTC-USD"), 8629.2, 806.0, 8629.3,
                          5494.0, 1588291201099000000, 1588291201234268000)
    trade = data_events("ticks/nautilus__tardis_bitmex_trades_XBTUSD.csv")[0]
    assert trade == Trade(InstrumentId("BITMEX", "XBTUSD"), 8531.5, 2152.0, Aggressor.SELL,
                          "ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf", 1583020803145000000,
                          1583020803307160000)


@needs_data
def test_trade_details() -> None:
    xrp = data_events("ticks/freqtrade__XRP_ETH-trades.json.gz")[0]
    assert xrp == Trade(InstrumentId("REPLAY", "XRP_ETH-TRADES"), 0.00141342, 23.0,
                        Aggressor.SELL, "13519807", 1570752011620000000, 1570752011620000000)
    ticks = data_events("ticks/backtrader__ticksample.csv")
    assert isinstance(ticks[0], Trade) and (ticks[0].price, ticks[0].size) == (3067.0, 180.0)
    kraken = data_events("ticks/freqtrade__kraken_trades_BCHEUR.csv")
    rows = [(t.ts_event, t.price, t.size) for t in kraken if isinstance(t, Trade)]
    duplicated = (1672533909 * 10**9, 90.0, 0.05)
    assert rows.count(duplicated) == 2  # the real duplicate row is kept
    orderflow = data_events("ticks/freqtrade__orderflow_public_trades_list.csv")[0]
    assert isinstance(orderflow, Trade)
    assert (orderflow.price, orderflow.size, orderflow.aggressor, orderflow.trade_id) == (
        1666.8, 26.062, Aggressor.BUY, "1206419187")


# --------------------------------------------------------------------------- L2 files


@needs_data
def test_l2_files() -> None:
    (snap,) = data_events("l2/nautilus__binance_btcusdt-depth-snap.csv")
    assert isinstance(snap, BookSnapshot)
    assert (snap.sequence, len(snap.bids), len(snap.asks), snap.bids[0]) == (
        2098021528332, 100, 0, (20377.0, 1.77))
    (update,) = data_events("l2/nautilus__binance_btcusdt-depth-update.csv")
    assert isinstance(update, BookDelta)
    assert (update.first_sequence, update.sequence, len(update.asks), len(update.bids)) == (
        2098041693400 + 1, 2098041696700, 77, 23)
    assert sum(1 for _, q in update.asks + update.bids if q == 0) == 21
    assert update.raw is not None and update.raw["a"][0] == ["20472.80", "0.000"]
    (deribit,) = data_events("l2/nautilus__tardis_deribit_incremental_book_L2_BTC-PERPETUAL.csv")
    assert isinstance(deribit, BookSnapshot) and deribit.raw is not None
    assert (len(deribit.asks), deribit.asks[0], deribit.raw["a"][1]) == (
        15, (6421.5, 18640.0), ["6422", "1190"])
    books = data_events("l2/nautilus__tardis_binance-futures_book_snapshot_25_BTCUSDT.csv")
    assert len(books) == 10 and all(isinstance(b, BookSnapshot) for b in books)
    first = books[0]
    assert isinstance(first, BookSnapshot)
    assert (len(first.asks), len(first.bids)) == (25, 25)
    assert (first.asks[0], first.bids[0], first.asks[1]) == (
        (11657.08, 1.714), (11657.07, 10.896), (11657.54, 5.4))


# --------------------------------------------------------------------------- ws captures

BINANCE_WS = "ws/cryptofeed__BINANCE.ws.1.0"
KRAKEN_BOOK = "ws/cryptofeed__KRAKEN.ws.50.0"
COINBASE_WS = "ws/cryptofeed__COINBASE.ws.28.0"


@needs_data
def test_binance_capture_with_rest_snapshots_merged_in_time_order() -> None:
    events, report = load(BINANCE_WS)
    assert kinds(BINANCE_WS) == Counter(
        BookDelta=177, Quote=84, Trade=2, Bar=2, BookSnapshot=4, Instrument=4)
    assert (report.rows, report.bad_rows) == (265 + 4, 0)
    stamps = [ts for ts, _ in events]
    assert stamps == sorted(stamps)
    snapshots = [(i, e) for i, (_, e) in enumerate(events) if isinstance(e, BookSnapshot)]
    assert [s.instrument_id.symbol for _, s in snapshots] == [
        "NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"]
    index, nkn = snapshots[0]
    assert (nkn.sequence, nkn.ts_recv) == (499869752, 1633998512320639000)
    assert nkn.bids[0] == (0.3521, 672.0)
    assert nkn.raw is not None and nkn.raw["b"][0] == ["0.35210000", "672.00000000"]
    # after the first diff (received 512.0633569) and before the second (512.564785)
    assert events[index - 1][0] == 1633998512063356900 < nkn.ts_recv
    assert events[index + 1][0] == 1633998512564785000
    for i, snap in snapshots:  # each sits between the frames received around it
        assert events[i - 1][0] <= snap.ts_recv < events[i + 1][0]


@needs_data
def test_binance_frame_details() -> None:
    data = data_events(BINANCE_WS)
    first = data[0]
    assert first == BookDelta(InstrumentId("BINANCE", "NKNUSDT"),
                              [(0.3513, 6195.0), (0.3475, 5548.0), (0.3464, 6222.0)], [],
                              499869750, 499869752, 1633998512068000000, 1633998512063356900)
    assert first.raw == {"b": [["0.35130000", "6195.00000000"], ["0.34750000", "5548.00000000"],
                               ["0.34640000", "6222.00000000"]], "a": []}
    quote = next(e for e in data if isinstance(e, Quote))
    assert quote == Quote(InstrumentId("BINANCE", "NKNUSDT"), 0.3521, 672.0, 0.3526, 3199.0,
                          1633998513377805000, 1633998513377805000)  # no E: event = recv
    trade = next(e for e in data if isinstance(e, Trade))
    assert trade == Trade(InstrumentId("BINANCE", "NKNUSDT"), 0.3528, 58.0, Aggressor.BUY,
                          "15683430", 1633998523963000000, 1633998523957215000)
    bar = next(e for e in data if isinstance(e, Bar))
    assert bar == Bar(InstrumentId("BINANCE", "NKNUSDT"), MINUTE, 1633998480000 * 10**6,
                      0.3527, 0.3528, 0.3522, 0.3528, 25877.0, 30, False)
    assert {str(e.id) for _, e in load(BINANCE_WS)[0] if isinstance(e, Instrument)} == {
        "BINANCE:NKNUSDT", "BINANCE:BLZETH", "BINANCE:LRCBTC", "BINANCE:RUNEEUR"}


@needs_data
def test_binance_rest_file_reads_on_its_own() -> None:
    assert kinds("ws/cryptofeed__BINANCE.http.0.0") == Counter(BookSnapshot=4, Instrument=4)
    assert load("ws/cryptofeed__BINANCE.http.0.0")[1].bad_rows == 0  # trailing blank line


@needs_data
def test_kraken_frame_with_two_payloads_is_one_delta() -> None:
    frames = [(ts, e) for ts, e in load(KRAKEN_BOOK)[0]
              if ts == 1618678145951321100 and not isinstance(e, Instrument)]
    assert len(frames) == 1
    delta = frames[0][1]
    assert isinstance(delta, BookDelta)
    assert delta.instrument_id == InstrumentId("KRAKEN", "SC/EUR")
    assert delta.asks == [(0.04299, 364630.28272081)]
    assert delta.bids == [(0.04299, 0.0)]
    assert delta.checksum == 4105471083
    assert delta.raw == {"a": [["0.042990", "364630.28272081"]],
                         "b": [["0.042990", "0.00000000"]]}
    assert delta.ts_event == 1618678145920708000  # the latest level time


def _kraken_checksum(asks: dict[float, tuple[str, str]], bids: dict[float, tuple[str, str]]
                     ) -> int:
    def text(levels: list[tuple[str, str]]) -> str:
        return "".join(p.replace(".", "").lstrip("0") + v.replace(".", "").lstrip("0")
                       for p, v in levels)
    top_asks = [asks[p] for p in heapq.nsmallest(10, asks)]
    top_bids = [bids[p] for p in heapq.nlargest(10, bids)]
    return zlib.crc32((text(top_asks) + text(top_bids)).encode())


@needs_data
def test_kraken_book_checksums_all_verify_from_raw_strings() -> None:
    """The raw strings the reader keeps are enough to verify Kraken's CRC32 (an oracle)."""
    books: dict[InstrumentId, tuple[dict[float, tuple[str, str]], ...]] = {}
    verified = 0
    for _, event in load(KRAKEN_BOOK)[0]:
        if isinstance(event, BookSnapshot):
            books[event.instrument_id] = ({}, {})
        if not isinstance(event, BookSnapshot | BookDelta):
            continue
        asks, bids = books[event.instrument_id]
        assert event.raw is not None
        for side, book, worst in (("a", asks, max), ("b", bids, min)):
            for price, volume in event.raw[side]:
                if float(volume) == 0:
                    book.pop(float(price), None)
                else:
                    book[float(price)] = (price, volume)
            while len(book) > 1000:  # the subscription depth
                del book[worst(book)]
        if isinstance(event, BookDelta):
            assert event.checksum == _kraken_checksum(asks, bids)
            verified += 1
    assert verified == 4269


@needs_data
def test_kraken_trades_and_tickers() -> None:
    assert kinds("ws/cryptofeed__KRAKEN.ws.48.0") == Counter(Trade=10, Instrument=2)
    trade = data_events("ws/cryptofeed__KRAKEN.ws.48.0")[0]
    assert trade == Trade(InstrumentId("KRAKEN", "XMR/USD"), 354.11, 0.89594024,
                          Aggressor.SELL, "", 1618678142557535000, 1618678142592855000)
    assert kinds("ws/cryptofeed__KRAKEN.ws.49.0") == Counter(Quote=18, Instrument=10)
    quote = data_events("ws/cryptofeed__KRAKEN.ws.49.0")[0]  # ["13.253900", 35, "35.72..."]
    assert quote == Quote(InstrumentId("KRAKEN", "WAVES/EUR"), 13.2329, 185.18432037, 13.2539,
                          35.72892241, 1618678132949649800, 1618678132949649800)
    assert kinds(KRAKEN_BOOK) == Counter(BookSnapshot=10, BookDelta=4269, Instrument=10)
    assert load(KRAKEN_BOOK)[1].bad_rows == 0


@needs_data
def test_coinbase_capture_counts_and_rules() -> None:
    report = load(COINBASE_WS)[1]
    assert kinds(COINBASE_WS) == Counter(
        BookSnapshot=10, BookDelta=9719, Trade=97 + 10, Quote=107, Instrument=10)
    assert report.bad_rows == 0
    data = data_events(COINBASE_WS)
    trade = next(e for e in data if isinstance(e, Trade) and e.trade_id == "280232")
    # maker side "sell": the taker bought
    assert (trade.aggressor, trade.price, trade.size) == (Aggressor.BUY, 0.00001305, 985.0)
    assert trade.ts_event == utc("2021-04-17T16:43:37.089723")
    delta = next(e for e in data if isinstance(e, BookDelta))
    assert delta == BookDelta(InstrumentId("COINBASE", "SKL-BTC"), [], [(0.00001306, 660.5)],
                              0, 0, utc("2021-04-17T16:43:37.075687"), 1618677817118783000)
    quote = next(e for e in data if isinstance(e, Quote))
    assert (quote.bid, quote.ask) == (14.755, 14.806)
    assert math.isnan(quote.bid_size) and math.isnan(quote.ask_size)
    deletes = sum(1 for e in data if isinstance(e, BookDelta)
                  for _, size in e.bids + e.asks if size == 0)
    assert deletes == 2634


@needs_data
@pytest.mark.parametrize("name", [BINANCE_WS, COINBASE_WS, KRAKEN_BOOK])
def test_instrument_announced_once_before_its_first_event(name: str) -> None:
    announced: set[InstrumentId] = set()
    for _, event in load(name)[0]:
        if isinstance(event, Instrument):
            assert event.id not in announced
            announced.add(event.id)
        else:
            assert event.instrument_id in announced


# --------------------------------------------------------------------------- detection

EXPECTED_FORMATS = {
    **{f"ohlcv/{name}": fmt for name, fmt, *_ in OHLCV},
    **{f"ticks/{name}": fmt for name, fmt, *_ in TICKS},
    "ws/cryptofeed__BINANCE.http.0.0": "cryptofeed-http",
    "ws/cryptofeed__BINANCE.ws.1.0": "cryptofeed-ws",
    "ws/cryptofeed__COINBASE.ws.28.0": "cryptofeed-ws",
    "ws/cryptofeed__KRAKEN.ws.48.0": "cryptofeed-ws",
    "ws/cryptofeed__KRAKEN.ws.49.0": "cryptofeed-ws",
    "ws/cryptofeed__KRAKEN.ws.50.0": "cryptofeed-ws",
    "l2/nautilus__binance_btcusdt-depth-snap.csv": "binance-depth-csv",
    "l2/nautilus__binance_btcusdt-depth-update.csv": "binance-depth-csv",
    "l2/nautilus__tardis_deribit_incremental_book_L2_BTC-PERPETUAL.csv": "tardis-book-l2",
    "l2/nautilus__tardis_binance-futures_book_snapshot_25_BTCUSDT.csv": "tardis-book-snapshot",
}


@needs_data
def test_detect_format_for_every_recorded_file() -> None:
    found = {f"{p.parent.name}/{p.name}": detect_format(p).name
             for sub in ("ohlcv", "ticks", "ws", "l2") for p in (SHARED_DATA / sub).iterdir()}
    assert found == EXPECTED_FORMATS
    assert set(found.values()) <= set(FORMATS)


@needs_data
def test_non_recordings_are_refused_with_the_file_named() -> None:
    for path in [*(SHARED_DATA / "ref").iterdir(), *(SHARED_DATA / "webhook").iterdir()]:
        with pytest.raises(DataError, match=re.escape(path.name)):
            detect_format(path)


def test_unknown_file_missing_file_and_unknown_format(tmp_path: Path) -> None:
    odd = tmp_path / "notes.txt"
    odd.write_text("dear diary,\ntoday the market went up\n")
    with pytest.raises(DataError, match=re.escape("notes.txt")):
        open_recording(odd)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match=re.escape("empty.csv")):
        detect_format(empty)
    with pytest.raises(DataError, match=re.escape("nothing.csv")):
        open_recording(tmp_path / "nothing.csv")
    with pytest.raises(DataError, match=r"known: .*cryptofeed-ws"):
        open_recording(odd, "no-such-format")


# --------------------------------------------------------------------------- bad rows


def test_bad_rows_are_counted_located_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "vendor__bad.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"   # 1
        "2020-01-02,1.0,2.0,0.5,1.5,1.4,100\n"          # 2 good
        "2020-01-03,1.5,abc,1.0,1.2,1.1,200\n"          # 3 non-number High
        "2020-01-06,1.2,1.3\n"                          # 4 too few fields
        "2020-01-07,1.2,1.3,1.1,NaN,1.2,300\n"          # 5 NaN close
        "2020-01-08,1.2,1.2,1.2,1.2,1.2,0\n"            # 6 good: flat, zero volume
        "2020-02-30,1.2,1.3,1.1,1.2,1.2,300\n"          # 7 impossible date
        "2020-01-09,1.2,1.3,1.1,1.25,1.2,\n"            # 8 good: volume unknown
        "\n\n")
    events, report = open_recording(path)
    bars = [event for _, event in events if isinstance(event, Bar)]
    assert report.format == "yahoo-csv"
    assert [b.close for b in bars] == [1.5, 1.2, 1.25]
    assert math.isnan(bars[2].volume) and bars[1].volume == 0.0 and bars[1].is_flat
    assert (report.rows, report.bad_rows) == (3, 4)
    assert [(p.line, p.field) for p in report.problems] == [
        (3, "High"), (4, "Low"), (5, "Close"), (7, "Date")]
    assert all(p.source == str(path) for p in report.problems)
    assert "expected 7 fields, got 3" in report.problems[1].reason
    assert bars[0].instrument_id == InstrumentId("REPLAY", "BAD")


def test_bad_frames_in_a_capture_do_not_stop_it(tmp_path: Path) -> None:
    path = tmp_path / "cryptofeed__KRAKEN.ws.1.0"
    frame = ('[1,{"a":[["1.5","2.0","1618678145.920470"]],"c":"1"},"book-10","XBT/USD"]')
    path.write_text(
        "wss://ws.kraken.com <-> 1618678132.3858151\n"                    # 1
        'wss://ws.kraken.com <- 1618678132.8: {"event":"subscribe"}\n'    # 2 outbound
        f"1618678140.1: {frame}\n"                                        # 3 good
        "1618678140.2: [1,{\"a\":[[\"x\",\"1\",\"1\"]]},\"book-10\"\n"    # 4 broken JSON
        "garbage line\n"                                                  # 5
        "1618678140.3: {\"event\":\"heartbeat\"}\n"                       # 6 skipped
        f"1618678140.4: {frame}\n"                                        # 7 good
        "\n")
    events, report = open_recording(path)
    assert [type(e).__name__ for _, e in events] == ["Instrument", "BookDelta", "BookDelta"]
    assert (report.rows, report.bad_rows) == (3, 2)
    assert [p.line for p in report.problems] == [4, 5]


def test_problem_list_is_capped_but_all_bad_rows_counted(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    lines = ["timestamp,open,high,low,close"]
    lines += ["2020-01-01 00:00:00,1,1,1,x"] * 1500
    lines += ["2020-01-01 00:01:00,1,2,1,2"]
    path.write_text("\n".join(lines) + "\n")
    events, report = open_recording(path, "ohlc-csv")
    assert sum(1 for _, e in events if isinstance(e, Bar)) == 1
    assert report.bad_rows == 1500
    assert len(report.problems) == MAX_PROBLEMS_KEPT
    assert report.problems[-1].line == MAX_PROBLEMS_KEPT + 1


def test_gzip_files_are_detected_and_read(tmp_path: Path) -> None:
    path = tmp_path / "src__eurusd.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("timestamp,bid,ask\n2013-01-01 22:00:00.295000+00:00,86.655,86.728\n")
    assert detect_format(path).name == "quotes-csv"
    events, report = open_recording(path)
    read = [event for _, event in events]
    assert [type(e).__name__ for e in read] == ["Instrument", "Quote"]
    assert isinstance(read[1], Quote) and str(read[1].instrument_id) == "REPLAY:EURUSD"
    assert report.rows == 1


def test_forced_format_that_does_not_fit_gives_data_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n")
    events, _ = open_recording(path, "ohlc-csv")
    with pytest.raises(DataError, match=re.escape("x.csv")):
        list(events)
