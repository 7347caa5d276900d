"""Portfolio risk kernels on real daily stock bars, each figure against a computation written
here (plain Python loops, pandas for the alignment and the pairwise correlation); exposures of
paper positions taken on a replay of the real Binance capture against hand values."""

import asyncio
import math
import statistics
import warnings
from decimal import Decimal as D

import numpy as np
import pandas as pd
import pytest

from plugins.replay.formats import open_recording
from terminal.app import DEFAULT_BALANCES, Engine, EngineOptions
from terminal.kernels import performance
from terminal.kernels import portfolio_risk as pr
from terminal.model.ids import InstrumentId
from terminal.model.orders import OrderStatus, OrderType, Side
from terminal.services.execution import OrderRequest
from terminal.services.portfolio_risk import (
    Exposure,
    aligned_returns,
    exposure_report,
    holding_values,
    marks_from_market,
)
from tests.data_paths import SHARED_DATA

OHLCV = SHARED_DATA / "ohlcv"
FILES = {"GOOG": "backtesting.py__GOOG.csv", "ORCL": "backtrader__orcl-1995-2014.txt",
         "YHOO": "backtrader__yhoo-2014.txt"}
CONFIDENCES = (0.95, 0.975, 0.99)


def load_closes(name: str) -> tuple[np.ndarray, np.ndarray]:
    events, report = open_recording(OHLCV / FILES[name])
    bars = [e for _, e in events if type(e).__name__ == "Bar"]
    assert report.bad_rows == 0 and len(bars) > 200
    return (np.array([b.ts for b in bars], dtype=np.int64),
            np.array([b.close for b in bars], dtype=np.float64))


@pytest.fixture(scope="module")
def closes() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {name: load_closes(name) for name in FILES}


@pytest.fixture(scope="module")
def frame(closes) -> pd.DataFrame:
    """Daily returns aligned by date the pandas way: each series' own pct_change, outer join."""
    cols = {name: pd.Series(c, index=pd.to_datetime(ts)).pct_change()
            for name, (ts, c) in closes.items()}
    return pd.concat(cols, axis=1, join="outer", sort=True)


@pytest.fixture(scope="module")
def matrix(closes):
    return aligned_returns(closes)


# --- independent references ---------------------------------------------------------------
def ref_pnl(rows: np.ndarray, weights: list[float]) -> list[float]:
    out = []
    for row in rows.tolist():
        held = [(w, r) for w, r in zip(weights, row, strict=True) if w != 0.0]
        if all(math.isfinite(r) for _, r in held):
            out.append(sum(w * r for w, r in held))
    return out


def ref_var_es(pnl: list[float], c: float) -> tuple[float, float]:
    losses = sorted(-p for p in pnl)
    h = (len(losses) - 1) * c
    lo = int(h)
    var = losses[lo] if lo + 1 >= len(losses) else \
        losses[lo] + (h - lo) * (losses[lo + 1] - losses[lo])
    tail = [x for x in losses if x >= var]
    return var, sum(tail) / len(tail)


def normal_quantile(p: float) -> float:
    lo, hi = -10.0, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def ref_pearson(xs: list[float], ys: list[float]) -> float:
    pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(x) and math.isfinite(y)]
    n = len(pairs)
    mx = sum(x for x, _ in pairs) / n
    my = sum(y for _, y in pairs) / n
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    sxx = sum((x - mx) ** 2 for x, _ in pairs)
    syy = sum((y - my) ** 2 for _, y in pairs)
    return sxy / math.sqrt(sxx * syy)


# --- returns and alignment ------------------------------------------------------------------
def test_aligned_returns_match_pandas(matrix, frame):
    ts, keys, m = matrix
    assert keys == list(FILES)
    assert len(ts) == len(frame)
    np.testing.assert_array_equal(ts, frame.index.asi8)
    np.testing.assert_allclose(m, frame[keys].to_numpy(), rtol=1e-15, equal_nan=True)
    # GOOG (2004-2013) and YHOO (2014) never share a day; ORCL spans both
    both = np.isfinite(m[:, 0]) & np.isfinite(m[:, 2])
    assert not both.any()
    assert (np.isfinite(m[:, 0]) & np.isfinite(m[:, 1])).sum() > 2000


# --- historical VaR / ES --------------------------------------------------------------------
@pytest.mark.parametrize("weights", [[0.6, 0.4, 0.0], [1.0, -0.5, 0.0], [0.0, 0.7, 0.3],
                                     [0.0, 250_000.0, -100_000.0]])
