"""A direct path for the polling reads (positions, account, quotes...): parameterless GETs
that scripts ask for many times a second.

FastAPI's routing and dependency solving cost more than these answers themselves, so a
request for one of them without a query string is answered here: the same authorisation
(token, scope, rate limit, failed-auth throttle) and the same producer function and
response model as the FastAPI route, which still serves every other form of the request
and documents it. A test checks both paths give the same answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter
from starlette.types import Receive, Scope, Send

from local_api.auth import Gatekeeper
from local_api.problems import ApiProblem, from_exception, problem_response

if TYPE_CHECKING:
    from terminal.app import Engine

log = logging.getLogger(__name__)
Producer = Callable[["Engine"], Any]


@dataclass(frozen=True)
class FastRoute:
    path: str  # as the FastAPI route names it (the metrics label), e.g. /positions
    scope: str
    tier: str
    produce: Producer
    adapter: TypeAdapter[Any]


class FastLane:
    def __init__(self, engine: Engine, gatekeeper: Gatekeeper) -> None:
        self.engine = engine
        self.gatekeeper = gatekeeper
        self.routes: dict[str, FastRoute] = {}

    def add(self, prefix: str, path: str, scope: str, model: Any, produce: Producer) -> None:
        self.routes[prefix + path] = FastRoute(path, scope, scope, produce, TypeAdapter(model))

    def handler(self, scope: Scope) -> Callable[[Scope, Receive, Send], Awaitable[None]] | None:
        """The direct handler of this request, or None for the FastAPI route."""
        if scope["type"] != "http" or scope["method"] != "GET" or scope["query_string"]:
            return None
        route = self.routes.get(scope["path"])
        if route is None:
            return None

        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            await self._answer(route, scope, receive, send)
        return answer

    async def _answer(self, route: FastRoute, scope: Scope, receive: Receive,
                      send: Send) -> None:
        state: dict[str, Any] = scope.setdefault("state", {})
        scope["route"] = route
        gate = self.gatekeeper
        authorization = None
        for key, value in scope["headers"]:
            if key == b"authorization":
                authorization = value.decode("latin-1")
                break
        client = scope["client"][0] if scope.get("client") else "unknown"
        try:
            gate.admit(client, authorization, route.scope, route.tier, state)
            body = route.adapter.dump_json(route.produce(self.engine))
        except ApiProblem as problem:
            state["problem"] = problem.slug
            await from_exception(problem, scope["path"])(scope, receive, send)
            return
        except Exception:
            state["problem"] = "internal-error"
            log.exception("API request GET %s failed", scope["path"])
            await problem_response("internal-error", None, scope["path"])(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
