"""Portfolio risk figures over float64 arrays (numba, cached).

Conventions:

- Exposure of a position = signed quantity × mark, in the instrument's quote currency (linear
  instruments: no contract multiplier). Per group (an instrument, or a currency): long = sum of
  the positive values, short = sum of the magnitudes of the negative ones (so short >= 0),
  net = long - short, gross = long + short. A row with a NaN quantity or mark adds nothing to
  its group (its own value is NaN). Groups are only summed across currencies when rates are
  given: `exposure_total` multiplies each currency's figures by its rate into one reporting
  currency and leaves out currencies whose rate is NaN; nothing is ever converted implicitly.
- Returns are simple returns, `c[i] / c[i-1] - 1`; a returns matrix has one row per period and
  one column per holding. Weights are in any unit: fractions of capital give VaR as a fraction,
  position values in money give VaR in money.
- Portfolio P&L of a row = sum of weight × return over the columns with a non-zero weight; a
  row with a NaN in one of those columns is dropped (NaN in the P&L series, skipped after).
- Losses are positive: loss = -P&L. VaR at confidence c is the c-quantile of the losses,
  interpolated linearly between order statistics as numpy.quantile's default ('linear',
  Hyndman-Fan type 7): h = (n - 1) c, VaR = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])
  over the sorted losses x. Expected shortfall = the mean of the losses at or above VaR.
- Parametric VaR and ES assume normal P&L with the sample mean and sample covariance (ddof 1)
  of the rows complete in every held column: sigma = sqrt(w' S w), mu = w' m, and over h periods
  (i.i.d.) mu h and sigma sqrt(h); VaR = z sigma - mu, ES = sigma phi(z) / (1 - c) - mu, with
  z the standard normal c-quantile and phi its density. Without the mean, mu = 0.
- Drawdown at a point = equity / running peak - 1 (0 or negative, as terminal.kernels.
  performance). A drawdown lasts from its peak to the first point back at (or above) the peak,
  or to the latest point while under water; durations count points. NaN points are counted
  (indices stay those of the input) but change nothing else. Equity is expected positive.
- Correlation uses pairwise complete observations (the rows where both series are finite), as
  pandas' DataFrame.corr. Fewer than two such rows, or a series constant over them (max ==
  min, checked exactly, so rounding in the mean cannot make up a correlation), gives NaN; the
  diagonal is 1 where the series varies. No warnings: nothing here divides by zero.
- A figure with nothing to measure (no rows, no losses) is NaN.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import numpy.typing as npt
from numba import njit

from terminal.kernels._window import F64, contiguous

I64 = npt.NDArray[np.int64]

(E_LONG, E_SHORT, E_NET, E_GROSS) = range(4)
N_EXPOSURE = 4

(D_POINTS, D_PEAK, D_PEAK_AT, D_CURRENT, D_DURATION, D_MAX, D_MAX_PEAK_AT, D_MAX_TROUGH_AT,
 D_MAX_DURATION) = range(9)
N_DRAWDOWN = 9


# exposure -------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def exposure_run(quantity: F64, price: F64, group: I64, values: F64,
                 out: F64) -> None:  # pragma: no cover
    """Per-row values into `values`; per-group long, short, net, gross into `out` (G x 4)."""
    for g in range(out.shape[0]):
        for k in range(N_EXPOSURE):
            out[g, k] = 0.0
    for i in range(quantity.shape[0]):
        v = quantity[i] * price[i]
        values[i] = v
        if not math.isfinite(v):
            values[i] = math.nan
            continue
        g = group[i]
        if v > 0.0:
            out[g, E_LONG] += v
        elif v < 0.0:
            out[g, E_SHORT] -= v
    for g in range(out.shape[0]):
        out[g, E_NET] = out[g, E_LONG] - out[g, E_SHORT]
        out[g, E_GROSS] = out[g, E_LONG] + out[g, E_SHORT]


@njit(cache=True, nogil=True)
def exposure_total(by_group: F64, rate: F64, out: F64) -> int:  # pragma: no cover
    """Sum the groups' figures times their rate; the number of groups left out (NaN rate)."""
    for k in range(N_EXPOSURE):
        out[k] = 0.0
    missing = 0
    for g in range(by_group.shape[0]):
        r = rate[g]
        if not math.isfinite(r):
            missing += 1
            continue
        for k in range(N_EXPOSURE):
            out[k] += by_group[g, k] * r
    return missing


# returns and P&L --------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def simple_returns_run(close: F64, out: F64) -> None:  # pragma: no cover
    n = close.shape[0]
    if n == 0:
        return
    out[0] = math.nan
    for i in range(1, n):
        r = close[i] / close[i - 1] - 1.0
        out[i] = r if math.isfinite(r) else math.nan


