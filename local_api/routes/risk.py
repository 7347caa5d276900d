"""Risk limits (read, change) and the kill switch."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from local_api.auth import requires
from local_api.deps import engine_of, instrument_id, order_manager
from local_api.problems import ApiProblem
from local_api.schemas import KillSwitchChange, KillSwitchIn, KillSwitchOut, LimitsIn, LimitsOut
from local_api.tokens import Principal
from terminal.core.errors import ConfigError, PersistenceError
from terminal.services.risk.limits import format_value

router = APIRouter(prefix="/risk", tags=["risk"])


def _limits_out(request: Request, instrument: str | None) -> LimitsOut:
    risk = engine_of(request).risk
    iid = instrument_id(instrument) if instrument else None
    limits = risk.limits_for(iid)
    values = {f.name: getattr(limits, f.name) for f in dataclasses.fields(limits) if f.init}
    plain = {k: format_value(v) if not isinstance(v, bool | int) else v
             for k, v in values.items()}
    overrides = {k: format_value(v) if not isinstance(v, bool | int) else v
                 for k, v in risk.book.overrides(iid).items()}
    return LimitsOut(scope="account" if iid is None else "instrument",
                     subject=risk.account_id if iid is None else str(iid),
                     limits=plain, overrides=overrides)


@router.get("/limits", response_model=LimitsOut, dependencies=[Depends(requires("read"))])
async def get_limits(request: Request,
                     instrument: Annotated[str | None, Query(max_length=80)] = None,
                     ) -> LimitsOut:
    """The limits in force for the account, or for one instrument (its own values over the
    account's over the defaults). 0 switches a limit off."""
    return _limits_out(request, instrument)


@router.patch("/limits", response_model=LimitsOut)
async def change_limits(request: Request, body: LimitsIn,
                        principal: Annotated[Principal, Depends(requires("admin"))],
                        instrument: Annotated[str | None, Query(max_length=80)] = None,
                        ) -> LimitsOut:
    """Change limits at run time: stored, audited, in force for the next order. A bad name
    or value changes nothing."""
    engine = engine_of(request)
    iid = instrument_id(instrument) if instrument else None
    try:
        engine.risk.set_limits(body.limits, iid, actor=f"api:{principal.token_id}")
    except ConfigError as exc:
        raise ApiProblem("validation-error", str(exc)) from None
    except PersistenceError as exc:
        raise ApiProblem("unavailable", f"the limits could not be stored: {exc}") from None
    return _limits_out(request, instrument)


@router.get("/kill-switch", response_model=KillSwitchOut,
            dependencies=[Depends(requires("read"))])
async def kill_switch(request: Request) -> KillSwitchOut:
    risk = engine_of(request).risk
    return KillSwitchOut(engaged=risk.kill_switch, reason=risk.kill_reason or None)


@router.post("/kill-switch", response_model=KillSwitchChange)
async def set_kill_switch(request: Request, body: KillSwitchIn,
                          principal: Annotated[Principal, Depends(requires("trade"))],
                          ) -> KillSwitchChange:
    """Engage (blocks every new order from every path and cancels the working ones) or
    release the kill switch. Engaging needs `trade`; releasing needs `admin`."""
    engine = engine_of(request)
    actor = f"api:{principal.token_id}"
    canceled = 0
    if body.engaged:
        canceled = await order_manager(engine).engage_kill_switch(body.reason, actor)
    else:
        request.app.state.gatekeeper.authorize(principal, "admin")
        engine.risk.release_kill_switch(actor)
    return KillSwitchChange(engaged=engine.risk.kill_switch,
                            reason=engine.risk.kill_reason or None, canceled=canceled)
