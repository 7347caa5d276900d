"""Canonical instruments from venue metadata (Binance exchangeInfo, Coinbase products, Kraken
AssetPairs), checked on the real `ref/` captures in ../shared/data (counts from its
PROVENANCE.md), and their delivery by the replay plugin before playback (CASES 9)."""

from __future__ import annotations

import asyncio
import gzip
import json
import sqlite3
import subprocess
import sys
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from plugins.binance.instruments import parse_exchange_info
from plugins.coinbase.instruments import parse_products
from plugins.kraken.instruments import KrakenSymbols, parse_asset_pairs
from plugins.replay.config import ReplayConfig
from plugins.replay.data_client import ReplayDataClient
from plugins.replay.formats import open_recording
from plugins.replay.formats.cryptofeed_ref import read_instrument_file
from terminal.cli import main
from terminal.core.errors import DataError, InstrumentError
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.numbers import decimals_of, floor_to_step, is_on_step
from terminal.plugin_host.base import PluginContext
from tests.data_paths import REPO_ROOT, SHARED_DATA

REF = SHARED_DATA / "ref"
BINANCE_REF = REF / "cryptofeed__BINANCE.0"
COINBASE_REF = REF / "cryptofeed__COINBASE.0"
KRAKEN_REF = REF / "cryptofeed__KRAKEN.0"
BINANCE_WS = SHARED_DATA / "ws" / "cryptofeed__BINANCE.ws.1.0"

pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(),
                                reason=f"shared data not found at {SHARED_DATA}")


@cache
def ref(path: Path) -> tuple[tuple[Instrument, ...], dict[str, str]]:
    skipped: dict[str, str] = {}
    return tuple(read_instrument_file(path, skipped)), skipped


def by_id(path: Path) -> dict[str, Instrument]:
    return {str(i.id): i for i in ref(path)[0]}


def raw_body(path: Path) -> Any:
    return json.loads(path.read_text().splitlines()[0].split(": ", 1)[1])


def recorded_ids(relative: str) -> set[InstrumentId]:
    events, _ = open_recording(SHARED_DATA / relative)
    return {e.id for _, e in events if isinstance(e, Instrument)}


# --------------------------------------------------------------------------------- Binance


def test_binance_counts_and_status() -> None:
    instruments, skipped = ref(BINANCE_REF)
    assert len(instruments) == 1695 and skipped == {}
    assert sum(i.trading for i in instruments) == 1262
    assert sum(not i.trading for i in instruments) == 433
    assert {i.info["status"] for i in instruments if not i.trading} == {"BREAK"}
    assert len({i.id for i in instruments}) == 1695
    assert all(i.id.venue == "BINANCE" for i in instruments)


def test_binance_nknusdt_constraints() -> None:
    nkn = by_id(BINANCE_REF)["BINANCE:NKNUSDT"]
    assert (nkn.base, nkn.quote, nkn.trading) == ("NKN", "USDT", True)
    assert nkn.tick_size == Decimal("0.0001")
    assert nkn.lot_size == Decimal(1)
    assert nkn.min_qty == Decimal(1) and nkn.max_qty == Decimal(9_000_000)
    assert nkn.min_notional == Decimal(10)
    # precision from the steps, not from the 8-decimal strings
    assert (nkn.price_decimals, nkn.size_decimals) == (4, 0)
    assert nkn.round_price(Decimal("0.352149")) == Decimal("0.3521")
    assert nkn.floor_qty(Decimal("12.9")) == Decimal(12)
    assert nkn.info["market_max_qty"] == "691026.07991660"


def test_binance_values_are_exact_and_precisions_follow_the_steps() -> None:
    instruments = ref(BINANCE_REF)[0]
    ticks = [i.tick_size for i in instruments]
    assert min(ticks) == Decimal("0.00000001") and max(ticks) == Decimal(10)
    steps = [i.lot_size for i in instruments]
    assert min(steps) == Decimal("0.000001") and max(steps) == Decimal(10)
    for i in instruments:
        assert i.price_decimals == decimals_of(i.tick_size), i.id
        assert i.size_decimals == decimals_of(i.lot_size), i.id
    eth = by_id(BINANCE_REF)["BINANCE:ETHBTC"]
    assert (eth.price_decimals, eth.size_decimals) == (6, 4)
    assert format(eth.tick_size, "f") == "0.00000100"  # the venue's own string, unchanged
    # "1.00" (two decimals) and "10.00000000" ticks both mean whole units
    assert {i.price_decimals for i in instruments if i.tick_size >= 1} == {0}


