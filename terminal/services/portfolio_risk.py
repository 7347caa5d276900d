"""Portfolio risk from the engine's Portfolio: exposures at the marks, holdings' returns.

The arithmetic is in terminal.kernels.portfolio_risk (see its notes for the conventions).
Here: an instrument's currency is its quote currency (the account currency when the
instrument is unknown or has no quote), the mark is the caller's (`marks_from_market` gives
the engine's: the last mid, else the last trade), flat positions are left out, and a position
without a usable mark is listed in `unpriced` and counted in no total. Currencies are summed
together only when `rates` are given (units of the reporting currency per unit of each
currency); a currency without a rate is listed in `missing_rates` and left out of the total.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from terminal.kernels import portfolio_risk as kernels
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.services.portfolio import Portfolio
from terminal.services.risk.marks import MarketView, Marks

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
K = TypeVar("K")


class InstrumentLookup(Protocol):
    def get(self, instrument_id: InstrumentId) -> Instrument | None: ...


@dataclass(frozen=True, slots=True)
class Exposure:
    long: float
    short: float  # magnitude of the short side, >= 0
    net: float
    gross: float

    @classmethod
    def from_row(cls, row: F64) -> Exposure:
        return cls(float(row[kernels.E_LONG]), float(row[kernels.E_SHORT]),
                   float(row[kernels.E_NET]), float(row[kernels.E_GROSS]))


@dataclass(frozen=True, slots=True)
class Holding:
    instrument_id: InstrumentId
    currency: str
    quantity: float
    mark: float  # NaN when unpriced
    value: float  # quantity x mark in `currency`, NaN when unpriced


@dataclass(frozen=True, slots=True)
class ExposureReport:
    holdings: list[Holding]
    by_instrument: dict[InstrumentId, Exposure]
    by_currency: dict[str, Exposure]
    unpriced: list[InstrumentId]
    reporting_currency: str | None = None
    total: Exposure | None = None  # in the reporting currency, only with rates
    missing_rates: tuple[str, ...] = ()


def marks_from_market(market: MarketView, ids: Iterable[InstrumentId]) -> dict[InstrumentId, float]:
    marks = Marks(market)
    out: dict[InstrumentId, float] = {}
    for iid in ids:
        mark = marks.mark(iid)
        if mark is not None:
            out[iid] = mark
    return out


def exposure_report(portfolio: Portfolio, instruments: InstrumentLookup,
                    marks: Mapping[InstrumentId, float],
                    rates: Mapping[str, float] | None = None,
                    reporting_currency: str | None = None) -> ExposureReport:
    """Exposures of the open positions at `marks`, per instrument and per quote currency."""
    open_positions = [p for p in portfolio.positions.values() if p.quantity]
    ids = [p.instrument_id for p in open_positions]
    currencies: list[str] = []
    for iid in ids:
        instrument = instruments.get(iid)
        currencies.append(instrument.quote if instrument is not None and instrument.quote
                          else portfolio.account.currency)
    quantity = np.array([float(p.quantity) for p in open_positions], dtype=np.float64)
    price = np.array([_usable(marks.get(iid)) for iid in ids], dtype=np.float64)

    values, per_instrument = kernels.exposures(quantity, price, np.arange(len(ids)), len(ids))
    names = sorted(set(currencies))
    index = {c: k for k, c in enumerate(names)}
    _, per_currency = kernels.exposures(quantity, price, [index[c] for c in currencies],
                                        len(names))

    holdings = [Holding(iid, cur, float(q), float(m), float(v))
                for iid, cur, q, m, v in zip(ids, currencies, quantity, price, values,
                                             strict=True)]
    report = ExposureReport(
        holdings=holdings,
        by_instrument={iid: Exposure.from_row(per_instrument[k]) for k, iid in enumerate(ids)},
        by_currency={c: Exposure.from_row(per_currency[k]) for k, c in enumerate(names)},
        unpriced=[h.instrument_id for h in holdings if math.isnan(h.value)])
    if rates is None:
        return report
    if reporting_currency is None:
        raise ValueError("rates need the reporting currency they convert into")
    rate = np.array([_rate(c, rates, reporting_currency) for c in names], dtype=np.float64)
    total = np.empty(kernels.N_EXPOSURE)
    kernels.exposure_total(np.ascontiguousarray(per_currency), rate, total)
    missing = tuple(c for c, r in zip(names, rate, strict=True) if math.isnan(r))
    return ExposureReport(report.holdings, report.by_instrument, report.by_currency,
                          report.unpriced, reporting_currency, Exposure.from_row(total), missing)


def holding_values(report: ExposureReport, ids: Sequence[InstrumentId],
                   rates: Mapping[str, float] | None = None,
                   reporting_currency: str | None = None) -> F64:
    """Signed values of the holdings in `ids` order (0 for none), as VaR weights in money.
    Without rates every priced holding must share one currency."""
    by_id = {h.instrument_id: h for h in report.holdings}
    held = [by_id[i] for i in ids if i in by_id and not math.isnan(by_id[i].value)]
    if rates is None and len({h.currency for h in held}) > 1:
        raise ValueError("holdings in several currencies need rates to be weighted together")
    out = np.zeros(len(ids))
    for k, iid in enumerate(ids):
        h = by_id.get(iid)
        if h is None or math.isnan(h.value):
            continue
        if rates is None:
            out[k] = h.value
        else:
            if reporting_currency is None:
                raise ValueError("rates need the reporting currency they convert into")
            r = _rate(h.currency, rates, reporting_currency)
            if math.isnan(r):
                raise ValueError(f"no rate for {h.currency} into {reporting_currency}")
            out[k] = h.value * r
    return out


def aligned_returns(series: Mapping[K, tuple[npt.ArrayLike, npt.ArrayLike]]
                    ) -> tuple[I64, list[K], F64]:
    """Simple returns of each (timestamps, closes) series, each on its own consecutive closes,
    placed on the union of the timestamps: (timestamps, keys, matrix with NaN where a series
    has no return at that time)."""
    keys = list(series)
    own: list[tuple[I64, F64]] = []
    for key in keys:
        ts, close = series[key]
        t = np.ascontiguousarray(ts, dtype=np.int64)
        c = np.ascontiguousarray(close, dtype=np.float64)
        if t.shape != c.shape:
            raise ValueError(f"{key}: timestamps and closes differ in length")
        if len(t) > 1 and (np.diff(t) <= 0).any():
            raise ValueError(f"{key}: timestamps must increase")
        own.append((t, kernels.simple_returns(c)))
    union = (np.unique(np.concatenate([t for t, _ in own])) if own
             else np.empty(0, dtype=np.int64))
    matrix = np.full((len(union), len(keys)), math.nan)
    for j, (t, r) in enumerate(own):
        matrix[np.searchsorted(union, t), j] = r
    return union, keys, matrix


def _usable(mark: float | None) -> float:
    return mark if mark is not None and math.isfinite(mark) and mark > 0.0 else math.nan


def _rate(currency: str, rates: Mapping[str, float], reporting_currency: str) -> float:
    if currency == reporting_currency:
        return float(rates.get(currency, 1.0))
    r = rates.get(currency)
    return float(r) if r is not None and math.isfinite(r) else math.nan