@njit(cache=True, nogil=True)
def portfolio_pnl_run(returns: F64, weights: F64, out: F64) -> int:  # pragma: no cover
    """Per-row P&L into `out` (NaN for an incomplete row); the number of complete rows."""
    complete = 0
    for t in range(returns.shape[0]):
        total = 0.0
        ok = True
        for j in range(returns.shape[1]):
            w = weights[j]
            if w == 0.0:
                continue
            r = returns[t, j]
            if not math.isfinite(r):
                ok = False
                break
            total += w * r
        if ok:
            out[t] = total
            complete += 1
        else:
            out[t] = math.nan
    return complete


# historical VaR / ES ----------------------------------------------------------------------
@njit(cache=True, nogil=True)
def historical_var_es_run(pnl: F64, confidence: float, out: F64) -> int:  # pragma: no cover
    """VaR and ES of the finite P&L values into out[0], out[1]; how many values were used."""
    n = 0
    for i in range(pnl.shape[0]):
        if math.isfinite(pnl[i]):
            n += 1
    out[0] = out[1] = math.nan
    if n == 0:
        return 0
    losses = np.empty(n)
    k = 0
    for i in range(pnl.shape[0]):
        if math.isfinite(pnl[i]):
            losses[k] = -pnl[i]
            k += 1
    losses.sort()
    h = (n - 1) * confidence
    lo = math.floor(h)
    var = losses[n - 1]
    if lo < n - 1:
        var = losses[lo] + (h - lo) * (losses[lo + 1] - losses[lo])
    total = 0.0
    tail = 0
    for i in range(n - 1, -1, -1):
        if losses[i] < var:
            break
        total += losses[i]
        tail += 1
    out[0] = var
    # interpolation between two order statistics can land a hair above the upper one
    out[1] = total / tail if tail > 0 else var
    return n


# parametric VaR / ES ----------------------------------------------------------------------
@njit(cache=True, nogil=True)
def covariance_run(returns: F64, held: npt.NDArray[np.bool_], mean: F64,
                   cov: F64) -> int:  # pragma: no cover
    """Sample mean and covariance (ddof 1) over the rows complete in every held column;
    the number of such rows. Columns not held get NaN."""
    n_rows, n_cols = returns.shape
    for j in range(n_cols):
        mean[j] = 0.0
        for k in range(n_cols):
            cov[j, k] = 0.0
    use = np.zeros(n_rows, dtype=np.bool_)
    count = 0
    for t in range(n_rows):
        ok = True
        for j in range(n_cols):
            if held[j] and not math.isfinite(returns[t, j]):
                ok = False
                break
        if ok:
            use[t] = True
            count += 1
            for j in range(n_cols):
                if held[j]:
                    mean[j] += returns[t, j]
    for j in range(n_cols):
        if held[j] and count > 0:
            mean[j] /= count
        else:
            mean[j] = math.nan
    if count < 2:
        for j in range(n_cols):
            for k in range(n_cols):
                cov[j, k] = math.nan
        return count
    for t in range(n_rows):
        if not use[t]:
            continue
        for j in range(n_cols):
            if not held[j]:
                continue
            dj = returns[t, j] - mean[j]
            for k in range(j, n_cols):
                if held[k]:
                    cov[j, k] += dj * (returns[t, k] - mean[k])
    for j in range(n_cols):
        for k in range(j, n_cols):
            if held[j] and held[k]:
                cov[j, k] /= count - 1
            else:
                cov[j, k] = math.nan
            cov[k, j] = cov[j, k]
    return count


@njit(cache=True, nogil=True)
def parametric_var_es_run(mean: F64, cov: F64, weights: F64, z: float, density: float,
                          confidence: float, horizon: float, with_mean: bool,
                          out: F64) -> None:  # pragma: no cover
    """Normal VaR, ES, mu and sigma of the portfolio into out[0..3] (see the module notes)."""
    mu = 0.0
    var = 0.0
    n = weights.shape[0]
    for j in range(n):
        wj = weights[j]
        if wj == 0.0:
            continue
        mu += wj * mean[j]
        for k in range(n):
            if weights[k] != 0.0:
                var += wj * cov[j, k] * weights[k]
    if var < 0.0 and var > -1e-300:
        var = 0.0
    mu_h = mu * horizon if with_mean else 0.0
    sigma_h = math.sqrt(var) * math.sqrt(horizon) if var >= 0.0 else math.nan
    out[0] = z * sigma_h - mu_h
    out[1] = sigma_h * density / (1.0 - confidence) - mu_h
    out[2] = mu_h
    out[3] = sigma_h


