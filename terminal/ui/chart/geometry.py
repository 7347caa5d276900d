"""Drawing geometry for the visible index range, as float64 arrays Qt can read in place.

Bar i sits at x = i. Rows are QLineF (x1, y1, x2, y2) or QRectF (x, y, w, h). When there are
more bars than pixel columns the bars are aggregated per bucket of `step` bars (level of
detail): one high-low line per bucket instead of a candle per bar. Buckets are aligned to
multiples of `step` so panning does not make aggregates flicker. Nothing here imports Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
BOOL = npt.NDArray[np.bool_]

BODY_WIDTH = 0.7  # of the slot one bar owns


def lod_step(bars_per_pixel: float) -> int:
    """1 while a bar gets at least a pixel column, else the next power of two of bars per
    pixel (powers of two keep bucket edges fixed across small zoom changes)."""
    if not bars_per_pixel > 1.0:  # also NaN
        return 1
    return 1 << math.ceil(math.log2(bars_per_pixel))


def visible_span(x0: float, x1: float, n: int) -> tuple[int, int] | None:
    """The first and last bar index whose slot [i-0.5, i+0.5] meets [x0, x1]."""
    if n == 0 or not (math.isfinite(x0) and math.isfinite(x1)):
        return None
    first = max(0, math.ceil(x0 - 0.5))
    last = min(n - 1, math.floor(x1 + 0.5))
    return (first, last) if first <= last else None


def to_log(values: F64) -> F64:
    """log10 for a log price axis; non-positive prices have no place on it (NaN)."""
    out = np.full(values.shape, np.nan)
    np.log10(values, out=out, where=values > 0)
    return out


def _edges(first: int, last: int, step: int) -> npt.NDArray[np.intp]:
    """Offsets (from `first`) where each bucket starts, the first one clipped to `first`."""
    starts = np.arange((first // step + 1) * step, last + 1, step, dtype=np.intp)
    return np.concatenate(([first], starts)) - first


def _centres(first: int, edges: npt.NDArray[np.intp], step: int) -> F64:
    bucket = (first + edges) // step
    return (bucket * step + (step - 1) / 2.0).astype(np.float64)


@dataclass
class Candles:
    up_wicks: F64
    down_wicks: F64
    up_bodies: F64
    down_bodies: F64


def _lines(x: F64, y1: F64, y2: F64) -> F64:
    out = np.empty((x.shape[0], 4))
    out[:, 0] = x
    out[:, 1] = y1
    out[:, 2] = x
    out[:, 3] = y2
    return out


def _rects(x: F64, width: float, y: F64, h: F64) -> F64:
    out = np.empty((x.shape[0], 4))
    out[:, 0] = x - width / 2.0
    out[:, 1] = y
    out[:, 2] = width
    out[:, 3] = h
    return out


def candles(o: F64, h: F64, low: F64, c: F64, first: int, last: int, step: int,
            log: bool = False) -> Candles:
    """Wicks and bodies of bars first..last; up means close >= open (flat bars are up).

    A flat bar (O=H=L=C) gets a body of height 0, which the painter strokes as a tick.
    """
    sl = slice(first, last + 1)
    if step == 1:
        x = np.arange(first, last + 1, dtype=np.float64)
        bo, bh, bl, bc = o[sl], h[sl], low[sl], c[sl]
        width = BODY_WIDTH
    else:
        edges = _edges(first, last, step)
        x = _centres(first, edges, step)
        bh = np.fmax.reduceat(h[sl], edges)
        bl = np.fmin.reduceat(low[sl], edges)
        bo = o[sl][edges]
        bc = c[sl][np.append(edges[1:], last + 1 - first) - 1]
        width = 0.0
    if log:
        bo, bh, bl, bc = to_log(bo), to_log(bh), to_log(bl), to_log(bc)
    ok = np.isfinite(bo) & np.isfinite(bh) & np.isfinite(bl) & np.isfinite(bc)
    up = ok & (bc >= bo)
    down = ok & (bc < bo)
    wicks = _lines(x, bl, bh)
    if step > 1:  # a bucket is a high-low line; bodies would only smear the column
        empty = np.empty((0, 4))
        return Candles(wicks[up], wicks[down], empty, empty)
    bottom = np.fmin(bo, bc)
    bodies = _rects(x, width, bottom, np.abs(bc - bo))
    return Candles(wicks[up], wicks[down], bodies[up], bodies[down])


def volume_bars(v: F64, o: F64, c: F64, first: int, last: int, step: int
                ) -> tuple[F64, F64]:
    """(up, down) rects from 0 to the volume; per bucket the largest volume. NaN volume
    (unknown) draws nothing; zero volume draws nothing either."""
    sl = slice(first, last + 1)
    if step == 1:
        x = np.arange(first, last + 1, dtype=np.float64)
        vol, bo, bc = v[sl], o[sl], c[sl]
        width = BODY_WIDTH
    else:
        edges = _edges(first, last, step)
        x = _centres(first, edges, step)
        vol = np.fmax.reduceat(v[sl], edges)
        bo = o[sl][edges]
        bc = c[sl][np.append(edges[1:], last + 1 - first) - 1]
        width = step * 0.8
    shown = np.isfinite(vol) & (vol > 0)
    up = shown & ~(bc < bo)
    down = shown & (bc < bo)
    rects = _rects(x, width, np.zeros_like(vol), vol)
    return rects[up], rects[down]


def polyline(y: F64, first: int, last: int, step: int, log: bool = False) -> F64:
    """Segments joining consecutive finite points of y over first..last (one point past
    each end so the line reaches the edges). A NaN only breaks the line around itself.
    With step > 1, each bucket contributes its minimum and maximum (a min/max envelope)."""
    n = y.shape[0]
    first = max(0, first - 1)
    last = min(n - 1, last + 1)
    if last <= first:
        return np.empty((0, 4))
    sl = slice(first, last + 1)
    if step == 1:
        x = np.arange(first, last + 1, dtype=np.float64)
        ys = y[sl]
    else:
        edges = _edges(first, last, step)
        centres = _centres(first, edges, step)
        x = np.repeat(centres, 2)
        ys = np.empty(x.shape[0])
        ys[0::2] = np.fmin.reduceat(y[sl], edges)
        ys[1::2] = np.fmax.reduceat(y[sl], edges)
    if log:
        ys = to_log(ys)
    ok = np.isfinite(ys)
    joined = ok[:-1] & ok[1:]
    out = np.empty((int(joined.sum()), 4))
    out[:, 0] = x[:-1][joined]
    out[:, 1] = ys[:-1][joined]
    out[:, 2] = x[1:][joined]
    out[:, 3] = ys[1:][joined]
    return out


def finite_range(*arrays: F64) -> tuple[float, float] | None:
    """(min, max) over the finite values of all arrays, or None if there are none."""
    lo = math.inf
    hi = -math.inf
    for values in arrays:
        if values.shape[0] == 0:
            continue
        # fmin/fmax skip NaN without the all-NaN warning nanmin raises
        a = float(np.fmin.reduce(values))
        b = float(np.fmax.reduce(values))
        if math.isfinite(a):
            lo = min(lo, a)
        if math.isfinite(b):
            hi = max(hi, b)
    if lo > hi:
        return None
    return lo, hi