def test_binance_market_lot_step_of_zero_is_no_step() -> None:
    """CASES 9: MARKET_LOT_SIZE.stepSize is "0.00000000" on 1614 symbols."""
    instruments = ref(BINANCE_REF)[0]
    zero_step = [i for i in instruments if "market_lot_size" in i.info
                 and Decimal(i.info["market_lot_size"]) == 0]
    assert len(zero_step) == 1614
    qty = Decimal("1234.567891234")
    for i in zero_step:
        # the order's lot comes from LOT_SIZE; the market step of 0 never reaches a division
        assert i.lot_size > 0
        floored = i.floor_qty(qty)
        assert floored == floor_to_step(qty, i.lot_size) and is_on_step(floored, i.lot_size)
        market = i.with_precision(i.tick_size, Decimal(i.info["market_lot_size"]))
        assert market.floor_qty(qty) == qty  # a step of 0: no constraint
        assert is_on_step(qty, market.lot_size)
    assert sum("max_position" in i.info for i in instruments) == 40


def test_binance_synthetic_filters() -> None:
    body = {"symbols": [
        {"symbol": "ABCUSDT", "status": "TRADING", "baseAsset": "ABC", "quoteAsset": "USDT",
         "filters": [{"filterType": "PRICE_FILTER", "tickSize": "0.00100000"},
                     {"filterType": "LOT_SIZE", "stepSize": "0.00000000", "minQty": "0",
                      "maxQty": "0"},
                     {"filterType": "NOTIONAL", "minNotional": "5.00000000",
                      "maxNotional": "9000000.00000000"}]},
        {"symbol": "BAD", "status": "TRADING", "baseAsset": "B", "quoteAsset": "D",
         "filters": [{"filterType": "PRICE_FILTER", "tickSize": "-1"}]},
        {"symbol": "NOBASE", "status": "TRADING", "filters": []},
    ]}
    skipped: dict[str, str] = {}
    [abc] = parse_exchange_info(body, skipped=skipped)
    assert abc.min_notional == Decimal(5) and abc.info["max_notional"] == "9000000.00000000"
    assert abc.lot_size == 0 and abc.size_precision is None
    assert abc.floor_qty(Decimal("1.23456789")) == Decimal("1.23456789")
    assert set(skipped) == {"BAD", "NOBASE"} and "baseAsset" in skipped["NOBASE"]
    with pytest.raises(DataError, match="symbols"):
        parse_exchange_info({"code": -1121, "msg": "Invalid symbol."})


# -------------------------------------------------------------------------------- Coinbase


def test_coinbase_products() -> None:
    products, skipped = ref(COINBASE_REF)
    assert len(products) == 162 and skipped == {}
    assert all(p.trading for p in products)  # every product is online in this capture
    got = by_id(COINBASE_REF)
    btc = got["COINBASE:BTC-USD"]
    assert (btc.base, btc.quote) == ("BTC", "USD")
    assert (btc.tick_size, btc.lot_size) == (Decimal("0.01"), Decimal("0.00000001"))
    assert (btc.min_qty, btc.max_qty) == (Decimal("0.0001"), Decimal(280))
    assert btc.min_notional == Decimal(5) and btc.info["max_market_funds"] == "1000000"
    assert (btc.price_decimals, btc.size_decimals) == (2, 8)
    skl = got["COINBASE:SKL-USD"]
    assert (skl.tick_size, skl.lot_size) == (Decimal("0.0001"), Decimal("0.1"))
    assert (skl.min_qty, skl.max_qty, skl.min_notional) == (Decimal(5), Decimal(1_000_000),
                                                            Decimal(5))
    dash = got["COINBASE:DASH-BTC"]
    assert (dash.tick_size, dash.lot_size) == (Decimal("0.00000001"), Decimal("0.001"))
    assert min(p.tick_size for p in products) == Decimal("0.00000001")
    assert max(p.tick_size for p in products) == Decimal("0.01")
    assert sum(p.info["limit_only"] == "true" for p in products) == 8


def test_coinbase_trading_rule() -> None:
    base = {"id": "x-usd", "base_currency": "X", "quote_currency": "USD",
            "quote_increment": "0.01", "base_increment": "1"}
    cases: list[tuple[dict[str, Any], bool]] = [
        ({}, True), ({"status": "online"}, True), ({"post_only": True}, True),
        ({"limit_only": True}, True), ({"status": "offline"}, False),
        ({"status": "delisted"}, False), ({"trading_disabled": True}, False),
        ({"cancel_only": True}, False)]
    for extra, trading in cases:
        [product] = parse_products([{**base, **extra}])
        assert product.trading is trading, extra
    [product] = parse_products([{**base, "min_market_funds": None}])
    assert product.id == InstrumentId("COINBASE", "X-USD") and product.min_notional == 0
    skipped: dict[str, str] = {}
    assert parse_products([{**base, "quote_increment": "n/a"}], skipped=skipped) == []
    assert "quote_increment" in skipped["x-usd"]
    with pytest.raises(DataError, match="NotFound"):
        parse_products({"message": "NotFound"})  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- Kraken


