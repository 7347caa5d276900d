"""`POST /hooks/{hook_id}`: inbound alerts. No API token: a hook authenticates by its own
shared secret (TradingView cannot send headers) or Standard Webhooks signature, and has its
own rate limit. Answered 202 as soon as the alert is checked; the order follows."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from local_api.webhooks.receiver import Inbound
from local_api.webhooks.schemas import HookAccepted
from local_api.webhooks.service import Webhooks

router = APIRouter(tags=["webhooks"])


@router.post("/hooks/{hook_id}", status_code=202, response_model=HookAccepted, responses={
    401: {"description": "wrong or missing secret or signature (problem+json)"},
    400: {"description": "timestamp outside the tolerance"},
    409: {"description": "message id already accepted"},
    422: {"description": "body or field not understood"}})
async def receive(request: Request, hook_id: str) -> JSONResponse:
    """An alert for the hook: JSON or text/plain. The secret goes in the body (the field
    the template names, `secret` by default) or as `?secret=`; signed hooks take the
    webhook-id, webhook-timestamp and webhook-signature headers."""
    webhooks: Webhooks = request.app.state.webhooks
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    answer = await webhooks.receiver.handle(Inbound(
        hook_id, await request.body(), media, request.query_params.get("secret"),
        {k.lower(): v for k, v in request.headers.items() if k.lower().startswith("webhook-")},
        request.client.host if request.client else None))
    return JSONResponse(answer, status_code=202)
