"""Signals and the strategies that give them: list, start, stop."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from local_api.auth import requires
from local_api.deps import engine_of, instrument_id
from local_api.problems import ApiProblem
from local_api.schemas import SignalOut, StrategyIn, StrategyKindOut, StrategyOut
from terminal.core.errors import ConfigError
from terminal.services.backtest import STRATEGIES, ParamError, parse_param_values
from terminal.services.signals.engine import Registration

router = APIRouter(tags=["signals and strategies"])
read = Depends(requires("read"))
trade = Depends(requires("trade"))
KIND_BY_CLASS = {spec.strategy: name for name, spec in STRATEGIES.items()}


def _out(reg: Registration) -> StrategyOut:
    s = reg.strategy
    params: dict[str, Any] = dataclasses.asdict(s.params) \
        if dataclasses.is_dataclass(s.params) and not isinstance(s.params, type) else {}
    return StrategyOut(strategy_id=s.strategy_id, kind=KIND_BY_CLASS.get(type(s), s.name),
                       instrument_id=str(s.instrument_id), timeframe=s.timeframe,
                       params=params, auto_trade=reg.auto_trade, quantity=str(reg.quantity),
                       order_type=reg.order_type, signals=reg.signals, errors=reg.errors)


@router.get("/signals", response_model=list[SignalOut], dependencies=[read])
async def signals(request: Request, instrument: Annotated[str | None, Query(max_length=80)] = None,
                  strategy_id: Annotated[str | None, Query(max_length=32)] = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[SignalOut]:
    """The most recent signals, oldest first."""
    iid = instrument_id(instrument) if instrument else None
    picked = [s for s in engine_of(request).signals.recent
              if (iid is None or s.instrument_id == iid)
              and (strategy_id is None or s.strategy_id == strategy_id)]
    return [SignalOut.of(s) for s in picked[-limit:]]


@router.get("/strategies/kinds", response_model=list[StrategyKindOut], dependencies=[read])
async def strategy_kinds() -> list[StrategyKindOut]:
    """The strategies that can be started, with their parameters' defaults."""
    out = []
    for name, spec in sorted(STRATEGIES.items()):
        defaults = dataclasses.asdict(spec.params())
        out.append(StrategyKindOut(kind=name, params=defaults))
    return out


@router.get("/strategies", response_model=list[StrategyOut], dependencies=[read])
async def strategies(request: Request) -> list[StrategyOut]:
    engine = engine_of(request)
    return [_out(engine.signals.registration(s.strategy_id))
            for s in engine.signals.strategies()]


@router.post("/strategies", response_model=StrategyOut, status_code=201,
             dependencies=[trade])
async def start_strategy(request: Request, body: StrategyIn) -> StrategyOut:
    """Start a strategy on closed bars of an instrument and timeframe: signal-only, or
    auto-trading `quantity` through the risk engine."""
    engine = engine_of(request)
    spec = STRATEGIES.get(body.kind)
    if spec is None:
        raise ApiProblem("validation-error", f"kind {body.kind!r}: use one of "
                         f"{', '.join(sorted(STRATEGIES))}",
                         errors=[{"loc": ["body", "kind"], "msg": "unknown strategy"}])
    iid = instrument_id(body.instrument_id)
    try:
        params = parse_param_values(spec, body.params)
        strategy = spec.strategy(iid, body.timeframe, params,
                                 body.strategy_id or f"{body.kind}-{iid.symbol.lower()}"[:23])
        engine.signals.add(strategy, body.auto_trade,
                           None if body.quantity is None else str(body.quantity),
                           body.order_type)
    except (ParamError, ConfigError, ValueError, ArithmeticError) as exc:
        slug = "conflict" if "already registered" in str(exc) else "validation-error"
        raise ApiProblem(slug, str(exc)) from None
    return _out(engine.signals.registration(strategy.strategy_id))


@router.delete("/strategies/{strategy_id}", status_code=204, dependencies=[trade])
async def stop_strategy(request: Request, strategy_id: str) -> None:
    """Stop a strategy: no more signals or orders from it (its working orders stay)."""
    try:
        engine_of(request).signals.remove(strategy_id)
    except KeyError:
        raise ApiProblem("not-found", f"no strategy {strategy_id}") from None