def test_historical_var_es_against_sorted_losses(matrix, weights):
    _, _, m = matrix
    pnl = ref_pnl(m, weights)
    assert len(pnl) > 200
    for c in CONFIDENCES:
        var, es = pr.historical_var_es_of(m, weights, c)
        ref_var, ref_es = ref_var_es(pnl, c)
        assert var == pytest.approx(ref_var, rel=1e-12)
        assert es == pytest.approx(ref_es, rel=1e-12)
        assert es >= var > 0
        # the same convention as numpy.quantile's default
        assert var == pytest.approx(float(np.quantile(-np.array(pnl), c)), rel=1e-12)


def test_historical_var_from_a_pnl_vector_skips_nan(closes):
    _, close = closes["YHOO"]
    pnl = np.diff(close) * 1000.0  # P&L of 1000 shares held through 2014
    with_gaps = np.concatenate([[math.nan], pnl, [math.nan]])
    var, es = pr.historical_var_es(with_gaps, 0.99)
    ref_var, ref_es = ref_var_es(pnl.tolist(), 0.99)
    assert (var, es) == (pytest.approx(ref_var, rel=1e-12), pytest.approx(ref_es, rel=1e-12))
    assert all(math.isnan(x) for x in pr.historical_var_es([math.nan], 0.99))
    with pytest.raises(ValueError):
        pr.historical_var_es(pnl, 1.0)


# --- parametric VaR / ES --------------------------------------------------------------------
@pytest.mark.parametrize("weights", [[0.6, 0.4, 0.0], [1.0, -0.5, 0.0], [0.0, 0.7, 0.3]])
def test_parametric_var_es_against_normal_formulas(matrix, weights):
    _, _, m = matrix
    pnl = ref_pnl(m, weights)  # its sample variance is w'Sw over the same complete rows
    mu, sigma = statistics.fmean(pnl), statistics.stdev(pnl)
    for c in CONFIDENCES:
        z = normal_quantile(c)
        pdf = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        for horizon, with_mean in ((1.0, True), (10.0, True), (10.0, False)):
            mu_h = mu * horizon if with_mean else 0.0
            sigma_h = sigma * math.sqrt(horizon)
            var, es = pr.parametric_var_es(m, weights, c, horizon=horizon, with_mean=with_mean)
            assert var == pytest.approx(z * sigma_h - mu_h, rel=1e-9)
            assert es == pytest.approx(sigma_h * pdf / (1 - c) - mu_h, rel=1e-9)


