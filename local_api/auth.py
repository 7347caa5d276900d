"""Route authorisation: the bearer token, its scope, the failed-auth throttle and the
token's rate limit, as one FastAPI dependency per (scope, tier)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request, WebSocket

from local_api.problems import ApiProblem
from local_api.ratelimit import FailureThrottle, RateLimiter
from local_api.tokens import AuthFailure, Principal, TokenService

# The OpenAPI document declares the scheme (see app.py); a FastAPI security dependency
# would add a layer of dependency solving to every request for documentation only.
SECURITY_SCHEME = {"type": "http", "scheme": "bearer",
                   "description": "Authorization: Bearer tt_<id>_<secret>"}


class AccessVerifier(Protocol):
    def verify_access(self, token: str) -> Principal: ...


@dataclass
class Gatekeeper:
    tokens: TokenService
    limiter: RateLimiter
    failures: FailureThrottle
    devices: AccessVerifier | None = None  # paired devices' signed access tokens

    def authenticate(self, client: str, authorization: str | None) -> Principal:
        wait = self.failures.blocked(client)
        if wait:
            raise ApiProblem("auth-throttled", f"too many failed authentications; retry in "
                             f"{wait} s", headers={"Retry-After": str(wait)})
        if not authorization:
            self.failures.failed(client)
            raise ApiProblem("unauthorized", "send 'Authorization: Bearer <token>'",
                             headers={"WWW-Authenticate": "Bearer"})
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            self.failures.failed(client)
            raise ApiProblem("unauthorized", "the Authorization header must be 'Bearer "
                             "<token>'", headers={"WWW-Authenticate": "Bearer"})
        value = value.strip()
        try:
            if value.startswith("eyJ") and self.devices is not None:
                return self.devices.verify_access(value)
            return self.tokens.verify(value)
        except AuthFailure as exc:
            self.failures.failed(client)
            raise ApiProblem(exc.slug, exc.detail,
                             headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
                             ) from None

    def admit(self, client: str, authorization: str | None, scope: str, tier: str,
              state: dict[str, Any]) -> Principal:
        """Authenticate, check the scope and charge the tier's budget; what was decided
        goes into the request's `state` (the guard adds the RateLimit headers from it)."""
        principal = self.authenticate(client, authorization)
        state["principal"] = principal
        self.authorize(principal, scope)
        decision = self.limiter.take(principal.token_id, tier)
        state["ratelimit"] = decision
        state["ratelimit_policy"] = self.limiter.policy(tier)
        if not decision.allowed:
            raise ApiProblem("rate-limited", f"the {tier} budget of token "
                             f"{principal.token_id} is spent; retry in "
                             f"{decision.retry_after_s} s",
                             headers={"Retry-After": str(decision.retry_after_s)})
        return principal

    def authorize(self, principal: Principal, scope: str) -> None:
        if not principal.allows(scope):
            raise ApiProblem("forbidden-scope", f"this route needs the {scope} scope; token "
                             f"{principal.token_id} has {principal.scope}",
                             required_scope=scope)


def client_of(request: Request | WebSocket) -> str:
    return request.client.host if request.client else "unknown"


def requires(scope: str, tier: str | None = None) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the request's principal, holding `scope`, within its `tier` budget."""
    tier_name = tier or scope

    async def dependency(request: Request) -> Principal:
        gate: Gatekeeper = request.app.state.gatekeeper
        return gate.admit(client_of(request), request.headers.get("authorization"), scope,
                          tier_name, request.scope.setdefault("state", {}))

    dependency.__name__ = f"requires_{scope}_{tier_name}"
    dependency.required_scope = scope  # type: ignore[attr-defined]
    return dependency


WS_SUBPROTOCOL = "tt.v1"
WS_BEARER_PREFIX = "bearer."


def websocket_credentials(websocket: WebSocket) -> tuple[str | None, str | None]:
    """(Authorization value, subprotocol to answer). A browser cannot set headers on a
    websocket, so the token may come as a subprotocol instead: ["tt.v1", "bearer.<token>"].
    Either way it travels in a header, never in the URL."""
    header = websocket.headers.get("authorization")
    if header:
        return header, None
    offered = [p.strip() for p in websocket.headers.get("sec-websocket-protocol", "").split(",")]
    for item in offered:
        if item.startswith(WS_BEARER_PREFIX) and WS_SUBPROTOCOL in offered:
            return f"Bearer {item[len(WS_BEARER_PREFIX):]}", WS_SUBPROTOCOL
    return None, None


def authenticate_websocket(websocket: WebSocket, scope: str) -> tuple[Principal, str | None]:
    gate: Gatekeeper = websocket.app.state.gatekeeper
    authorization, subprotocol = websocket_credentials(websocket)
    principal = gate.authenticate(client_of(websocket), authorization)
    gate.authorize(principal, scope)
    return principal, subprotocol