def test_kraken_pairs_use_the_websocket_name() -> None:
    pairs, skipped = ref(KRAKEN_REF)
    assert len(raw_body(KRAKEN_REF)["result"]) == 304
    assert len(pairs) == 293
    assert len(skipped) == 11 and all(k.endswith(".d") for k in skipped)
    assert all("wsname" in reason for reason in skipped.values())
    xbt = by_id(KRAKEN_REF)["KRAKEN:XBT/EUR"]
    assert (xbt.base, xbt.quote) == ("XBT", "EUR")
    assert xbt.info == {"key": "XXBTZEUR", "altname": "XBTEUR", "base_code": "XXBT",
                        "quote_code": "ZEUR"}
    assert xbt.tick_size == Decimal("0.1")  # pair_decimals 1
    assert xbt.lot_size == Decimal("0.00000001") and xbt.min_qty == Decimal("0.0002")
    assert (xbt.price_decimals, xbt.size_decimals) == (1, 8)
    assert xbt.round_price(Decimal("45123.46")) == Decimal("45123.5")
    ticks = {i.price_precision: i.tick_size for i in pairs}
    assert ticks[0] == Decimal(1) and ticks[10] == Decimal("0.0000000001")


def test_kraken_symbols_map_every_name() -> None:
    symbols = KrakenSymbols(ref(KRAKEN_REF)[0])
    assert len(symbols) == 293
    want = InstrumentId("KRAKEN", "XBT/EUR")
    for name in ("XXBTZEUR", "XBTEUR", "XBT/EUR", "xbt/eur", "KRAKEN:XBT/EUR"):
        assert symbols.resolve(name) == want, name
    assert symbols.resolve("XXBTZEUR.d") is None
    with pytest.raises(InstrumentError, match=r"XXBTZEUR\.d"):
        symbols.id_of("XXBTZEUR.d")
    assert (symbols.asset("XXBT"), symbols.asset("ZEUR"), symbols.asset("DOT")) == \
        ("XBT", "EUR", "DOT")


def test_kraken_newer_fields_and_bad_bodies() -> None:
    pair = {"altname": "ABCUSD", "wsname": "ABC/USD", "base": "ABC", "quote": "ZUSD",
            "pair_decimals": 3, "lot_decimals": 2, "ordermin": "5", "costmin": "0.5",
            "tick_size": "0.005", "status": "cancel_only"}
    [abc] = parse_asset_pairs({"error": [], "result": {"ABCUSD": pair}})
    assert (abc.tick_size, abc.min_notional, abc.trading) == (Decimal("0.005"),
                                                              Decimal("0.5"), False)
    for status, trading in (("online", True), ("post_only", True), ("delisted", False)):
        [p] = parse_asset_pairs({"result": {"ABCUSD": {**pair, "status": status}}})
        assert p.trading is trading
    skipped: dict[str, str] = {}
    broken = {"NOWS": {**pair, "wsname": "ABCUSD"}, "NODEC": {**pair, "pair_decimals": "x"}}
    assert parse_asset_pairs({"result": broken}, skipped=skipped) == []
    assert set(skipped) == {"NOWS", "NODEC"}
    with pytest.raises(DataError, match="EQuery:Unknown asset pair"):
        parse_asset_pairs({"error": ["EQuery:Unknown asset pair"]})


def test_canonical_ids_match_the_websocket_recordings() -> None:
    assert recorded_ids("ws/cryptofeed__KRAKEN.ws.49.0") <= {i.id for i in ref(KRAKEN_REF)[0]}
    assert recorded_ids("ws/cryptofeed__BINANCE.ws.1.0") <= {i.id
                                                            for i in ref(BINANCE_REF)[0]}
    assert recorded_ids("ws/cryptofeed__COINBASE.ws.28.0") <= {i.id
                                                              for i in ref(COINBASE_REF)[0]}


# ------------------------------------------------------------------------------ ref reader


