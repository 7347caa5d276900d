"""What routes share: the running engine, parsed path values, the order path."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from fastapi import Request

from local_api.problems import ApiProblem
from terminal.core.errors import InstrumentError
from terminal.model.ids import InstrumentId
from terminal.services.execution import OrderManager

P = ParamSpec("P")
R = TypeVar("R")

if TYPE_CHECKING:
    from terminal.app import Engine
    from terminal.persistence.db import Database


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def database(engine: Engine) -> Database:
    if engine.db is None:
        raise ApiProblem("unavailable", "the database is not open")
    return engine.db


def order_manager(engine: Engine) -> OrderManager:
    if engine.orders is None:
        raise ApiProblem("unavailable", "the order path is not started")
    return engine.orders


def instrument_id(text: str) -> InstrumentId:
    try:
        return InstrumentId.parse(text)
    except (InstrumentError, ValueError) as exc:
        raise ApiProblem("validation-error", f"instrument {text!r}: {exc}",
                         errors=[{"loc": ["instrument_id"], "msg": str(exc)}]) from None


def known_instrument(engine: Engine, text: str) -> InstrumentId:
    iid = instrument_id(text)
    if engine.instruments.get(iid) is None and iid not in engine.market_data.instruments_seen:
        raise ApiProblem("not-found", f"no instrument {iid}")
    return iid


async def off_loop(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """A database read in a worker thread, so a long query never stalls the loop (the
    charts, the books, the other requests)."""
    return await asyncio.to_thread(fn, *args, **kwargs)