def test_covariance_matches_pandas_on_complete_rows(matrix, frame):
    _, _, m = matrix
    mean, cov, rows = pr.covariance(m, [True, True, False])
    complete = frame[["GOOG", "ORCL"]].dropna()
    assert rows == len(complete)
    np.testing.assert_allclose(mean[:2], complete.mean().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(cov[:2, :2], complete.cov().to_numpy(), rtol=1e-12)
    assert np.isnan(cov[2]).all() and np.isnan(mean[2])


# --- drawdown monitor -----------------------------------------------------------------------
def ref_drawdown(equity: list[float]) -> tuple[float, int, float, int]:
    """(max drawdown, longest duration in points, current drawdown, current duration)."""
    peak, peak_at, worst, longest = equity[0], 0, 0.0, 0
    for i, e in enumerate(equity):
        if e >= peak:
            peak, peak_at = e, i
        else:
            worst = min(worst, e / peak - 1)
        longest = max(longest, i - peak_at)
    # a recovery bar ends the drawdown: count it, as the batch statistics do
    peak, peak_at = equity[0], 0
    for i, e in enumerate(equity):
        if e >= peak:
            longest = max(longest, i - peak_at)
            peak, peak_at = e, i
    current = equity[-1] / peak - 1
    return worst, longest, current, (len(equity) - 1 - peak_at) if current < 0 else 0


@pytest.mark.parametrize("name", list(FILES))
def test_drawdown_streaming_equals_batch_and_reference(closes, name):
    ts, equity = closes[name]
    batch = pr.DrawdownMonitor()
    curve = batch.extend(equity)
    streaming = pr.DrawdownMonitor()
    points = [streaming.push(x) for x in equity]
    chunked = pr.DrawdownMonitor()
    parts = [chunked.extend(part) for part in np.array_split(equity, 7)]
    np.testing.assert_array_equal(curve, points)
    np.testing.assert_array_equal(curve, np.concatenate(parts))
    np.testing.assert_array_equal(batch.state, streaming.state)
    np.testing.assert_array_equal(batch.state, chunked.state)

    series = pd.Series(equity)
    np.testing.assert_allclose(curve, (series / series.cummax() - 1).to_numpy(), rtol=1e-15)
    worst, longest, current, duration = ref_drawdown(equity.tolist())
    assert batch.max_drawdown == pytest.approx(worst, rel=1e-15) and worst < 0
    assert batch.max_duration == longest
    assert batch.current == pytest.approx(current, rel=1e-15, abs=0)
    assert batch.duration == duration
    peak_at, trough_at = batch.max_drawdown_span
    assert equity[trough_at] / equity[peak_at] - 1 == pytest.approx(worst, rel=1e-15)
    assert equity[peak_at] == equity[: peak_at + 1].max()
    # the same figures as the backtest statistics
    stats = performance.stats(ts, equity, np.zeros(len(equity)), np.empty((0, 7)), 252.0)
    assert (stats.max_drawdown, stats.max_drawdown_bars) == (batch.max_drawdown,
                                                             batch.max_duration)


def test_drawdown_nan_points_count_but_change_nothing():
    monitor = pr.DrawdownMonitor()
    curve = monitor.extend([100.0, 120.0, math.nan, 90.0, 130.0, 117.0])
    assert math.isnan(curve[2])
    np.testing.assert_allclose(curve[[0, 1, 3, 4, 5]], [0, 0, -0.25, 0, -0.1])
    assert monitor.points == 6 and monitor.peak == 130.0 and monitor.peak_index == 4
    assert monitor.max_drawdown_span == (1, 3) and monitor.max_duration == 3
    assert monitor.duration == 1 and monitor.current == pytest.approx(-0.1)


# --- correlation ----------------------------------------------------------------------------
def test_correlation_pairwise_complete_matches_pandas(matrix, frame):
    _, keys, m = matrix
    corr = pr.correlation(m)
    expected = frame[keys].corr().to_numpy()  # pandas uses pairwise complete observations
    np.testing.assert_allclose(corr, expected, rtol=1e-12, atol=1e-15, equal_nan=True)
    assert math.isnan(corr[0, 2]) and math.isnan(corr[2, 0])  # GOOG and YHOO never overlap
    assert corr[0, 1] == pytest.approx(ref_pearson(m[:, 0].tolist(), m[:, 1].tolist()),
                                       rel=1e-12)
    assert corr[1, 2] == pytest.approx(ref_pearson(m[:, 1].tolist(), m[:, 2].tolist()),
                                       rel=1e-12)
    np.testing.assert_array_equal(np.diag(corr), [1.0, 1.0, 1.0])


def test_correlation_of_a_constant_series_is_nan_without_warnings(closes):
    _, goog = closes["GOOG"]
    returns = pr.simple_returns(goog)
    # 0.1 does not average back to exactly 0.1: rounding must not make up a correlation
    m = np.column_stack([returns, np.full(len(returns), 0.1), np.zeros(len(returns))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        corr = pr.correlation(m)
    assert corr[0, 0] == 1.0
    assert np.isnan(corr[1:, :]).all() and np.isnan(corr[:, 1:]).all()


# --- exposure kernel ------------------------------------------------------------------------
def test_exposure_kernel_on_last_closes(closes):
    names = list(FILES)
    last = [closes[n][1][-1] for n in names]
    qty = [10.0, -300.0, 200.0, -50.0]
    price = [*last, math.nan]
    values, by_instrument = pr.exposures(qty, price, [0, 1, 2, 3], 4)
    hand = [q * p for q, p in zip(qty[:3], last, strict=True)]
    np.testing.assert_array_equal(values[:3], hand)
    assert math.isnan(values[3])
    _, one = pr.exposures(qty, price, [0, 0, 0, 0], 1)
    long_, short = hand[0] + hand[2], -hand[1]
    np.testing.assert_allclose(one[0], [long_, short, long_ - short, long_ + short], rtol=1e-15)
    np.testing.assert_array_equal(by_instrument[3], [0, 0, 0, 0])


# --- the service on a real engine -----------------------------------------------------------
NKN = InstrumentId("BINANCE", "NKNUSDT")
RUNE = InstrumentId("BINANCE", "RUNEEUR")
CAPTURE = SHARED_DATA / "ws" / "cryptofeed__BINANCE.ws.1.0"


@pytest.fixture(scope="module")
def engine_state(tmp_path_factory):
    """Paper positions on the replay: long 1500 NKNUSDT, short 50 RUNEEUR."""
    out: dict[str, object] = {}

    async def scenario() -> None:
        engine = Engine(EngineOptions(data_dir=tmp_path_factory.mktemp("risk"),
                                      replay_paths=[CAPTURE], speed="max",
                                      starting_balances={**DEFAULT_BALANCES, "RUNE": "1000"}))
        await engine.start()
        assert engine.orders is not None
        await engine.run()
        # the book at the end: NKNUSDT 9602@0.3527 / 152@0.3531, RUNEEUR 69.3@6.251 / 69.3@6.269
        for req in (OrderRequest(NKN, Side.BUY, OrderType.MARKET, "1500", source="test"),
                    OrderRequest(RUNE, Side.SELL, OrderType.MARKET, "50", source="test")):
            order = await engine.orders.submit(req)
            assert order.status is OrderStatus.FILLED
        marks = marks_from_market(engine.market_data, [NKN, RUNE])
        out["positions"] = {k: v.quantity for k, v in engine.portfolio.positions.items()}
        out["marks"] = marks
        out["report"] = exposure_report(engine.portfolio, engine.instruments, marks)
        out["converted"] = exposure_report(engine.portfolio, engine.instruments, marks,
                                           rates={"EUR": 1.16}, reporting_currency="USDT")
        out["no_eur_rate"] = exposure_report(engine.portfolio, engine.instruments, marks,
                                             rates={}, reporting_currency="USDT")
        out["unpriced"] = exposure_report(engine.portfolio, engine.instruments, {NKN: 0.3529})
        await engine.stop()

    asyncio.run(scenario())
    return out


def test_engine_marks_are_the_final_mids(engine_state):
    assert engine_state["positions"] == {NKN: D("1500"), RUNE: D("-50")}
    assert engine_state["marks"] == {NKN: pytest.approx(0.3529, rel=1e-15),
                                     RUNE: pytest.approx(6.26, rel=1e-15)}


def test_exposures_of_paper_positions(engine_state):
    report = engine_state["report"]
    nkn = 1500 * 0.3529  # 529.35 USDT long
    rune = 50 * 6.26  # 313.0 EUR short
    assert report.by_instrument[NKN] == Exposure(pytest.approx(nkn), 0.0, pytest.approx(nkn),
                                                 pytest.approx(nkn))
    assert report.by_instrument[RUNE] == Exposure(0.0, pytest.approx(rune), pytest.approx(-rune),
                                                  pytest.approx(rune))
    assert set(report.by_currency) == {"USDT", "EUR"}
    assert report.by_currency["USDT"] == report.by_instrument[NKN]
    assert report.by_currency["EUR"] == report.by_instrument[RUNE]
    assert report.total is None and report.unpriced == []


def test_exposure_total_only_with_rates(engine_state):
    total = engine_state["converted"].total
    long_, short = 529.35, 313.0 * 1.16  # 363.08 USDT
    assert (total.long, total.short, total.net, total.gross) == (
        pytest.approx(long_), pytest.approx(short), pytest.approx(long_ - short),
        pytest.approx(long_ + short))
    no_eur = engine_state["no_eur_rate"]
    assert no_eur.missing_rates == ("EUR",)
    assert no_eur.total == Exposure(pytest.approx(529.35), 0.0, pytest.approx(529.35),
                                    pytest.approx(529.35))


def test_unpriced_positions_are_listed_and_left_out(engine_state):
    report = engine_state["unpriced"]
    assert report.unpriced == [RUNE]
    assert report.by_currency["EUR"] == Exposure(0.0, 0.0, 0.0, 0.0)
    assert report.by_instrument[RUNE] == Exposure(0.0, 0.0, 0.0, 0.0)  # not NaN: nothing counted
    assert report.by_instrument[NKN].net == pytest.approx(529.35)


def test_holding_values_weight_var_in_money(engine_state, matrix):
    report = engine_state["converted"]
    with pytest.raises(ValueError, match="several currencies"):
        holding_values(report, [NKN, RUNE])
    w = holding_values(report, [NKN, RUNE], rates={"EUR": 1.16}, reporting_currency="USDT")
    np.testing.assert_allclose(w, [529.35, -363.08])
    # the money weights on two real return series: VaR scales with them
    _, _, m = matrix
    var, _ = pr.historical_var_es_of(m[:, 1:], w, 0.99)
    ref_var, _ = ref_var_es(ref_pnl(m[:, 1:], w.tolist()), 0.99)
    assert var == pytest.approx(ref_var, rel=1e-12)
