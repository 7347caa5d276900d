"""Pairing a phone (start, complete, refresh) and the device sync log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from local_api.auth import Gatekeeper, client_of, requires
from local_api.deps import off_loop
from local_api.pairing.event_log import DeviceEventLog
from local_api.pairing.service import DeviceCredentials, PairingFailed, PairingService
from local_api.problems import ApiProblem
from local_api.schemas import Strict
from local_api.tokens import AuthFailure

router = APIRouter(tags=["pairing"])


class PairingStartIn(Strict):
    scope: Literal["read", "trade"] = "read"
    ttl_s: int = Field(default=300, ge=30, le=3600)


class PairingOfferOut(BaseModel):
    code: str
    url: str = Field(description="what the QR code holds")
    scope: str
    expires_ns: int
    fingerprint: str = Field(description="SHA-256 of the LAN certificate, empty on loopback")


class PairingCompleteIn(Strict):
    code: str = Field(min_length=4, max_length=32)
    device_name: str = Field(min_length=1, max_length=64, pattern=r"^[\w .@:+\-]+$")
    platform: str = Field(default="web", max_length=32)


class TokenGrantIn(Strict):
    grant_type: Literal["refresh_token"]
    refresh_token: str = Field(min_length=8, max_length=200)


class DeviceTokensOut(BaseModel):
    device_id: str
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    refresh_token: str
    scope: str
    confirmation: str | None = Field(default=None,
                                     description="show it: the terminal shows the same")


class SyncEventOut(BaseModel):
    seq: int
    ts_ns: int
    channel: str
    instrument: str | None
    data: dict[str, Any]


class SyncPageOut(BaseModel):
    events: list[SyncEventOut]
    head: int
    oldest: int
    next_since: int
    resync: bool = Field(description="the log no longer reaches back to `since`: reload "
                         "positions, orders and fills from their routes, then sync from head")
    retention_s: float


def _pairing(request: Request) -> PairingService:
    service: PairingService | None = request.app.state.pairing
    if service is None:
        raise ApiProblem("unavailable", "pairing is not available in this session")
    return service


def _admit(request: Request) -> Gatekeeper:
    """The unauthenticated pairing routes: a per-client budget and the failure lockout."""
    gate: Gatekeeper = request.app.state.gatekeeper
    client = client_of(request)
    wait = gate.failures.blocked(client)
    if wait:
        raise ApiProblem("auth-throttled", f"too many failed attempts; retry in {wait} s",
                         headers={"Retry-After": str(wait)})
    decision = gate.limiter.take(f"client:{client}", "pairing")
    if not decision.allowed:
        raise ApiProblem("rate-limited", f"retry in {decision.retry_after_s} s",
                         headers={"Retry-After": str(decision.retry_after_s)})
    return gate


def _out(creds: DeviceCredentials) -> DeviceTokensOut:
    return DeviceTokensOut(device_id=creds.device_id, access_token=creds.access_token,
                           expires_in=creds.expires_in, refresh_token=creds.refresh_token,
                           scope=creds.scope, confirmation=creds.confirmation)


@router.post("/pairing/start", response_model=PairingOfferOut, status_code=201,
             dependencies=[Depends(requires("admin"))])
async def start(request: Request, body: PairingStartIn) -> PairingOfferOut:
    """Offer a one-time pairing code (what "Pair a device" shows as a QR code)."""
    offer = await off_loop(_pairing(request).start, body.scope, body.ttl_s)
    return PairingOfferOut(code=offer.code, url=offer.url, scope=offer.scope,
                           expires_ns=offer.expires_ns, fingerprint=offer.fingerprint)


@router.post("/pairing/complete", response_model=DeviceTokensOut, status_code=201)
async def complete(request: Request, body: PairingCompleteIn) -> DeviceTokensOut:
    """The phone's side: a valid code (single use, short lived) becomes device credentials.
    No token needed; wrong codes lock the client out after a few tries."""
    gate = _admit(request)
    service = _pairing(request)
    try:
        creds = await off_loop(service.complete, body.code, body.device_name, body.platform)
    except PairingFailed as exc:
        gate.failures.failed(client_of(request))
        raise ApiProblem("pairing-failed", exc.detail) from None
    return _out(creds)


@router.post("/pairing/token", response_model=DeviceTokensOut)
async def token(request: Request, body: TokenGrantIn) -> DeviceTokensOut:
    """Trade a refresh token for a new access token and a new refresh token (the old one
    stops working; presenting it again revokes the device)."""
    gate = _admit(request)
    try:
        creds = await off_loop(_pairing(request).refresh, body.refresh_token)
    except AuthFailure as exc:
        gate.failures.failed(client_of(request))
        raise ApiProblem(exc.slug, exc.detail) from None
    return _out(creds)


@router.get("/sync", response_model=SyncPageOut, tags=["sync"],
            dependencies=[Depends(requires("read"))])
async def sync(request: Request, since: Annotated[int, Query(ge=0, lt=2**62)] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> SyncPageOut:
    """What happened after `since` (orders, fills, positions, account, alerts, signals,
    risk), oldest first, a page at a time; follow `next_since` until it equals `head`."""
    log: DeviceEventLog | None = request.app.state.event_log
    if log is None:
        raise ApiProblem("unavailable", "the device event log is not running")
    await log.flush()  # what just happened is in the page
    return SyncPageOut(**await off_loop(log.page, since, limit))
