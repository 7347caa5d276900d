"""Quality findings on real recordings and on faults injected into them."""

from dataclasses import replace

from plugins.replay.formats import open_recording
from terminal.core.bus import EventBus
from terminal.core.topics import Kind
from terminal.model.instrument import Instrument
from terminal.model.market import Bar, BookDelta, BookSnapshot, Quote, Trade
from terminal.services.bars import BarBuilder
from terminal.services.books import BookManager
from terminal.services.instruments import InstrumentService
from terminal.services.market_data import MarketDataService
from terminal.services.quality import QualityFinding
from terminal.services.timeframes import parse_timeframe
from tests.data_paths import SHARED_DATA


def service() -> tuple[MarketDataService, EventBus, list[QualityFinding], list[object]]:
    bus = EventBus()
    findings: list[QualityFinding] = []
    published: list[object] = []
    bus.subscribe_kind(Kind.QUALITY, lambda _t, f: findings.append(f))
    for kind in (Kind.TRADE, Kind.QUOTE, Kind.BAR):
        bus.subscribe_kind(kind, lambda _t, e: published.append(e))
    bars = BarBuilder([parse_timeframe("1m")], lambda _b: None)
    md = MarketDataService(bus, InstrumentService(bus), BookManager(bus), bars)
    return md, bus, findings, published


def play(md: MarketDataService, events) -> None:
    table = {Trade: md.on_trade, Quote: md.on_quote, Bar: md.on_bar,
             BookSnapshot: md.on_book_snapshot, BookDelta: md.on_book_delta,
             Instrument: md.on_instrument}
    for ts, event in events:
        md.on_time(ts)
        table[type(event)](event)


def recording(relative: str):
    events, _ = open_recording(SHARED_DATA / relative)
    return list(events)


def test_clean_captures_raise_no_findings():
    for name in ("ws/cryptofeed__BINANCE.ws.1.0", "ws/cryptofeed__COINBASE.ws.28.0",
                 "ws/cryptofeed__KRAKEN.ws.50.0"):
        md, _bus, findings, _ = service()
        play(md, recording(name))
        assert findings == [], (name, findings[:3])


def test_quiet_stretches_in_a_trade_history_are_the_only_findings():
    md, _bus, findings, _ = service()
    play(md, recording("ticks/freqtrade__XRP_ETH-trades.json.gz"))
    # 12,477 trades with contiguous ids: no duplicates, no disorder, no bad values; a few
    # silences of more than a minute after busy stretches read as a quiet feed
    assert {f.kind for f in findings} <= {"stale_feed"}
    assert all(float(f.detail.split()[3]) > 60 for f in findings)


def test_truefx_locked_quote_is_flagged_and_kept():
    md, _bus, findings, published = service()
    play(md, recording("ticks/nautilus__truefx_usdjpy-ticks.csv"))
    kinds = [f.kind for f in findings if f.kind != "stale_feed"]  # the FX reopen is slow
    assert kinds == ["locked_quote"]  # PROVENANCE: 1 locked, 0 crossed
    assert len([q for q in published if isinstance(q, Quote)]) == 1000


def test_kraken_duplicated_row_is_a_repeated_print():
    md, _bus, findings, published = service()
    play(md, recording("ticks/freqtrade__kraken_trades_BCHEUR.csv"))
    assert [f.kind for f in findings] == ["repeated_print"]  # the 1 fully duplicated row
    assert len([t for t in published if isinstance(t, Trade)]) == 148


def test_injected_faults_are_found_and_bad_events_dropped():
    events = recording("ws/cryptofeed__COINBASE.ws.28.0")
    trades = [(ts, e) for ts, e in events if isinstance(e, Trade)]
    quotes = [(ts, e) for ts, e in events if isinstance(e, Quote)]
    ts0, t0 = trades[0]
    ts1, q0 = quotes[0]
    injected = [
        (ts0, replace(t0, trade_id="nan-1", price=float("nan"))),
        (ts0, replace(t0, trade_id="zero-1", price=0.0)),
        (ts0, t0),
        (ts0, t0),  # the same trade id again
        (ts0, replace(t0, trade_id="far-1", price=t0.price * 3)),
        (ts1, replace(q0, bid=q0.ask * 1.01)),  # crossed
        (ts1, replace(q0, ts_event=q0.ts_event - 10**9)),  # older than the previous quote
    ]
    md, _bus, findings, published = service()
    md.on_quote(q0)
    play(md, injected)
    kinds = [f.kind for f in findings]
    assert kinds == ["bad_value", "bad_value", "duplicate", "outlier", "crossed_quote",
                     "out_of_order"]
    trades_out = [e for e in published if isinstance(e, Trade)]
    assert [t.trade_id for t in trades_out] == [t0.trade_id, "far-1"]  # outliers are kept
    crossed = [q for q in published if isinstance(q, Quote) and q.bid > q.ask]
    assert crossed == []
    assert md.quality.summary()[str(t0.instrument_id)]["bad_value"] == 2


def test_a_feed_that_goes_quiet_is_reported_once():
    # Coinbase then Kraken, 285 s apart on the replay clock: the Coinbase books go quiet
    events = sorted(recording("ws/cryptofeed__COINBASE.ws.28.0") +
                    recording("ws/cryptofeed__KRAKEN.ws.48.0"), key=lambda e: e[0])
    md, _bus, findings, _ = service()
    play(md, events)
    stale = [f for f in findings if f.kind == "stale_feed"]
    assert sorted(str(f.instrument_id) for f in stale) == sorted(
        str(i) for i in md.instruments_seen if i.venue == "COINBASE")
    assert all(f.count == 1 for f in stale)


def test_inconsistent_bars_are_dropped_zero_volume_and_flat_bars_kept():
    md, _bus, findings, published = service()
    play(md, recording("ohlcv/backtrader__2006-day-001.txt"))  # volume 0 on every row
    assert findings == [] and len([b for b in published if isinstance(b, Bar)]) == 255
    md, _bus, findings, published = service()
    bars = [(ts, e) for ts, e in recording("ohlcv/backtrader__2006-01-02-volume-min-001.txt")
            if isinstance(e, Bar)]
    ts, bar = bars[0]
    play(md, [(ts, replace(bar, high=bar.low - 1.0)), *bars[1:]])
    assert [f.kind for f in findings] == ["inconsistent_bar"]
    flat = [b for b in published if isinstance(b, Bar) and b.is_flat]
    assert len(flat) == 5736 - (1 if bars[0][1].is_flat else 0)
