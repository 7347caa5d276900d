"""The FastAPI application: routers under /api/v1, problem+json errors, offline docs,
/metrics, and the guard in front of everything."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import swagger_ui_bundle
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from local_api.auth import SECURITY_SCHEME, Gatekeeper, requires
from local_api.fastlane import FastLane
from local_api.guard import Guard, HostPolicy
from local_api.metrics import ApiMetrics
from local_api.pairing.event_log import DeviceEventLog
from local_api.pairing.service import PairingService
from local_api.problems import ApiProblem, from_exception, problem_response
from local_api.ratelimit import FailureThrottle, RateLimiter
from local_api.routes import (
    admin,
    alerts,
    analytics,
    companion,
    hooks,
    market,
    pairing,
    risk,
    strategies,
    system,
    trading,
    webhooks,
)
from local_api.settings import ApiSettings
from local_api.stream import StreamHub
from local_api.stream import router as stream_router
from local_api.tokens import TokenService
from local_api.webhooks.service import Webhooks
from terminal import __version__
from terminal.core.errors import OrderError, PersistenceError, RiskRejected

if TYPE_CHECKING:
    from terminal.app import Engine

log = logging.getLogger(__name__)
PREFIX = "/api/v1"
DESCRIPTION = """The terminal's own API, on this machine only (127.0.0.1).

