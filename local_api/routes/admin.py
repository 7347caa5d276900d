"""Tokens and devices: create (shown once), list, revoke. Admin scope only."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from local_api.auth import requires
from local_api.deps import engine_of
from local_api.problems import ApiProblem
from local_api.schemas import TokenCreated, TokenIn, TokenOut
from local_api.tokens import Principal, TokenService, highest_scope
from terminal.persistence.records import ApiTokenRecord

router = APIRouter(tags=["admin"])
admin = requires("admin")


def token_out(record: ApiTokenRecord, tokens: TokenService) -> TokenOut:
    last, count = tokens.pending_uses(record.token_id)
    now = time.time_ns()
    active = record.revoked_ns is None and (record.expires_ns is None or
                                            record.expires_ns > now)
    return TokenOut(token_id=record.token_id, name=record.name, kind=record.kind,
                    scope=highest_scope(record.scopes), created_ns=record.created_ns,
                    expires_ns=record.expires_ns, revoked_ns=record.revoked_ns,
                    last_used_ns=max(x for x in (last, record.last_used_ns, 0)
                                     if x is not None) or None,
                    uses=record.uses + count, active=active)


def _tokens(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.gatekeeper.tokens
    return tokens


@router.get("/tokens", response_model=list[TokenOut], dependencies=[Depends(admin)])
async def list_tokens(request: Request) -> list[TokenOut]:
    """Every token (revoked and expired ones too) with its last use; never the secret."""
    tokens = _tokens(request)
    return [token_out(r, tokens) for r in tokens.list("token")]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
async def create_token(request: Request, body: TokenIn,
                       principal: Annotated[Principal, Depends(admin)]) -> TokenCreated:
    """Create a token. Its text is in this answer only: store it now."""
    tokens = _tokens(request)
    try:
        text, record = tokens.create(body.name, body.scope, body.expires_in_s,
                                     detail={"created_by": principal.token_id})
    except ValueError as exc:
        raise ApiProblem("validation-error", str(exc)) from None
    _audit(request, "api.token.create", record.token_id,
           {"name": record.name, "scope": body.scope, "by": principal.token_id})
    return TokenCreated(**token_out(record, tokens).model_dump(), token=text)


@router.delete("/tokens/{token_id}", status_code=204)
async def revoke_token(request: Request, token_id: str,
                       principal: Annotated[Principal, Depends(admin)]) -> None:
    """Revoke a token (or a device's): refused from its next request on."""
    if not _tokens(request).revoke(token_id):
        raise ApiProblem("not-found", f"no active token {token_id}")
    _audit(request, "api.token.revoke", token_id, {"by": principal.token_id})


@router.get("/devices", response_model=list[TokenOut], dependencies=[Depends(admin)])
async def devices(request: Request) -> list[TokenOut]:
    """Paired devices (their credentials are tokens of kind `device`)."""
    tokens = _tokens(request)
    return [token_out(r, tokens) for r in tokens.list("device")]


def _audit(request: Request, action: str, subject: str, detail: dict[str, object]) -> None:
    db = engine_of(request).db
    if db is not None:
        db.audit.record(time.time_ns(), "api", action, subject, detail)


@router.delete("/devices/{device_id}", status_code=204)
async def revoke_device(request: Request, device_id: str,
                        principal: Annotated[Principal, Depends(admin)]) -> None:
    """Unpair a device: its tokens stop working and its live streams close at once."""
    tokens = _tokens(request)
    record = tokens.get(device_id)
    if record is None or record.kind != "device" or not tokens.revoke(device_id):
        raise ApiProblem("not-found", f"no paired device {device_id}")
    _audit(request, "api.device.revoke", device_id, {"by": principal.token_id})
