"""Indicator kernels on 1e6 bars against TA-Lib and pandas, timed in the same run.

The bars are a real file's bars (GOOG daily) tiled to a million. Each figure is our time
over the reference's time, so below 1.00x is faster; the target against TA-Lib is not to
be slower. VWAP and the z-score have no TA-Lib function: the z-score's reference is TA-Lib
SMA plus STDDEV, VWAP has only the pandas reference. Every function is run once before
timing (ours are compiled or loaded from numba's cache then). Each ratio comes from its
own series of runs taken in turns, ours, the reference's, ours, ..., each figure the best
of its runs in that series, so a busy moment on a shared machine weighs on both sides of a
ratio alike (the TA-Lib and the pandas line each show the "ours" of their own series).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
import pandas as pd
import talib

from bench.common import SHARED_DATA, interleaved_best
from plugins.replay.formats import open_recording
from terminal.kernels import directional, momentum, trend, volatility, volume
from terminal.model.market import Bar

N_BARS = 1_000_000
ROUNDS = 15  # runs of ours and of TA-Lib each
PANDAS_ROUNDS = 5  # of pandas (1 for WMA, whose rolling().apply calls Python per bar)
SOURCE = SHARED_DATA / "ohlcv" / "backtesting.py__GOOG.csv"

Arrays = dict[str, np.ndarray]


def tiled_bars() -> Arrays:
    events, _ = open_recording(SOURCE)
    rows = np.array([(e.high, e.low, e.close, e.volume) for _, e in events
                     if isinstance(e, Bar)], dtype=np.float64)
    reps = -(-N_BARS // len(rows))
    tiled = np.tile(rows, (reps, 1))[:N_BARS]
    minute = 60_000_000_000
    return {"high": np.ascontiguousarray(tiled[:, 0]), "low": np.ascontiguousarray(tiled[:, 1]),
            "close": np.ascontiguousarray(tiled[:, 2]),
            "volume": np.ascontiguousarray(tiled[:, 3]),
            "ts": np.arange(N_BARS, dtype=np.int64) * minute}


def _wilder(s: pd.Series, n: int) -> pd.Series:
    return s.ewm(alpha=1.0 / n, adjust=False).mean()


def pandas_adx(h: pd.Series, lo: pd.Series, c: pd.Series, n: int = 14) -> pd.Series:
    up, down = h.diff(), -lo.diff()
    plus = up.where((up > down) & (up > 0), 0.0)
    minus = down.where((down > up) & (down > 0), 0.0)
    tr = pd.concat([h - lo, (h - c.shift()).abs(), (lo - c.shift()).abs()], axis=1).max(axis=1)
    atr = _wilder(tr, n)
    pdi, mdi = 100 * _wilder(plus, n) / atr, 100 * _wilder(minus, n) / atr
    return _wilder(100 * (pdi - mdi).abs() / (pdi + mdi), n)


def cases(b: Arrays) -> list[tuple[str, Callable[[], object], Callable[[], object] | None,
                                   Callable[[], object]]]:
    h, lo, c, v, ts = b["high"], b["low"], b["close"], b["volume"], b["ts"]
    sh, sl, sc, sv = (pd.Series(x) for x in (h, lo, c, v))
    weights = np.arange(1.0, 31.0)
    prev_close = sc.shift()
    tr = pd.concat([sh - sl, (sh - prev_close).abs(), (sl - prev_close).abs()], axis=1)
    days = ts // volume.NS_PER_DAY

    def pandas_stoch() -> object:
        lowest, highest = sl.rolling(5).min(), sh.rolling(5).max()
        k = (100 * (sc - lowest) / (highest - lowest)).rolling(3).mean()
        return k, k.rolling(3).mean()

    def pandas_macd() -> object:
        line = sc.ewm(span=12, adjust=False).mean() - sc.ewm(span=26, adjust=False).mean()
        signal = line.ewm(span=9, adjust=False).mean()
        return line, signal, line - signal

    def pandas_vwap() -> object:
        frame = pd.DataFrame({"pv": (sh + sl + sc) / 3 * sv, "v": sv}).groupby(days).cumsum()
        return frame["pv"] / frame["v"]

    return [
        ("SMA(30)", lambda: trend.sma(c, 30), lambda: talib.SMA(c, 30),
         lambda: sc.rolling(30).mean()),
        ("WMA(30)", lambda: trend.wma(c, 30), lambda: talib.WMA(c, 30),
         lambda: sc.rolling(30).apply(lambda w: w @ weights / weights.sum(), raw=True)),
        ("EMA(30) TA-Lib seed", lambda: trend.ema_talib(c, 30), lambda: talib.EMA(c, 30),
         lambda: sc.ewm(span=30, adjust=False).mean()),
        ("MACD(12,26,9)", lambda: trend.macd(c), lambda: talib.MACD(c, 12, 26, 9),
         pandas_macd),
        # TA-Lib's moving averages in BBANDS and STOCH are left at their default, SMA
        ("BBANDS(5,2,2)", lambda: volatility.bbands(c),
         lambda: talib.BBANDS(c, 5, 2.0, 2.0),
         lambda: (sc.rolling(5).mean(), sc.rolling(5).std(ddof=0))),
        ("z-score(20)", lambda: volatility.zscore(c, 20),
         lambda: (c - talib.SMA(c, 20)) / talib.STDDEV(c, 20, 1.0),
         lambda: (sc - sc.rolling(20).mean()) / sc.rolling(20).std(ddof=0)),
        ("ATR(14)", lambda: volatility.atr(h, lo, c), lambda: talib.ATR(h, lo, c, 14),
         lambda: _wilder(tr.max(axis=1), 14)),
        ("STOCH(5,3,3)", lambda: momentum.stoch(h, lo, c),
         lambda: talib.STOCH(h, lo, c, fastk_period=5, slowk_period=3, slowd_period=3),
         pandas_stoch),
        ("ADX(14) + DI", lambda: directional.adx(h, lo, c),
         lambda: (talib.ADX(h, lo, c, 14), talib.PLUS_DI(h, lo, c, 14),
                  talib.MINUS_DI(h, lo, c, 14)),
         lambda: pandas_adx(sh, sl, sc)),
        ("OBV", lambda: volume.obv(c, v), lambda: talib.OBV(c, v),
         lambda: (cast(pd.Series, np.sign(sc.diff())).fillna(0) * sv).cumsum()),
        ("VWAP (UTC days)", lambda: volume.vwap(h, lo, c, v, ts=ts), None, pandas_vwap),
    ]


def line(name: str, ours: float, reference: float | None, ref_name: str,
         target: float | None = None) -> None:
    if reference is None:
        print(f"{name:44} {'-':>6}  {ref_name}  (ours {ours * 1e3:,.1f} ms, no reference)")
        return
    ratio = ours / reference
    verdict = ""
    if target is not None:
        verdict = f"  target <= {target:.2f}x: {'met' if ratio <= target else 'NOT MET'}"
    print(f"{name:44} {ratio:6.2f}x {ref_name}  (ours {ours * 1e3:,.1f} ms, "
          f"reference {reference * 1e3:,.1f} ms){verdict}")


def main() -> None:
    print(f"== indicator kernels on {N_BARS:,} bars vs TA-Lib and pandas (time ratio) ==")
    if not SOURCE.is_file():
        print(f"{SOURCE.name}: missing, skipped")
        return
    bars = tiled_bars()
    for name, ours_fn, talib_fn, pandas_fn in cases(bars):
        slow = name.startswith("WMA")
        for fn in (ours_fn, talib_fn, None if slow else pandas_fn):  # first calls (ours:
            if fn is not None:  # compiled or loaded from the cache)
                fn()
        # each ratio from its own series of runs in turns, ours then the reference's: in
        # one series of three, ours would always follow pandas (big frees and allocations)
        if talib_fn is not None:
            ours, ta = interleaved_best([ROUNDS, ROUNDS], [ours_fn, talib_fn])
            line(f"{name} vs TA-Lib", ours, ta, "TA-Lib", target=1.0)
        ours_p, pd_s = interleaved_best([1 if slow else PANDAS_ROUNDS] * 2,
                                        [ours_fn, pandas_fn])
        if talib_fn is None:
            line(f"{name} vs TA-Lib", ours_p, None, "TA-Lib")
        line(f"{name} vs pandas", ours_p, pd_s, "pandas")


if __name__ == "__main__":
    main()