Every route but `/api/v1/health` needs `Authorization: Bearer <token>`; create tokens with
`trading-terminal token create --name NAME --scope read|trade|admin` or in the API panel.
Scopes rank read < trade < admin. Errors are `application/problem+json`; match on `type`.
Prices and quantities of orders, fills, positions and balances are decimal strings; times
are int64 nanoseconds UTC. The live stream is the websocket `/api/v1/stream`.
"""


class Api:
    """The app and what it is made of, for the server, the API panel and tests."""

    def __init__(self, engine: Engine, settings: ApiSettings, tokens: TokenService,
                 pairing: PairingService | None = None,
                 event_log: DeviceEventLog | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.tokens = tokens
        self.pairing = pairing
        self.event_log = event_log
        self.metrics = ApiMetrics()
        self.policy = HostPolicy(settings.extra_hosts, settings.extra_origins,
                                 settings.non_json_paths, settings.non_json_prefixes)
        self.webhooks = Webhooks(engine, settings.webhooks)
        self.gatekeeper = Gatekeeper(tokens, RateLimiter(settings.tiers),
                                     FailureThrottle(settings.auth_failure_burst,
                                                     settings.auth_failure_rate), pairing)
        self.hub = StreamHub(engine.bus, engine.books, settings, self.metrics)
        tokens.on_revoke(self.hub.revoke)  # a revoked token's or device's streams close
        self.fastapi = _build(self)
        self.fastlane = FastLane(engine, self.gatekeeper)
        for module, scope in ((trading, "read"), (market, "read")):
            for path, model, produce in module.FAST_READS:
                self.fastlane.add(PREFIX, path, scope, model, produce)
        self.guard = Guard(Dispatch(self.fastapi, _areas(self), self.fastlane), self.policy,
                           self.metrics, settings.concurrency)
        self.asgi = self.guard


AREAS: tuple[Any, ...] = (trading, market, system, strategies, risk, analytics, admin,
                          webhooks, pairing, alerts)


class Dispatch:
    """Hands each /api/v1/<area>/... request to a small app holding only that area's
    routes (FastAPI matches routes one by one, a few microseconds each); anything else goes
    to the whole app, which also serves the docs and the OpenAPI document."""

    def __init__(self, whole: ASGIApp, areas: dict[str, ASGIApp], fastlane: FastLane) -> None:
        self.whole = whole
        self.areas = areas
        self.fastlane = fastlane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        direct = self.fastlane.handler(scope)
        if direct is not None:
            await direct(scope, receive, send)
            return
        if path.startswith(PREFIX + "/"):
            area = path[len(PREFIX) + 1:].split("/", 1)[0]
            await self.areas.get(area, self.whole)(scope, receive, send)
            return
        await self.whole(scope, receive, send)


def _app(api: Api, **kwargs: Any) -> FastAPI:
    app = FastAPI(**kwargs)
    app.state.engine = api.engine
    app.state.settings = api.settings
    app.state.gatekeeper = api.gatekeeper
    app.state.metrics = api.metrics
    app.state.hub = api.hub
    app.state.webhooks = api.webhooks
    app.state.pairing = api.pairing
    app.state.event_log = api.event_log
    _handlers(app)
    return app


def _areas(api: Api) -> dict[str, ASGIApp]:
    out: dict[str, ASGIApp] = {}
    for module in AREAS:
        app = _app(api, docs_url=None, redoc_url=None, openapi_url=None)
        app.include_router(module.router, prefix=PREFIX)
        for route in module.router.routes:
            area = route.path.lstrip("/").split("/", 1)[0]
            if area in out and out[area] is not app:
                raise RuntimeError(f"/api/v1/{area} has routes in two modules")
            out[area] = app
    return out


def _build(api: Api) -> FastAPI:
    app = _app(api, title="Trading Terminal local API", version=__version__,
               description=DESCRIPTION, docs_url=None, redoc_url=None,
               openapi_url="/openapi.json")
    for module in AREAS:
        app.include_router(module.router, prefix=PREFIX)
    app.include_router(stream_router, prefix=PREFIX)
    app.include_router(hooks.router)  # /hooks/<id>: outside /api/v1, no API token
    app.include_router(companion.router)  # /companion: the phone's web client
    assets = Path(swagger_ui_bundle.swagger_ui_path)
    app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Trading Terminal API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png")

    @app.get("/metrics", include_in_schema=True, tags=["system"],
             dependencies=[Depends(requires("admin"))],
             response_class=Response, responses={200: {"content": {"text/plain": {}}}})
    async def metrics() -> Response:
        """Prometheus text: requests, latencies, errors per route, use per token, stream."""
        return Response(api.metrics.exposition(),
                        media_type="text/plain; version=0.0.4; charset=utf-8")

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _required_scope(dependant: Any) -> str | None:
    for dep in dependant.dependencies:
        scope = getattr(dep.call, "required_scope", None) or _required_scope(dep)
        if scope:
            return str(scope)
    return None


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document, plus the bearer scheme and each operation's scope
    (`security` and `x-required-scope`), read from the routes' authorisation dependency."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = \
        SECURITY_SCHEME
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        scope = _required_scope(route.dependant)
        if scope is None:
            continue
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            operation["security"] = [{"bearer": []}]
            operation["x-required-scope"] = scope
            operation.setdefault("responses", {}).update({
                "401": {"description": "no valid token (problem+json)"},
                "403": {"description": f"the token lacks the {scope} scope"},
                "429": {"description": "rate limited; see Retry-After"}})
    app.openapi_schema = schema
    return schema


def _mark(request: Request, slug: str) -> None:
    request.scope.setdefault("state", {})["problem"] = slug


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        _mark(request, exc.slug)
        return from_exception(exc, request.url.path)

    @app.exception_handler(RiskRejected)
    async def on_risk(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RiskRejected)
        _mark(request, "risk-rejected")
        return problem_response("risk-rejected", str(exc), request.url.path,
                                reason=exc.reason)

    @app.exception_handler(OrderError)
    async def on_order(request: Request, exc: Exception) -> Response:
        _mark(request, "order-invalid")
        return problem_response("order-invalid", str(exc), request.url.path)

    @app.exception_handler(PersistenceError)
    async def on_db(request: Request, exc: Exception) -> Response:
        _mark(request, "unavailable")
        log.error("API request %s failed on the database: %s", request.url.path, exc)
        return problem_response("unavailable", "the database could not answer",
                                request.url.path)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        _mark(request, "validation-error")
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""),
                   "type": e.get("type", "")} for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid"}
        where = ".".join(str(p) for p in first["loc"])
        return problem_response("validation-error", f"{where}: {first['msg']}",
                                request.url.path, errors=_jsonable(errors))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code)
        if slug is None:
            slug = "validation-error" if 400 <= exc.status_code < 500 else "internal-error"
        _mark(request, slug)
        return problem_response(slug, str(exc.detail), request.url.path,
                                headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> Response:
        _mark(request, "internal-error")
        log.exception("API request %s %s failed", request.method, request.url.path)
        return problem_response("internal-error", None, request.url.path)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
