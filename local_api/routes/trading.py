"""Orders, fills, positions and the account. Orders placed here take the ticket's path:
risk engine, order manager, broker, audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from local_api.auth import requires
from local_api.deps import database, engine_of, instrument_id, off_loop, order_manager
from local_api.problems import ApiProblem
from local_api.schemas import (
    AccountOut,
    CancelAllOut,
    FillOut,
    OrderChange,
    OrderIn,
    OrderOut,
    PositionOut,
)
from local_api.tokens import Principal
from terminal.model.orders import OrderStatus
from terminal.services.order_request import OrderRequest
from terminal.services.risk.marks import Marks

if TYPE_CHECKING:
    from terminal.app import Engine

router = APIRouter(tags=["trading"])
read = Depends(requires("read"))
trade = requires("trade")
Status = Literal["pending_new", "accepted", "partially_filled", "pending_cancel", "filled",
                 "canceled", "rejected", "expired", "working"]


@router.get("/fills", response_model=list[FillOut], dependencies=[read])
async def fills(request: Request, instrument: Annotated[str | None, Query(max_length=80)] = None,
                start_ns: Annotated[int | None, Query(ge=0, lt=2**63)] = None,
                end_ns: Annotated[int | None, Query(ge=0, lt=2**63)] = None,
                limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> list[FillOut]:
    """Fills oldest first."""
    engine = engine_of(request)
    iid = instrument_id(instrument) if instrument else None
    stored = await off_loop(database(engine).fills.list, iid, start_ns, end_ns, limit)
    return [FillOut.of(f) for f in stored]


def positions_of(engine: Engine, open_only: bool = False) -> list[PositionOut]:
    marks = Marks(engine.market_data)
    return [PositionOut.of(p, marks.mark(iid))
            for iid, p in sorted(engine.portfolio.positions.items())
            if not open_only or p.quantity]


def account_of(engine: Engine) -> AccountOut:
    return AccountOut.of(engine.portfolio.account)


@router.get("/positions", response_model=list[PositionOut], dependencies=[read])
async def positions(request: Request, open_only: bool = False) -> list[PositionOut]:
    """Net positions with their average price, realised PnL and unrealised PnL at the mark
    (mid of the last quote, else the last trade)."""
    return positions_of(engine_of(request), open_only)


@router.get("/account", response_model=AccountOut, dependencies=[read])
async def account(request: Request) -> AccountOut:
    """Cash balances per currency."""
    return account_of(engine_of(request))


FAST_READS = [("/positions", list[PositionOut], positions_of),
              ("/account", AccountOut, account_of)]


@router.get("/orders", response_model=list[OrderOut], dependencies=[read])
async def list_orders(request: Request, status: Status | None = None,
                      instrument: Annotated[str | None, Query(max_length=80)] = None,
                      limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[OrderOut]:
    """Orders newest first: this session's and the stored ones. `status=working` gives the
    orders still at the venue."""
    engine = engine_of(request)
    iid = instrument_id(instrument) if instrument else None
    if status == "working":
        live = [o for o in order_manager(engine).working()
                if iid is None or o.instrument_id == iid]
        live.sort(key=lambda o: (o.ts_created, o.client_order_id), reverse=True)
        return [OrderOut.of(o) for o in live[:limit]]
    wanted = OrderStatus(status) if status else None
    stored = await off_loop(database(engine).orders.list, wanted, iid, limit)
    current = engine.orders.orders if engine.orders is not None else {}
    return [OrderOut.of(current.get(o.client_order_id, o)) for o in stored]


@router.get("/orders/{client_order_id}", response_model=OrderOut, dependencies=[read])
async def get_order(request: Request, client_order_id: str) -> OrderOut:
    engine = engine_of(request)
    order = engine.orders.orders.get(client_order_id) if engine.orders else None
    if order is None:
        order = await off_loop(database(engine).orders.get, client_order_id)
    if order is None:
        raise ApiProblem("not-found", f"no order {client_order_id}")
    return OrderOut.of(order)


@router.post("/orders", response_model=OrderOut, status_code=201)
async def place_order(request: Request, body: OrderIn,
                      principal: Annotated[Principal, Depends(trade)]) -> OrderOut:
    """Place an order. A refusal (risk rule, bad price or size) is a 422 problem whose
    `reason` names the rule; nothing is stored but the audit entry."""
    orders = order_manager(engine_of(request))
    req = OrderRequest(instrument_id(body.instrument_id), body.side, body.type, body.quantity,
                       body.price, body.stop_price, body.time_in_force, body.reduce_only,
                       source=f"api:{principal.token_id}", client_order_id=body.client_order_id)
    order = await orders.submit(req)
    return OrderOut.of(order)


@router.patch("/orders/{client_order_id}", response_model=OrderOut,
              dependencies=[Depends(trade)])
async def modify_order(request: Request, client_order_id: str, body: OrderChange) -> OrderOut:
    """Change a working limit order's quantity and price (checked like a new order)."""
    orders = order_manager(engine_of(request))
    if client_order_id not in orders.orders:
        raise ApiProblem("not-found", f"no working order {client_order_id} in this session")
    return OrderOut.of(await orders.modify(client_order_id, str(body.quantity),
                                           None if body.price is None else str(body.price)))


@router.delete("/orders/{client_order_id}", response_model=OrderOut,
               dependencies=[Depends(trade)])
async def cancel_order(request: Request, client_order_id: str) -> OrderOut:
    """Ask the venue to cancel an order; it is canceled when the venue confirms."""
    orders = order_manager(engine_of(request))
    if client_order_id not in orders.orders:
        raise ApiProblem("not-found", f"no order {client_order_id} in this session")
    return OrderOut.of(await orders.cancel(client_order_id))


@router.post("/orders/cancel-all", response_model=CancelAllOut,
             dependencies=[Depends(trade)])
async def cancel_all(request: Request) -> CancelAllOut:
    """Cancel every working order."""
    return CancelAllOut(canceled=await order_manager(engine_of(request)).cancel_all())