@pytest.mark.parametrize(("text", "message", "line"), [
    ("", "no exchange metadata", None),
    ("configuration: {}\n", "no exchange metadata", None),
    ("hello\n", "not a cryptofeed response line", 1),
    ("https://example.com/products -> 1.5: []\n", "not a known metadata endpoint", 1),
    ("https://api.binance.com/api/v3/depth?symbol=X -> 1.5: {}\n", "not a known metadata", 1),
    ("\nhttps://api.kraken.com/0/public/AssetPairs -> 1.5: {oops\n", "not JSON", 2),
    ("https://api.pro.coinbase.com/products -> 1.5: {\"message\": \"x\"}\n", "expected a list",
     1),
])
def test_ref_reader_errors_name_file_and_line(tmp_path: Path, text: str, message: str,
                                             line: int | None) -> None:
    path = tmp_path / "cryptofeed__X.0"
    path.write_text(text)
    with pytest.raises(DataError, match=message) as info:
        read_instrument_file(path)
    assert info.value.source == str(path) and info.value.line == line


def test_ref_reader_takes_gzip_and_several_responses(tmp_path: Path) -> None:
    lines = COINBASE_REF.read_bytes().splitlines()
    path = tmp_path / "cryptofeed__COINBASE.0.gz"
    path.write_bytes(gzip.compress(b"\n".join([lines[0], lines[0], lines[1]])))
    assert len(read_instrument_file(path)) == 2 * 162
    with pytest.raises(DataError, match="cannot read"):
        read_instrument_file(tmp_path / "missing.0")


# ------------------------------------------------------------------------- replay plugin


class Sink:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda value: self.calls.append((name, value))


def replay(paths: list[Path], instruments: list[Path]) -> tuple[ReplayDataClient, Sink]:
    sink = Sink()
    context = cast(PluginContext, SimpleNamespace(market_data=sink))
    config = ReplayConfig.model_validate({"paths": paths, "speed": "max",
                                          "instruments": instruments})
    client = ReplayDataClient(context, config)
    asyncio.run(client.run())
    return client, sink


def test_replay_announces_metadata_before_the_first_event(tmp_path: Path) -> None:
    client, sink = replay([BINANCE_WS], [BINANCE_REF, KRAKEN_REF])
    assert client.errors == []
    first_other = next(n for n, (kind, _) in enumerate(sink.calls) if kind != "on_instrument")
    assert first_other == 1695 + 293
    ahead = [value for _, value in sink.calls[:first_other]]
    assert ahead[0].id == InstrumentId("BINANCE", "ETHBTC") and ahead[0].tick_size > 0
    assert client.stats()["instrument_files"] == [
        {"path": str(BINANCE_REF), "instruments": 1695, "skipped": 0},
        {"path": str(KRAKEN_REF), "instruments": 293, "skipped": 11}]


def test_replay_keeps_playing_after_a_bad_metadata_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.0"
    bad.write_text("not metadata\n")
    client, sink = replay([BINANCE_WS], [bad])
    assert len(client.errors) == 1 and str(bad) in client.errors[0]
    announced = [value for kind, value in sink.calls if kind == "on_instrument"]
    assert client.events > 0 and len(announced) == 4  # only the recording's bare ones
    assert all(i.tick_size == 0 for i in announced)
    with pytest.raises(ValueError, match="no such file"):
        ReplayConfig.model_validate({"paths": [BINANCE_WS],
                                     "instruments": [tmp_path / "missing.0"]})


def test_cli_refuses_instruments_without_replay(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--headless", "--instruments", str(BINANCE_REF)])
    assert exit_info.value.code == 2
    assert "--instruments needs --replay" in capsys.readouterr().err


def test_headless_run_stores_metadata_not_bare_instruments(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    summary_path = tmp_path / "summary.json"
    result = subprocess.run(
        [sys.executable, "-m", "terminal", "--headless", "--replay", str(BINANCE_WS),
         "--instruments", str(BINANCE_REF), "--speed", "max", "--data-dir", str(data_dir),
         "--summary-json", str(summary_path)],
        capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    summary = json.loads(summary_path.read_text())
    assert summary["errors"] == []
    # 1695 from the metadata, then the recording's 4 bare ones (refused by the service)
    assert summary["events"]["by_kind"]["instrument"] == 1695 + 4
    db = sqlite3.connect(data_dir / "terminal.db")
    rows = {row[0]: row[1:] for row in db.execute(
        "select id, tick_size, lot_size, min_notional, price_precision, trading "
        "from instruments")}
    db.close()
    assert len(rows) == 1695
    tick, lot, min_notional, precision, trading = rows["BINANCE:NKNUSDT"]
    assert (Decimal(tick), Decimal(lot), Decimal(min_notional)) == (Decimal("0.0001"),
                                                                    Decimal(1), Decimal(10))
    assert (precision, trading) == (4, 1)
    # none of the recorded instruments lost its constraints to the bare announcement
    for symbol in ("BLZETH", "LRCBTC", "NKNUSDT", "RUNEEUR"):
        assert Decimal(rows[f"BINANCE:{symbol}"][0]) > 0, symbol