# drawdown monitor -------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def drawdown_init(state: F64) -> None:  # pragma: no cover
    for k in range(N_DRAWDOWN):
        state[k] = 0.0
    state[D_PEAK] = math.nan
    state[D_PEAK_AT] = state[D_MAX_PEAK_AT] = state[D_MAX_TROUGH_AT] = -1.0


@njit(cache=True, nogil=True)
def drawdown_push(state: F64, equity: float) -> float:  # pragma: no cover
    """Take the next equity point; its drawdown (NaN for a NaN point)."""
    i = state[D_POINTS]
    state[D_POINTS] = i + 1.0
    if not math.isfinite(equity):
        return math.nan
    peak = state[D_PEAK]
    if not (equity < peak):  # the first point (peak NaN), a new peak or a recovery
        if state[D_CURRENT] < 0.0:
            length = i - state[D_PEAK_AT]
            if length > state[D_MAX_DURATION]:
                state[D_MAX_DURATION] = length
        state[D_PEAK] = equity
        state[D_PEAK_AT] = i
        state[D_CURRENT] = 0.0
        state[D_DURATION] = 0.0
        return 0.0
    dd = equity / peak - 1.0
    state[D_CURRENT] = dd
    length = i - state[D_PEAK_AT]
    state[D_DURATION] = length
    if length > state[D_MAX_DURATION]:
        state[D_MAX_DURATION] = length
    if dd < state[D_MAX]:
        state[D_MAX] = dd
        state[D_MAX_PEAK_AT] = state[D_PEAK_AT]
        state[D_MAX_TROUGH_AT] = i
    return float(dd)


@njit(cache=True, nogil=True)
def drawdown_batch(equity: F64, state: F64, curve: F64) -> None:  # pragma: no cover
    """Push every point (state as left by earlier pushes, or fresh); the per-point curve."""
    for i in range(equity.shape[0]):
        curve[i] = drawdown_push(state, equity[i])


# correlation ------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def correlation_run(returns: F64, out: F64) -> None:  # pragma: no cover
    n_rows, n_cols = returns.shape
    for a in range(n_cols):
        for b in range(a, n_cols):
            count = 0
            sa = 0.0
            sb = 0.0
            lo_a = hi_a = lo_b = hi_b = math.nan
            for t in range(n_rows):
                x = returns[t, a]
                y = returns[t, b]
                if not (math.isfinite(x) and math.isfinite(y)):
                    continue
                if count == 0:
                    lo_a = hi_a = x
                    lo_b = hi_b = y
                else:
                    lo_a = min(lo_a, x)
                    hi_a = max(hi_a, x)
                    lo_b = min(lo_b, y)
                    hi_b = max(hi_b, y)
                count += 1
                sa += x
                sb += y
            r = math.nan
            if count >= 2 and hi_a > lo_a and hi_b > lo_b:
                ma = sa / count
                mb = sb / count
                sxy = 0.0
                sxx = 0.0
                syy = 0.0
                for t in range(n_rows):
                    x = returns[t, a]
                    y = returns[t, b]
                    if not (math.isfinite(x) and math.isfinite(y)):
                        continue
                    dx = x - ma
                    dy = y - mb
                    sxy += dx * dy
                    sxx += dx * dx
                    syy += dy * dy
                if a == b:
                    r = 1.0
                elif sxx > 0.0 and syy > 0.0:
                    r = max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))
            out[a, b] = out[b, a] = r


# wrappers ---------------------------------------------------------------------------------
def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), not {confidence}")


def _matrix(returns: npt.ArrayLike) -> F64:
    m = np.ascontiguousarray(returns, dtype=np.float64)
    if m.ndim == 1:
        m = m.reshape(-1, 1)
    if m.ndim != 2:
        raise ValueError("returns must be a matrix: one row per period, one column per holding")
    return m


def _weights(weights: npt.ArrayLike, n_cols: int) -> F64:
    w = contiguous(weights).reshape(-1)
    if w.shape[0] != n_cols:
        raise ValueError(f"{w.shape[0]} weights for {n_cols} return columns")
    if not np.isfinite(w).all():
        raise ValueError("weights must be finite")
    return w


