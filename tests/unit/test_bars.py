import math

from terminal.model.ids import InstrumentId
from terminal.model.market import Aggressor, Bar, Trade
from terminal.services.bars import NS_PER_MINUTE, BarAggregator

IID = InstrumentId("BINANCE", "NKNUSDT")
S = 1_000_000_000
T0 = 1_633_998_480 * S  # 2021-10-12 00:28:00 UTC, a minute boundary


def trade(ts: int, price: float, size: float = 1.0) -> Trade:
    return Trade(IID, price, size, Aggressor.BUY, "t", ts, ts)


def make() -> tuple[BarAggregator, list[Bar]]:
    closed: list[Bar] = []
    return BarAggregator(NS_PER_MINUTE, closed.append), closed


def test_bar_closes_on_time_without_a_next_trade():
    agg, closed = make()
    agg.on_trade(trade(T0 + 43 * S, 0.3528, 58))
    agg.on_time(T0 + 59 * S)
    assert closed == []
    agg.on_time(T0 + 60 * S)
    assert closed == []  # exactly at the end: a bar stamped at its close may still arrive
    agg.on_time(T0 + 60 * S + 1)
    assert len(closed) == 1
    bar = closed[0]
    assert (bar.ts, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.trades) == (
        T0, 0.3528, 0.3528, 0.3528, 0.3528, 58, 1)


def test_gaps_stay_gaps_and_buckets_are_exact():
    agg, closed = make()
    agg.on_trade(trade(T0, 1.0))
    agg.on_trade(trade(T0 + 59 * S + 999_999_999, 2.0))
    agg.on_trade(trade(T0 + 5 * 60 * S, 3.0))  # four empty minutes in between
    agg.on_time(T0 + 6 * 60 * S + 1)
    assert [b.ts for b in closed] == [T0, T0 + 5 * 60 * S]
    assert (closed[0].open, closed[0].close, closed[0].trades) == (1.0, 2.0, 2)


def test_late_trade_is_counted_and_never_changes_a_closed_bar():
    agg, closed = make()
    agg.on_trade(trade(T0 + 10 * S, 1.0, 5))
    agg.on_time(T0 + 61 * S)
    agg.on_trade(trade(T0 + 30 * S, 0.5, 7))  # belongs to the closed 00:28 bar
    agg.on_time(T0 + 200 * S)
    assert len(closed) == 1 and closed[0].low == 1.0 and closed[0].volume == 5
    assert agg.stats.late_trades == {str(IID): 1}


def test_nan_and_non_positive_prints_are_rejected_not_spread():
    agg, closed = make()
    agg.on_trade(trade(T0, math.nan))
    agg.on_trade(trade(T0 + S, 0.0))
    agg.on_trade(trade(T0 + 2 * S, 1.5, math.nan))
    agg.on_trade(trade(T0 + 3 * S, 1.5, 0.0))  # zero-size print is valid
    agg.on_time(T0 + 60 * S + 1)
    assert agg.stats.rejected_trades == 3
    assert len(closed) == 1 and closed[0].close == 1.5 and closed[0].volume == 0.0
