"""Bars built by the engine from real trades and bars, checked against pandas."""

from datetime import UTC, datetime
from itertools import pairwise

import pandas as pd
import pytest

from plugins.replay.formats import open_recording
from terminal.model.market import Bar, Trade
from terminal.services.bars import BarAggregator
from terminal.services.timeframes import parse_timeframe
from tests.data_paths import SHARED_DATA


def build(events, spec: str, kind=Trade) -> tuple[list[Bar], BarAggregator]:
    out: list[Bar] = []
    agg = BarAggregator(parse_timeframe(spec), out.append)
    for ts, event in events:
        if isinstance(event, kind):
            agg.on_time(ts)
            (agg.on_trade if kind is Trade else agg.on_bar)(event)
    agg.flush()
    return out, agg


def frame(bars: list[Bar]) -> pd.DataFrame:
    return pd.DataFrame({"open": [b.open for b in bars], "high": [b.high for b in bars],
                         "low": [b.low for b in bars], "close": [b.close for b in bars],
                         "volume": [b.volume for b in bars]},
                        index=pd.to_datetime([b.ts for b in bars], unit="ns", utc=True))


def pandas_bars(df: pd.DataFrame, rule: str) -> pd.DataFrame:
    grouped = df.resample(rule, label="left", closed="left")
    out = pd.DataFrame({"open": grouped["open"].first(), "high": grouped["high"].max(),
                        "low": grouped["low"].min(), "close": grouped["close"].last(),
                        "volume": grouped["volume"].sum(min_count=1)})
    return out.dropna(subset=["open"])


@pytest.mark.parametrize(("spec", "rule"), [("1m", "1min"), ("5m", "5min"), ("1h", "1h"),
                                            ("1d", "1D")])
def test_bars_from_real_trades_match_pandas(spec, rule):
    events, _ = open_recording(SHARED_DATA / "ticks" / "freqtrade__XRP_ETH-trades.json.gz")
    events = list(events)
    trades = [e for _, e in events if isinstance(e, Trade)]
    assert len(trades) == 12477
    ours, agg = build(events, spec)
    assert agg.stats.late_trades == {} and agg.stats.rejected_trades == 0
    ticks = pd.DataFrame({"open": [t.price for t in trades], "high": [t.price for t in trades],
                          "low": [t.price for t in trades], "close": [t.price for t in trades],
                          "volume": [t.size for t in trades]},
                         index=pd.to_datetime([t.ts_event for t in trades], unit="ns", utc=True))
    expected = pandas_bars(ticks, rule)
    got = frame(ours)
    assert len(got) == len(expected) > 0
    pd.testing.assert_frame_equal(got, expected, check_freq=False, check_exact=False,
                                  rtol=1e-12)
    assert sum(b.trades for b in ours) == 12477


def test_gapped_minute_bars_keep_their_gaps_when_resampled():
    """CASES 4: freqtrade's 1-minute file misses minutes (gaps of 2 to 8 minutes)."""
    events, _ = open_recording(SHARED_DATA / "ohlcv" / "freqtrade__UNITTEST_BTC-1m.json")
    events = list(events)
    minutes = [e for _, e in events if isinstance(e, Bar)]
    assert len(minutes) == 13681
    steps = {b.ts - a.ts for a, b in pairwise(minutes)}
    assert max(steps) == 8 * 60 * 10**9  # the gaps are in the input
    ours, _ = build(events, "5m", kind=Bar)
    expected = pandas_bars(frame(minutes), "5min")
    pd.testing.assert_frame_equal(frame(ours), expected, check_freq=False, check_exact=False,
                                  rtol=1e-12)
    # no synthetic bars: every 5-minute bar holds at least one real minute
    assert len(ours) == len(expected)


def test_daily_session_bars_follow_new_york_close_across_dst():
    """CASES 7: EURUSD hourly bars, naive UTC. Daily bars for a 17:00 America/New_York close
    cut at 21:00 UTC before the 2017-11-05 clock change and at 22:00 UTC after it."""
    events, _ = open_recording(SHARED_DATA / "ohlcv" / "backtesting.py__EURUSD.csv")
    events = list(events)
    hours = [e for _, e in events if isinstance(e, Bar)]
    assert len(hours) == 5000
    days, _ = build(events, "1d@17:00 America/New_York", kind=Bar)
    change = datetime(2017, 11, 5, 6, 0, tzinfo=UTC).timestamp() * 1e9
    before = [d for d in days if d.ts < change]
    after = [d for d in days if d.ts >= change]
    assert before and after
    assert {datetime.fromtimestamp(d.ts / 1e9, UTC).hour for d in before[1:]} == {21}
    assert {datetime.fromtimestamp(d.ts / 1e9, UTC).hour for d in after} == {22}
    # independently: group the hours by their New York trading date (the day after 17:00)
    df = frame(hours)
    session = (df.index.tz_convert("America/New_York") + pd.Timedelta(hours=7)).date
    grouped = df.groupby(session)
    expected = pd.DataFrame({"open": grouped["open"].first(), "high": grouped["high"].max(),
                             "low": grouped["low"].min(), "close": grouped["close"].last(),
                             "volume": grouped["volume"].sum()})
    got = frame(days)
    assert len(got) == len(expected)
    for column in ("open", "high", "low", "close", "volume"):
        assert got[column].tolist() == pytest.approx(expected[column].tolist(), rel=1e-12)


def test_timeframe_specs_are_validated():
    from terminal.core.errors import ConfigError

    for bad in ("7m", "0m", "1x", "1000000000d", "1h@17:00 America/New_York", "1d@25:00 UTC",
                "1d@17:00 Mars/Olympus"):
        with pytest.raises(ConfigError):
            parse_timeframe(bad)
    assert parse_timeframe("15m").interval_ns == 15 * 60 * 10**9