def exposures(quantity: npt.ArrayLike, price: npt.ArrayLike,
              group: npt.ArrayLike, n_groups: int) -> tuple[F64, F64]:
    """(per-row values, per-group G x 4 long/short/net/gross)."""
    q = contiguous(quantity)
    p = contiguous(price)
    g = np.ascontiguousarray(group, dtype=np.int64)
    if not (q.shape == p.shape == g.shape) or q.ndim != 1:
        raise ValueError("quantity, price and group must be vectors of the same length")
    if len(g) and (g.min() < 0 or g.max() >= n_groups):
        raise ValueError("group indices must be in [0, n_groups)")
    values = np.empty(len(q))
    out = np.empty((n_groups, N_EXPOSURE))
    exposure_run(q, p, g, values, out)
    return values, out


def simple_returns(close: npt.ArrayLike) -> F64:
    c = contiguous(close)
    out = np.empty(len(c))
    simple_returns_run(c, out)
    return out


def portfolio_pnl(returns: npt.ArrayLike, weights: npt.ArrayLike) -> F64:
    m = _matrix(returns)
    out = np.empty(m.shape[0])
    portfolio_pnl_run(m, _weights(weights, m.shape[1]), out)
    return out


def historical_var_es(pnl: npt.ArrayLike, confidence: float) -> tuple[float, float]:
    """(VaR, ES) of a P&L series, losses positive; NaN values are skipped."""
    _check_confidence(confidence)
    out = np.empty(2)
    historical_var_es_run(contiguous(pnl).reshape(-1), float(confidence), out)
    return float(out[0]), float(out[1])


def historical_var_es_of(returns: npt.ArrayLike, weights: npt.ArrayLike,
                         confidence: float) -> tuple[float, float]:
    return historical_var_es(portfolio_pnl(returns, weights), confidence)


def covariance(returns: npt.ArrayLike, held: npt.ArrayLike | None = None) -> tuple[F64, F64, int]:
    """(mean, covariance, rows used) over the rows complete in every held column."""
    m = _matrix(returns)
    h = (np.ones(m.shape[1], dtype=np.bool_) if held is None
         else np.ascontiguousarray(held, dtype=np.bool_).reshape(-1))
    mean = np.empty(m.shape[1])
    cov = np.empty((m.shape[1], m.shape[1]))
    rows = covariance_run(m, h, mean, cov)
    return mean, cov, rows


def parametric_var_es(returns: npt.ArrayLike, weights: npt.ArrayLike, confidence: float,
                      horizon: float = 1.0, with_mean: bool = True) -> tuple[float, float]:
    """(VaR, ES) under normal P&L with the sample moments of `returns`."""
    _check_confidence(confidence)
    if not horizon > 0.0:
        raise ValueError(f"horizon must be positive, not {horizon}")
    m = _matrix(returns)
    w = _weights(weights, m.shape[1])
    mean, cov, _ = covariance(m, w != 0.0)
    unit = NormalDist()
    z = unit.inv_cdf(confidence)
    out = np.empty(4)
    parametric_var_es_run(mean, cov, w, z, unit.pdf(z), float(confidence), float(horizon),
                          bool(with_mean), out)
    return float(out[0]), float(out[1])


def correlation(returns: npt.ArrayLike) -> F64:
    m = _matrix(returns)
    out = np.empty((m.shape[1], m.shape[1]))
    correlation_run(m, out)
    return out


class DrawdownMonitor:
    """Streaming drawdown: push points one at a time or in batches; same figures either way."""

    def __init__(self) -> None:
        self.state = np.empty(N_DRAWDOWN)
        drawdown_init(self.state)

    def push(self, equity: float) -> float:
        return float(drawdown_push(self.state, float(equity)))

    def extend(self, equity: npt.ArrayLike) -> F64:
        e = contiguous(equity).reshape(-1)
        curve = np.empty(len(e))
        drawdown_batch(e, self.state, curve)
        return curve

    @property
    def points(self) -> int:
        return int(self.state[D_POINTS])

    @property
    def peak(self) -> float:
        return float(self.state[D_PEAK])

    @property
    def peak_index(self) -> int:
        return int(self.state[D_PEAK_AT])

    @property
    def current(self) -> float:
        return float(self.state[D_CURRENT])

    @property
    def duration(self) -> int:
        """Points since the peak of the current drawdown, 0 at a peak."""
        return int(self.state[D_DURATION])

    @property
    def max_drawdown(self) -> float:
        return float(self.state[D_MAX])

    @property
    def max_drawdown_span(self) -> tuple[int, int]:
        """(peak index, trough index) of the deepest drawdown, (-1, -1) without one."""
        return int(self.state[D_MAX_PEAK_AT]), int(self.state[D_MAX_TROUGH_AT])

    @property
    def max_duration(self) -> int:
        return int(self.state[D_MAX_DURATION])
