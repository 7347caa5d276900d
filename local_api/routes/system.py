"""Health, status, problem types, plugins and connections, data quality, the audit log."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from local_api.auth import requires
from local_api.deps import database, engine_of, off_loop
from local_api.problems import PROBLEMS, ApiProblem
from local_api.schemas import (
    AuditOut,
    ConnectIn,
    ConnectionOut,
    Health,
    PluginOut,
    QualityOut,
    StatusOut,
)
from terminal import __version__
from terminal.core.errors import PluginError

router = APIRouter()
read = Depends(requires("read"))
admin = Depends(requires("admin"))


@router.get("/health", response_model=Health, tags=["system"])
async def health() -> Health:
    """Is the server up? The only route without a token."""
    return Health(status="ok", version=__version__)


@router.get("/problems/{slug}", tags=["system"], include_in_schema=False)
async def problem_type(slug: str) -> dict[str, Any]:
    kind = PROBLEMS.get(slug)
    if kind is None:
        raise ApiProblem("not-found", f"no problem type {slug}")
    return {"type": f"/api/v1/problems/{slug}", "title": kind.title, "status": kind.status,
            "description": kind.description}


@router.get("/status", response_model=StatusOut, tags=["system"], dependencies=[read])
async def status(request: Request) -> StatusOut:
    engine = engine_of(request)
    hub = request.app.state.hub
    return StatusOut(
        version=__version__, market_ts=engine.clock.now_ns(),
        replaying=engine.replaying and not all(getattr(c, "done", False)
                                               for c in engine.data_clients()),
        uptime_s=round(time.time() - request.app.state.metrics.started, 3),
        events=dict(engine.market_data.events), instruments=len(engine.instruments.all()),
        connections=sorted(engine.connectors), kill_switch=engine.risk.kill_switch,
        orders_working=len(engine.orders.working()) if engine.orders else 0,
        stream_clients=hub.client_count, errors=list(engine.errors))


@router.get("/plugins", response_model=list[PluginOut], tags=["plugins"], dependencies=[read])
async def plugins(request: Request) -> list[PluginOut]:
    """Every plugin found, broken ones with their error."""
    engine = engine_of(request)
    return [PluginOut(**entry.as_dict(), connected=entry.id in engine.connectors)
            for entry in engine.registry.entries()]


@router.get("/connections", response_model=list[ConnectionOut], tags=["plugins"],
            dependencies=[read])
async def connections(request: Request) -> list[ConnectionOut]:
    return [ConnectionOut(plugin_id=pid, data=c.data is not None,
                          execution=c.execution is not None,
                          finite=c.data.finite if c.data is not None else None)
            for pid, c in sorted(engine_of(request).connectors.items())]


@router.post("/connections/{plugin_id}", response_model=ConnectionOut, status_code=201,
             tags=["plugins"], dependencies=[admin])
async def connect(request: Request, plugin_id: str, body: ConnectIn) -> ConnectionOut:
    """Connect a data plugin with its settings (the connections panel's fields)."""
    engine = engine_of(request)
    try:
        connector = await engine.connect(plugin_id, body.settings)
    except PluginError as exc:
        known = any(e.id == plugin_id for e in engine.registry.entries())
        slug = "conflict" if known and plugin_id in engine.connectors else \
            "validation-error" if known else "not-found"
        raise ApiProblem(slug, str(exc)) from None
    return ConnectionOut(plugin_id=plugin_id, data=connector.data is not None,
                         execution=connector.execution is not None,
                         finite=connector.data.finite if connector.data else None)


@router.delete("/connections/{plugin_id}", status_code=204, tags=["plugins"],
               dependencies=[admin])
async def disconnect(request: Request, plugin_id: str) -> None:
    engine = engine_of(request)
    if plugin_id not in engine.connectors:
        raise ApiProblem("not-found", f"{plugin_id} is not connected")
    try:
        await engine.disconnect(plugin_id)
    except PluginError as exc:
        raise ApiProblem("conflict", str(exc)) from None


@router.get("/quality", response_model=list[QualityOut], tags=["data quality"],
            dependencies=[read])
async def quality(request: Request,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[QualityOut]:
    """The most recent data-quality findings (out-of-order prints, outliers, crossed or
    stale books, gaps), oldest first."""
    found = list(request.app.state.hub.quality)[-limit:]
    return [QualityOut(instrument_id=str(f.instrument_id), kind=f.kind, detail=f.detail,
                       ts_ns=f.ts_ns, count=f.count) for f in found]


@router.get("/quality/summary", response_model=dict[str, dict[str, int]],
            tags=["data quality"], dependencies=[read])
async def quality_summary(request: Request) -> dict[str, dict[str, int]]:
    """Findings counted per instrument and kind since the start."""
    return engine_of(request).market_data.quality.summary()


@router.get("/audit", response_model=list[AuditOut], tags=["admin"], dependencies=[admin])
async def audit(request: Request, action: Annotated[str | None, Query(max_length=64)] = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AuditOut]:
    """The audit log, newest first."""
    entries = await off_loop(database(engine_of(request)).audit.list, limit, action)
    return [AuditOut(id=e.id, ts=e.ts, actor=e.actor, action=e.action, subject=e.subject,
                     detail=e.detail) for e in entries]
