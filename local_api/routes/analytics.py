"""PnL and backtests: stored runs, their results, and new runs over stored bars."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from local_api.auth import requires
from local_api.deps import database, engine_of, instrument_id, off_loop
from local_api.problems import ApiProblem
from local_api.schemas import BacktestOut, BacktestSummaryOut, PnlOut, Strict, derived_text
from terminal.core.errors import ConfigError
from terminal.model.backtest import BacktestResult
from terminal.model.numbers import ZERO, plain
from terminal.services.backtest import STRATEGIES, ParamError, parse_param_values, run_backtest
from terminal.services.backtest.report import stored_bars
from terminal.services.risk.marks import Marks
from terminal.services.timeframes import parse_timeframe

router = APIRouter(tags=["analytics"])
read = Depends(requires("read"))
MAX_CURVE = 5000


class BacktestIn(Strict):
    kind: str = Field(examples=["ma-cross"])
    instrument_id: str = Field(examples=["BINANCE:BTCUSDT"])
    timeframe: str = "1m"
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    fee_bps: float = Field(default=10.0, ge=0, le=10_000)
    slippage_bps: float = Field(default=5.0, ge=0, le=10_000)
    size: float = Field(default=1.0, gt=0, le=1e12)
    cash: float = Field(default=10_000.0, gt=0, le=1e15)
    long_only: bool = False
    store: bool = True


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _summary(row: dict[str, Any]) -> BacktestSummaryOut:
    return BacktestSummaryOut(id=row["id"], created_ns=row["created_ns"],
                              strategy=row["strategy"], instrument_id=row["instrument_id"],
                              timeframe=row["timeframe"], bars=row["bars"],
                              stats={k: _finite(v) for k, v in row["stats"].items()})


def _full(result: BacktestResult) -> BacktestOut:
    step = max(1, math.ceil(len(result.ts) / MAX_CURVE))  # curves thinned for transport
    return BacktestOut(
        id=result.id or 0, created_ns=result.created_ns, strategy=result.strategy,
        instrument_id=result.instrument_id, timeframe=result.timeframe, bars=len(result.ts),
        stats={k: _finite(v) for k, v in result.stats.items()}, params=result.params,
        trades=[{k: _finite(v) for k, v in dataclasses.asdict(t).items()}
                for t in result.trades],
        equity=[_finite(float(x)) for x in result.equity[::step]],
        times=[int(x) for x in result.ts[::step]])


@router.get("/analytics/pnl", response_model=PnlOut, dependencies=[read])
async def pnl(request: Request) -> PnlOut:
    """Realised and unrealised PnL and fees per quote currency, and today's PnL as the
    daily-loss rule sees it."""
    engine = engine_of(request)
    marks = Marks(engine.market_data)
    realized: dict[str, Decimal] = {}
    unrealized: dict[str, Decimal] = {}
    fees: dict[str, Decimal] = {}
    for iid, position in engine.portfolio.positions.items():
        instrument = engine.instruments.get(iid)
        ccy = instrument.quote if instrument else "?"
        realized[ccy] = realized.get(ccy, ZERO) + position.realized_pnl
        fees[ccy] = fees.get(ccy, ZERO) + position.fees
        mark = marks.mark(iid)
        if mark is not None and position.quantity:
            unrealized[ccy] = unrealized.get(ccy, ZERO) + \
                position.unrealized_pnl(Decimal(repr(mark)))
    daily = {k: f"{v:.8f}" for k, v in engine.risk.evaluate_daily_loss().items()
             if math.isfinite(v)}
    return PnlOut(currency=engine.portfolio.account.currency,
                  realized={k: derived_text(v) for k, v in sorted(realized.items())},
                  unrealized={k: derived_text(v) for k, v in sorted(unrealized.items())},
                  fees={k: plain(v) for k, v in sorted(fees.items())}, daily=daily)


@router.get("/backtests", response_model=list[BacktestSummaryOut], dependencies=[read])
async def backtests(request: Request,
                    instrument: Annotated[str | None, Query(max_length=80)] = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                    ) -> list[BacktestSummaryOut]:
    """Stored backtest runs, newest first, with their figures."""
    iid = str(instrument_id(instrument)) if instrument else None
    rows = await off_loop(database(engine_of(request)).backtests.list, iid, limit)
    return [_summary(r) for r in rows]


@router.get("/backtests/{backtest_id}", response_model=BacktestOut, dependencies=[read])
async def backtest(request: Request, backtest_id: int) -> BacktestOut:
    """One run: figures, trades and the equity curve (at most 5000 points)."""
    if not 0 < backtest_id < 2**31:
        raise ApiProblem("not-found", f"no backtest {backtest_id}")
    result = await off_loop(database(engine_of(request)).backtests.get, backtest_id)
    if result is None:
        raise ApiProblem("not-found", f"no backtest {backtest_id}")
    return _full(result)


@router.post("/backtests", response_model=BacktestOut, status_code=201,
             dependencies=[Depends(requires("trade"))])
async def run(request: Request, body: BacktestIn) -> BacktestOut:
    """Backtest a strategy over the bars stored for an instrument and timeframe (in a
    worker thread), store the result unless `store` is false, and return it."""
    engine = engine_of(request)
    db = database(engine)
    spec = STRATEGIES.get(body.kind)
    if spec is None:
        raise ApiProblem("validation-error", f"kind {body.kind!r}: use one of "
                         f"{', '.join(sorted(STRATEGIES))}")
    iid = instrument_id(body.instrument_id)
    try:
        tf = parse_timeframe(body.timeframe)
        strategy = spec.make(iid, tf.label, parse_param_values(spec, body.params))
    except (ParamError, ConfigError, ValueError) as exc:
        raise ApiProblem("validation-error", str(exc)) from None
    bars = await off_loop(stored_bars, db, iid, tf.interval_ns)
    if not len(bars.ts):
        raise ApiProblem("not-found", f"no {tf.label} bars stored for {iid}")

    def work() -> BacktestResult:
        result = run_backtest(strategy, bars, body.fee_bps, body.slippage_bps, body.size,
                              body.long_only, cash=body.cash, strategy_name=body.kind)
        if body.store:
            result = dataclasses.replace(result, id=db.backtests.save(result))
        return result

    try:
        return _full(await off_loop(work))
    except ValueError as exc:
        raise ApiProblem("validation-error", str(exc)) from None
