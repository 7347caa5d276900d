"""On-balance volume and session VWAP (numba, cached).

Resumable like terminal.kernels.trend (fixed-size state from `obv_state`/`vwap_state`). A
bar with a NaN input leaves the state untouched and gives NaN at that bar.

OBV matches TA-Lib: it starts at the first bar's volume and adds (subtracts) each bar's
volume when the close rises (falls); all-zero volume gives an all-zero OBV.

VWAP is anchored to sessions: the cumulative (typical price * volume) / cumulative volume
since the session began, typical price = (high + low + close) / 3 (TA-Lib TYPPRICE). The
kernel takes a session key per bar and starts over when the key changes; `vwap` builds the
keys from UTC days of the bar times, or from an array marking the bars that open a session.
Until a session has traded any volume its VWAP is NaN (no volume, no volume-weighted
price; a typical-price fallback would look like a VWAP that is not one). A zero-volume bar
later in the session repeats the VWAP so far. No division by zero either way.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

from terminal.kernels._window import F64, contiguous

NS_PER_DAY = 86_400_000_000_000
OBV_STATE_SIZE = 5  # OBV, previous close, bars seen (counted up to 2), the OBV one bar
# before, the last step (+volume, -volume or 0)
VWAP_STATE_SIZE = 4  # session key, sum of price * volume, sum of volume, bars seen


def obv_state() -> F64:
    return np.zeros(OBV_STATE_SIZE)


@njit(cache=True, nogil=True, error_model="numpy")
def obv_run(close: F64, volume: F64, out: F64, state: F64) -> None:  # pragma: no cover
    # OBV_i = OBV_{i-2} + (step_{i-1} + step_i): two interleaved chains of one add per two
    # bars, where a single running sum (TA-Lib's) is one add per bar. The step is chosen
    # without a branch (a rise or fall is a coin toss the branch predictor would lose).
    # Whole volumes sum exactly either way; fractional ones differ from TA-Lib's by the
    # sums' rounding.
    total = state[0]
    prev = state[1]
    seen = state[2]
    total1 = state[3]
    step1 = state[4]
    size = close.shape[0]
    i = 0
    while i < size and seen < 2:
        c = close[i]
        v = volume[i]
        i += 1
        if math.isnan(c) or math.isnan(v):
            out[i - 1] = math.nan
            continue
        if seen == 0:
            total = v
        else:
            step1 = v if c > prev else (-v if c < prev else 0.0)
            total1 = total
            total += step1
        prev = c
        seen += 1
        out[i - 1] = total
    cs = close[i:]
    vs = volume[i:]
    os = out[i:]
    for j in range(cs.shape[0]):
        c = cs[j]
        v = vs[j]
        if math.isnan(c + v) and (math.isnan(c) or math.isnan(v)):  # one test for most bars
            os[j] = math.nan
            continue
        step = v if c > prev else 0.0
        step = -v if c < prev else step
        now = total1 + (step1 + step)
        total1 = total
        total = now
        step1 = step
        prev = c
        os[j] = now
    state[0] = total
    state[1] = prev
    state[2] = seen
    state[3] = total1
    state[4] = step1


def obv(close: F64, volume: F64) -> F64:
    """On-balance volume (TA-Lib OBV)."""
    out = np.empty(len(close))
    obv_run(contiguous(close), contiguous(volume), out, obv_state())
    return out


def vwap_state() -> F64:
    return np.zeros(VWAP_STATE_SIZE)


@njit(cache=True, nogil=True)
def vwap_run(high: F64, low: F64, close: F64, volume: F64, session: F64, out: F64,
             state: F64) -> None:  # pragma: no cover
    key = state[0]
    pv = state[1]
    vol = state[2]
    seen = state[3]
    for i in range(high.shape[0]):
        h = high[i]
        lo = low[i]
        c = close[i]
        v = volume[i]
        s = session[i]
        if math.isnan(h) or math.isnan(lo) or math.isnan(c) or math.isnan(v) or math.isnan(s):
            out[i] = math.nan
            continue
        if seen == 0 or s != key:
            key = s
            pv = 0.0
            vol = 0.0
        pv += (h + lo + c) / 3.0 * v
        vol += v
        seen += 1
        out[i] = pv / vol if vol > 0.0 else math.nan
    state[0] = key
    state[1] = pv
    state[2] = vol
    state[3] = seen


def utc_day_sessions(ts: npt.NDArray[np.int64]) -> F64:
    """Session keys for `vwap_run`: the UTC day of each int64 ns timestamp."""
    return (np.asarray(ts, dtype=np.int64) // NS_PER_DAY).astype(np.float64)


def boundary_sessions(starts: npt.ArrayLike) -> F64:
    """Session keys for `vwap_run` from a boolean array, True on a session's first bar."""
    return np.cumsum(np.asarray(starts, dtype=bool)).astype(np.float64)


def vwap(high: F64, low: F64, close: F64, volume: F64,
         ts: npt.NDArray[np.int64] | None = None,
         session_starts: npt.ArrayLike | None = None) -> F64:
    """Session VWAP; sessions are UTC days of `ts` unless `session_starts` is given (one
    of the two is needed)."""
    if session_starts is not None:
        keys = boundary_sessions(session_starts)
    elif ts is not None:
        keys = utc_day_sessions(ts)
    else:
        raise ValueError("vwap needs bar times (ts) or session_starts")
    if len(keys) != len(close):
        raise ValueError("sessions must have one entry per bar")
    out = np.empty(len(close))
    vwap_run(contiguous(high), contiguous(low), contiguous(close), contiguous(volume), keys,
             out, vwap_state())
    return out
