"""Price alerts: list (read), create and delete (trade). A firing is published on the
`alerts` stream channel and as the `alert.triggered` webhook event."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from local_api.auth import requires
from local_api.deps import engine_of
from local_api.problems import ApiProblem
from terminal.core.errors import PersistenceError
from terminal.model.numbers import plain
from terminal.persistence.alert_records import AlertRecord
from terminal.services.alerts import AlertError

router = APIRouter(prefix="/alerts", tags=["alerts"])
read = Depends(requires("read"))
trade = Depends(requires("trade"))


class AlertIn(BaseModel):
    instrument: str = Field(max_length=80, description="VENUE:SYMBOL")
    condition: Literal["above", "below", "cross"] = "cross"
    price: str = Field(max_length=40, description="the level, a plain decimal")
    note: str = Field("", max_length=200)
    repeat: bool = Field(False, description="fire each time (else once, then inactive)")
    source: Literal["trade", "mid"] = Field("trade", description="last trade or quote mid")


class AlertOut(BaseModel):
    alert_id: str
    instrument: str
    condition: str
    price: str
    source: str
    note: str
    repeat: bool
    active: bool
    created_ns: int
    triggered_count: int
    last_triggered_ns: int | None
    last_triggered_price: float | None

    @classmethod
    def of(cls, r: AlertRecord) -> AlertOut:
        return cls(alert_id=r.alert_id, instrument=r.instrument, condition=r.condition,
                   price=plain(r.price), source=r.source, note=r.note, repeat=r.repeat,
                   active=r.active, created_ns=r.created_ns,
                   triggered_count=r.triggered_count, last_triggered_ns=r.last_triggered_ns,
                   last_triggered_price=r.last_triggered_price)


@router.get("", response_model=list[AlertOut], dependencies=[read])
async def list_alerts(request: Request,
                      instrument: Annotated[str | None, Query(max_length=80)] = None,
                      active: bool | None = None) -> list[AlertOut]:
    """Alerts, oldest first; `active=true` leaves out those that fired once already."""
    records = engine_of(request).alerts.records(instrument.upper() if instrument else None,
                                                active_only=bool(active))
    return [AlertOut.of(r) for r in records]


@router.post("", response_model=AlertOut, status_code=201, dependencies=[trade])
async def create_alert(request: Request, body: AlertIn) -> AlertOut:
    """Watch a price: above (>=), below (<=) or crossing a level, on the last trade or the
    quote mid. The level is rounded to the instrument's tick when it is known."""
    try:
        record = await engine_of(request).alerts.add(body.instrument, body.condition,
                                                     body.price, body.note, body.repeat,
                                                     body.source)
    except AlertError as exc:
        field = str(exc).split(":", 1)[0]
        raise ApiProblem("validation-error", str(exc),
                         errors=[{"loc": ["body", field], "msg": str(exc)}]) from None
    except PersistenceError as exc:
        raise ApiProblem("unavailable", f"the alert could not be stored: {exc}") from None
    return AlertOut.of(record)


@router.delete("/{alert_id}", status_code=204, dependencies=[trade])
async def delete_alert(request: Request, alert_id: str) -> None:
    try:
        removed = await engine_of(request).alerts.remove(alert_id)
    except PersistenceError as exc:
        raise ApiProblem("unavailable", f"the alert could not be removed: {exc}") from None
    if not removed:
        raise ApiProblem("not-found", f"no alert {alert_id}")
